import { randomBytes } from "node:crypto";
import { ConfigError, errorMessage } from "../errors.js";
import type { Inventory, InventoryHost } from "../inventory/model.js";
import type { Fleet } from "../remote/fleet.js";
import { MysqlSession } from "../remote/mysql.js";
import { quoteIdentifier } from "../sql/quote.js";
import { parseWaitResult, selectGtidState, selectReadOnly, waitForGtid } from "../sql/statements.js";
import { parseGtidState, parseReadOnly } from "../sql/status.js";
import { mergeMonitorView } from "../status/cluster-status.js";
import { inventoryStatusSource, probeHostNetwork, readMysqlView } from "../status/gather-status.js";
import { withTimeout } from "../util/with-timeout.js";
import { checksumSql, parseChecksumRows, type ChunkSum, type TableShape } from "./checksum.js";
import { diagnoseVerify, type VerifyHost, type VerifyObservations, type VerifyReader, type VerifyReport } from "./diagnose-verify.js";

/**
 * `mmm verify`, the IO half. Root sessions go to each database host over SSH to its Unix socket
 * (MysqlSession.open); the application's path — the VIPs — is taken through SSH direct-tcpip
 * tunnels opened on the monitor host (Transport.forwardTcp), with mysql2 over the tunnel as the
 * app account. Why the monitor host: the VIPs live on the cluster network, which the controller
 * may not reach (the lab's cannot), and the monitor sits on it like an application server
 * would; the app account's host pattern covers its address. A tunnel rather than a client run
 * there keeps the app password inside the MySQL protocol (never on a command line or in a file)
 * and needs nothing installed on the monitor host.
 *
 * The verify table is created by root over the socket on the writer (CREATE … IF NOT EXISTS,
 * replicated like any DDL), so the app account needs only INSERT and SELECT on it, never CREATE.
 */

export interface VerifyOptions {
  readonly timeoutS: number;
  /** "schema.table" names to checksum besides the verify table. */
  readonly tables: readonly string[];
}

export const DEFAULT_VERIFY_TIMEOUT_S = 10;

/** The app account's database when it has one by name; its own `mmm_verify` schema under `*`. */
export function verifyTable(inv: Inventory): { schema: string; table: string } {
  const app = inv.settings.app;
  if (!app) throw new ConfigError(`${inv.file}: mmm verify writes through the VIPs as the application account: set mmm_app_user and mmm_app_password in all.vars`);
  const db = app.databases.find((d) => d !== "*" && !/[%_\\]/.test(d));
  return db && !app.databases.includes("*") ? { schema: db, table: "mmm_verify_marker" } : { schema: "mmm_verify", table: "marker" };
}

export function parseTableNames(list: readonly string[]): { schema: string; table: string }[] {
  return list.map((t) => {
    const m = /^([^.\s]+)\.([^.\s]+)$/.exec(t.trim());
    if (!m) throw new ConfigError(`--tables: ${JSON.stringify(t)} is not schema.table`);
    return { schema: m[1]!, table: m[2]! };
  });
}

const INT_TYPES = new Set(["tinyint", "smallint", "mediumint", "int", "bigint"]);

async function tableShape(s: MysqlSession, schema: string, table: string): Promise<TableShape> {
  const cols = await s.query(
    "SELECT COLUMN_NAME AS c, DATA_TYPE AS t, COLUMN_KEY AS k FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
    [schema, table],
  );
  if (cols.length === 0) throw new ConfigError(`--tables: ${schema}.${table} does not exist on the writer ${s.host}`);
  const pk = await s.query(
    "SELECT COLUMN_NAME AS c FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND CONSTRAINT_NAME = 'PRIMARY'",
    [schema, table],
  );
  const key = pk.length === 1 ? String(pk[0]!.c) : null;
  const keyType = key ? String(cols.find((c) => String(c.c) === key)?.t ?? "") : "";
  return { schema, table, columns: cols.map((c) => String(c.c)), intKey: key && INT_TYPES.has(keyType.toLowerCase()) ? key : null };
}

function gtidOf(s: MysqlSession, row: Record<string, unknown> | undefined, what: "pos" | "state"): string {
  const g = parseGtidState(s.dialect, row ?? {});
  if (g.kind === "mariadb") return what === "pos" ? g.binlogPos : g.binlogState;
  return g.executed;
}

export async function runVerify(inv: Inventory, fleet: Fleet, opts: VerifyOptions): Promise<VerifyReport> {
  const app = inv.settings.app;
  const vt = verifyTable(inv);
  const extra = parseTableNames(opts.tables);
  const writerRole = inv.roles.find((r) => r.mode === "exclusive");
  if (!writerRole) throw new ConfigError(`${inv.file}: no exclusive (writer) role in mmm_roles`);
  const writerVip = writerRole.ips[0]!;
  const dbs: InventoryHost[] = [...inv.masters, ...inv.slaves];
  const addresses = Object.fromEntries(dbs.map((h) => [h.address, h.name]));
  const timeoutMs = opts.timeoutS * 1000;

  // Who the writer is: the monitor's word, else whoever holds the writer VIP.
  const source = inventoryStatusSource(inv, fleet);
  const [monitor, nets] = await Promise.all([
    source.observeMonitor().catch(() => mergeMonitorView(source.topology, null, "not asked", null)),
    Promise.all(dbs.map((h) => probeHostNetwork(fleet.get(h.name), h.clusterInterface).catch((err: unknown) => err as Error))),
  ]);
  const holder = dbs.find((_, i) => {
    const n = nets[i];
    return n !== undefined && !(n instanceof Error) && n.addresses.includes(writerVip);
  });
  const writer = monitor.roles.find((r) => r.ip === writerVip)?.host ?? holder?.name ?? null;
  if (!writer) throw new ConfigError(`no host holds the writer role (${writerVip}): neither the monitor nor any host says so; run mmm status`);

  const sessions = new Map<string, MysqlSession>();
  const hostErrors = new Map<string, string>();
  await Promise.all(
    dbs.map(async (h, i) => {
      const n = nets[i]!;
      if (n instanceof Error) return void hostErrors.set(h.name, errorMessage(n).replace(`${h.name}: `, ""));
      try {
        sessions.set(h.name, await MysqlSession.open(fleet.get(h.name), n.socket));
      } catch (err) {
        hostErrors.set(h.name, errorMessage(err).replace(`${h.name}: `, ""));
      }
    }),
  );
  const monitorT = fleet.get(inv.monitor.name);
  const appSessions: MysqlSession[] = [];
  const openApp = async (ip: string, port: number, label: string): Promise<MysqlSession> => {
    const stream = await monitorT.forwardTcp(ip, port);
    const s = await MysqlSession.openStream(label, stream, { user: app!.user, password: app!.password }, [], `as ${app!.user} through ${ip}:${port} from ${inv.monitor.name}`);
    appSessions.push(s);
    return s;
  };

  try {
    // read_only first, before the marker and the waits: the runtime fences a writable
    // non-writer within a monitor cycle, so a late look alone could miss it. A host writable at
    // either look is reported.
    const writableAtStart = new Set<string>();
    await Promise.all(
      [...sessions.entries()].map(async ([name, s]) => {
        const [ro] = await s.run(selectReadOnly(s.dialect)).catch(() => [undefined]);
        if (ro && parseReadOnly(s.dialect, ro).readOnly === false) writableAtStart.add(name);
      }),
    );
    const ws = sessions.get(writer);
    if (!ws) throw new ConfigError(`the writer ${writer} cannot be examined: ${hostErrors.get(writer) ?? "no session"}`);
    const family = ws.dialect.family;
    const qualified = `${quoteIdentifier(vt.schema, "schema")}.${quoteIdentifier(vt.table, "table")}`;
    await ws.query(`CREATE DATABASE IF NOT EXISTS ${quoteIdentifier(vt.schema, "schema")}`);
    await ws.query(
      `CREATE TABLE IF NOT EXISTS ${qualified} (id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY, token CHAR(32) NOT NULL, written_at DATETIME(6) NOT NULL, UNIQUE KEY token (token)) ENGINE=InnoDB`,
    );

    // The marker, through the writer VIP as the app account.
    const token = randomBytes(16).toString("hex");
    const writerHost = dbs.find((h) => h.name === writer)!;
    let markerId: number | null = null;
    let markerError: string | undefined;
    let writerAnswered: string | null = null;
    let ackAt = Date.now();
    try {
      // Bounded as a whole: a VIP that moves mid-session leaves the connection talking to nobody.
      await withTimeout(
        (async () => {
          const a = await openApp(writerVip, writerHost.mysqlPort, `writer VIP ${writerVip}`);
          const [who] = await a.query("SELECT @@server_id AS id");
          writerAnswered = dbs.find((h) => h.serverId === Number(who?.id))?.name ?? `server_id ${String(who?.id)}`;
          await a.query(`INSERT INTO ${qualified} (token, written_at) VALUES (?, NOW(6))`, [token]);
          ackAt = Date.now();
          const [row] = await a.query(`SELECT id FROM ${qualified} WHERE token = ?`, [token]);
          markerId = row ? Number(row.id) : null;
        })(),
        timeoutMs,
        `writer VIP ${writerVip}`,
      );
    } catch (err) {
      markerError = errorMessage(err).replace(/^writer VIP [^:]+: /, "");
    }

    // Arrival: each replica waits (bounded) for the writer's position, then shows the row.
    const [wpos] = await ws.run(selectGtidState(ws.dialect));
    const target = gtidOf(ws, wpos, "pos");
    const arrival = new Map<string, { ms: number | null; error?: string }>();
    await Promise.all(
      [...sessions.entries()].map(async ([name, s]) => {
        if (markerError) return;
        if (name === writer) return void arrival.set(name, { ms: 0 });
        try {
          const [r] = await s.run(waitForGtid(s.dialect, target, opts.timeoutS));
          const outcome = parseWaitResult(s.dialect, "gtid", r?.result);
          const at = Date.now();
          const [row] = await s.query(`SELECT COUNT(*) AS n FROM ${qualified} WHERE token = ?`, [token]);
          if (outcome === "reached" && Number(row?.n) === 1) arrival.set(name, { ms: at - ackAt });
          else arrival.set(name, { ms: null, error: outcome === "reached" ? "position reached but the row is missing" : `replication wait: ${outcome}` });
        } catch (err) {
          arrival.set(name, { ms: null, error: errorMessage(err) });
        }
      }),
    );

    // Readers: the marker through every balanced role's VIP.
    const readers: VerifyReader[] = [];
    for (const role of inv.roles.filter((r) => r.mode === "balanced")) {
      for (const ip of role.ips) {
        try {
          const port = dbs.find((h) => role.hosts.includes(h.name))?.mysqlPort ?? 3306;
          const { host, found } = await withTimeout(
            (async () => {
              const r = await openApp(ip, port, `${role.name} VIP ${ip}`);
              const [who] = await r.query("SELECT @@server_id AS id");
              const host = dbs.find((h) => h.serverId === Number(who?.id))?.name ?? `server_id ${String(who?.id)}`;
              const [row] = await r.query(`SELECT COUNT(*) AS n FROM ${qualified} WHERE token = ?`, [token]);
              return { host, found: Number(row?.n) === 1 };
            })(),
            timeoutMs,
            `${role.name} VIP ${ip}`,
          );
          readers.push({ role: role.name, ip, host, found });
        } catch (err) {
          readers.push({ role: role.name, ip, host: null, found: false, error: errorMessage(err).replace(/^[^:]+ VIP [^:]+: /, "") });
        }
      }
    }

    // Checksums at a consistent point: every replica has applied the writer's position first.
    const tables = [await tableShape(ws, vt.schema, vt.table), ...(await Promise.all(extra.map((t) => tableShape(ws, t.schema, t.table))))];
    const checksumsOf = async (s: MysqlSession): Promise<Record<string, readonly ChunkSum[] | { error: string }>> => {
      const out: Record<string, readonly ChunkSum[] | { error: string }> = {};
      for (const t of tables) {
        try {
          out[`${t.schema}.${t.table}`] = parseChecksumRows(await s.query(checksumSql(t)));
        } catch (err) {
          out[`${t.schema}.${t.table}`] = { error: errorMessage(err).replace(`${s.host}: `, "") };
        }
      }
      return out;
    };
    const [wnow] = await ws.run(selectGtidState(ws.dialect));
    const consistentAt = gtidOf(ws, wnow, "pos");
    const views = new Map(
      await Promise.all(
        [...sessions.entries()].map(async ([name, s]) => {
          if (name !== writer && consistentAt && arrival.get(name)?.ms != null) await s.run(waitForGtid(s.dialect, consistentAt, opts.timeoutS)).catch(() => undefined);
          const view = await readMysqlView(s);
          const [ai] = await s.query("SELECT @@GLOBAL.auto_increment_increment AS inc, @@GLOBAL.auto_increment_offset AS off");
          const sums = await checksumsOf(s);
          const [g] = await s.run(selectGtidState(s.dialect));
          return [name, { view, ai: { increment: Number(ai?.inc), offset: Number(ai?.off) }, sums, gtid: gtidOf(s, g, "state") }] as const;
        }),
      ),
    );
    // Read the writer's GTID state last, so a replica never looks errant for a transaction
    // the writer committed between the two reads.
    const [wlast] = await ws.run(selectGtidState(ws.dialect));
    const writerState = gtidOf(ws, wlast, "state");

    const hosts: VerifyHost[] = dbs.map((h) => {
      const v = views.get(h.name);
      const a = arrival.get(h.name);
      const mode = h.kind === "master" ? "master" : "slave";
      if (!v) {
        return { name: h.name, mode, error: hostErrors.get(h.name) ?? "not examined", serverId: null, readOnly: null, autoIncrement: null, replica: null, gtidState: null, arrivalMs: null, checksums: {} };
      }
      return {
        name: h.name,
        mode,
        serverId: v.view.serverId,
        readOnly: writableAtStart.has(h.name) ? false : v.view.readOnly,
        autoIncrement: v.ai,
        replica: v.view.replica,
        gtidState: h.name === writer ? writerState : v.gtid,
        arrivalMs: a?.ms ?? null,
        ...(a?.error ? { arrivalError: a.error } : {}),
        checksums: v.sums,
      };
    });
    const observations: VerifyObservations = {
      family,
      writer,
      writerVip,
      writerAnswered,
      marker: { table: `${vt.schema}.${vt.table}`, token, id: markerId, ...(markerError ? { error: markerError } : {}) },
      timeoutMs,
      hosts,
      readers,
      tables,
      addresses,
    };
    return diagnoseVerify(observations);
  } finally {
    await Promise.all([...appSessions, ...sessions.values()].map((s) => s.close()));
  }
}
