import { errantGtids } from "../sql/gtid.js";
import type { Family } from "../sql/flavor.js";
import type { ReplicaStatus } from "../sql/status.js";
import { compareChecksums, type ChunkSum, type TableShape } from "./checksum.js";

/**
 * `mmm verify`'s judgement over what it observed (pure): one named check per property, each
 * with one precise sentence per failure naming the host.
 */

export interface VerifyHost {
  readonly name: string;
  readonly mode: "master" | "slave";
  /** Why the host could not be examined at all. */
  readonly error?: string;
  readonly serverId: number | null;
  readonly readOnly: boolean | null;
  readonly autoIncrement: { readonly increment: number; readonly offset: number } | null;
  readonly replica: ReplicaStatus | null;
  /** gtid_binlog_state (MariaDB) or gtid_executed (MySQL), read after the marker arrived. */
  readonly gtidState: string | null;
  /** ms from the writer's commit acknowledgement until this host had applied the marker; null: it did not. */
  readonly arrivalMs: number | null;
  readonly arrivalError?: string;
  /** Per table ("schema.table"): its chunks, or why they could not be computed. */
  readonly checksums: Readonly<Record<string, readonly ChunkSum[] | { readonly error: string }>>;
}

export interface VerifyReader {
  readonly role: string;
  readonly ip: string;
  /** The host that answered on the VIP (by server_id); null when none did. */
  readonly host: string | null;
  readonly found: boolean;
  readonly error?: string;
}

export interface VerifyObservations {
  readonly family: Family;
  readonly writer: string;
  readonly writerVip: string;
  /** Host that answered on the writer VIP. */
  readonly writerAnswered: string | null;
  readonly marker: { readonly table: string; readonly token: string; readonly id: number | null; readonly error?: string };
  readonly timeoutMs: number;
  readonly hosts: readonly VerifyHost[];
  readonly readers: readonly VerifyReader[];
  readonly tables: readonly TableShape[];
  /** Address → host name, to name replication sources. */
  readonly addresses: Readonly<Record<string, string>>;
}

export interface VerifyCheck {
  readonly name: string;
  /** What was seen when it passed, in a few words. */
  readonly detail: string;
  readonly problems: readonly string[];
}

export interface VerifyReport {
  readonly observations: VerifyObservations;
  readonly checks: readonly VerifyCheck[];
  readonly problems: readonly string[];
  readonly ok: boolean;
}

const check = (name: string, detail: string, problems: string[]): VerifyCheck => ({ name, detail, problems });

export function diagnoseVerify(o: VerifyObservations): VerifyReport {
  const live = o.hosts.filter((h) => !h.error);
  const checks: VerifyCheck[] = [];

  checks.push(check("hosts reachable", `${live.length} of ${o.hosts.length}`, o.hosts.filter((h) => h.error).map((h) => `${h.name}: ${h.error}`)));

  const markerProblems: string[] = [];
  if (o.marker.error) markerProblems.push(`writer VIP ${o.writerVip}: ${o.marker.error}`);
  else if (o.writerAnswered !== o.writer) markerProblems.push(`writer VIP ${o.writerVip} answered from ${o.writerAnswered ?? "no host"}, but the monitor's writer is ${o.writer}`);
  checks.push(check("marker written through the writer VIP", o.marker.error ? "" : `${o.marker.table} id ${o.marker.id} on ${o.writerAnswered}`, markerProblems));

  const arrival = live.filter((h) => h.arrivalMs === null && !o.marker.error).map((h) => `${h.name}: marker not applied within ${o.timeoutMs / 1000} s${h.arrivalError ? ` (${h.arrivalError})` : ""}`);
  const slowest = Math.max(0, ...live.map((h) => h.arrivalMs ?? 0));
  checks.push(check("marker on every host", `slowest ${slowest} ms`, arrival));

  const readerProblems = o.readers.flatMap((r) =>
    r.error ? [`${r.role} VIP ${r.ip}: ${r.error}`] : r.found ? [] : [`${r.role} VIP ${r.ip} (${r.host ?? "?"}): marker not readable`],
  );
  checks.push(check("marker readable through every reader VIP", o.readers.map((r) => `${r.ip}→${r.host ?? "?"}`).join(", "), readerProblems));

  const masters = o.hosts.filter((h) => h.mode === "master");
  const repl: string[] = [];
  for (const h of live) {
    const r = h.replica;
    if (!r) {
      if (h.mode === "slave" || masters.length > 1) repl.push(`${h.name}: does not replicate (no replication configured)`);
      continue;
    }
    const from = o.addresses[r.sourceHost] ?? r.sourceHost;
    if (r.ioRunning !== "yes") {
      const err = r.lastIoErrno ? `: Error ${r.lastIoErrno}: ${r.lastIoError}` : "";
      repl.push(`${h.name}: IO thread ${r.ioRunning === "no" ? "stopped" : r.ioRunning} (source ${from})${err}`);
    }
    if (!r.sqlRunning) {
      const err = r.lastSqlErrno ? `: Error ${r.lastSqlErrno}: ${r.lastSqlError}` : "";
      repl.push(`${h.name}: SQL thread stopped (source ${from})${err}`);
    }
  }
  checks.push(check("replication threads", `${live.filter((h) => h.replica).length} replicas running`, repl));

  const ids = new Map<number, string[]>();
  for (const h of live) if (h.serverId !== null) ids.set(h.serverId, [...(ids.get(h.serverId) ?? []), h.name]);
  checks.push(
    check(
      "server ids unique",
      live.map((h) => `${h.name}=${h.serverId}`).join(", "),
      [...ids.entries()].filter(([, hs]) => hs.length > 1).map(([id, hs]) => `${hs.join(" and ")}: same server_id ${id}`),
    ),
  );

  const ro: string[] = [];
  for (const h of live) {
    if (h.name === o.writer && h.readOnly === true) ro.push(`${h.name}: read_only is ON on the writer: applications cannot write`);
    if (h.name !== o.writer && h.readOnly === false) ro.push(`${h.name}: writable (read_only=OFF) but not the writer ${o.writer}: SET GLOBAL read_only=1 there`);
  }
  checks.push(check("read_only on all but the writer", `writer ${o.writer} OFF, others ON`, ro));

  const ai: string[] = [];
  if (masters.length === 2) {
    const [a, b] = masters.map((m) => ({ m, v: live.find((h) => h.name === m.name)?.autoIncrement ?? null }));
    for (const x of [a!, b!]) if (x.v && x.v.increment < 2) ai.push(`${x.m.name}: auto_increment_increment=${x.v.increment}: both masters can generate the same keys (set 2)`);
    if (a!.v && b!.v && a!.v.offset % Math.max(1, a!.v.increment) === b!.v.offset % Math.max(1, b!.v.increment)) {
      ai.push(`${a!.m.name} and ${b!.m.name}: same auto_increment_offset ${a!.v.offset}: keys generated on both masters collide`);
    }
  }
  const aiDetail = masters.map((m) => {
    const v = live.find((h) => h.name === m.name)?.autoIncrement;
    return `${m.name} ${v ? `${v.increment}/${v.offset}` : "?"}`;
  });
  checks.push(check("auto_increment on the master pair", `increment/offset ${aiDetail.join(", ")}`, ai));

  const errant: string[] = [];
  const w = live.find((h) => h.name === o.writer);
  if (w?.gtidState != null) {
    for (const h of live) {
      if (h.name === o.writer || h.gtidState === null) continue;
      try {
        const extra = errantGtids(o.family, w.gtidState, h.gtidState);
        if (extra) errant.push(`${h.name}: errant transactions ${extra} (not on the writer ${o.writer})`);
      } catch (err) {
        errant.push(`${h.name}: cannot compare GTIDs: ${(err as Error).message}`);
      }
    }
  }
  checks.push(check("GTID sets consistent", `writer ${o.writer} ${w?.gtidState ?? "?"}`, errant));

  for (const t of o.tables) {
    const key = `${t.schema}.${t.table}`;
    const problems: string[] = [];
    const ref = w?.checksums[key];
    if (!ref || "error" in ref) problems.push(`${o.writer}: cannot checksum ${key}: ${ref && "error" in ref ? ref.error : "not computed"}`);
    else {
      for (const h of live) {
        if (h.name === o.writer) continue;
        const got = h.checksums[key];
        if (!got) continue;
        if ("error" in got) problems.push(`${h.name}: cannot checksum ${key}: ${got.error}`);
        else problems.push(...compareChecksums(t, o.writer, ref, h.name, got));
      }
    }
    const rows = ref && !("error" in ref) ? ref.reduce((n, c) => n + c.rows, 0) : 0;
    const chunks = ref && !("error" in ref) ? ref.length : 0;
    checks.push(check(`checksum ${key}`, `${rows} row${rows === 1 ? "" : "s"} in ${chunks} chunk${chunks === 1 ? "" : "s"}, same on every host`, problems));
  }

  const problems = checks.flatMap((c) => c.problems);
  return { observations: o, checks, problems, ok: problems.length === 0 };
}
