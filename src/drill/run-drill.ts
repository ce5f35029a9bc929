import { randomBytes } from "node:crypto";
import type { ClusterRole, Inventory, InventoryHost } from "../inventory/model.js";
import type { Fleet } from "../remote/fleet.js";
import { sh } from "../remote/shell.js";
import { MysqlSession } from "../remote/mysql.js";
import { sampleClock } from "../facts/gather.js";
import { ConfigError, PlanError, RemoteError, errorMessage } from "../errors.js";
import {
  countRows,
  findViolations,
  firstSampleWhere,
  lastSampleWhere,
  writeGap,
  writeId,
  type Ack,
  type RoleSample,
  type RowCount,
  type TimelineEvent,
  type Violation,
} from "./drill-analysis.js";
import { withTimeout } from "../util/with-timeout.js";
import { WriteLoad, createTableSql, tunnelFrom, DEFAULT_DRILL_TABLE, type DrillTable } from "./write-load.js";
import { readSamples, startChecker, stopChecker, type RunningChecker } from "./role-checker.js";
import { MonitorLog, control, type MonitorLine, holderOf, isTimelineWorthy, stateOf, type MonitorStatus } from "./monitor-watch.js";
import { assertModeAllowed, clearFault, injectFault, type DrillMode } from "./faults.js";

/**
 * The clients' connect timeout, which is also how often they try again. A SYN sent while no host
 * holds the writer VIP (between the fence and the new writer's announcement) is lost; a client
 * waits this long before its next try, so it bounds how late the drill sees writes resume.
 */
export const CONNECT_TIMEOUT_MS = 300;

/** How long a returning master may stay REPLICATION_FAIL before the restore gives up on it. */
const REPLICATION_FAIL_PATIENCE_MS = 15_000;

export interface DrillOptions {
  readonly mode: DrillMode;
  readonly clients: number;
  readonly rounds: number;
  readonly restore: boolean;
  /** Pause between one client's writes. */
  readonly intervalMs: number;
  /** Longest wait for writes to resume after the fault before the round counts as failed. */
  readonly resumeTimeoutMs: number;
  readonly table?: DrillTable;
  readonly sampleIntervalMs?: number;
}

export interface RoundResult {
  readonly round: number;
  readonly mode: DrillMode;
  readonly oldWriter: string;
  /** The host the first acknowledged write after the fault went to. */
  readonly newWriter: string | null;
  readonly faultAt: number;
  /**
   * stop only: fault → the server closed its TCP listener, shortly after it began to shut down;
   * the other times minus this one are about what mmm and the clients took once there was
   * something to notice (a little less: the server stops taking writes just before).
   */
  readonly serverStopMs: number | null;
  /** Fault → the monitor's log says the old writer left ONLINE. */
  readonly detectionMs: number | null;
  /** Fault → first acknowledged write on the new writer (issue 4's "first successful write"). */
  readonly resumedMs: number | null;
  /** Last acknowledged write before → first after: what the clients saw. */
  readonly unavailableMs: number | null;
  /** Fault → first sample with the writer VIP on the new writer. */
  readonly vipMs: number | null;
  /** Fault → first sample with the new writer writable. */
  readonly writableMs: number | null;
  /** Fault → first sample where the old writer neither was writable nor held the VIP (when its sampler could tell). */
  readonly oldFencedMs: number | null;
  readonly acked: number;
  readonly unacked: number;
  readonly counts: readonly RowCount[];
  readonly lost: number;
  readonly duplicated: number;
  readonly violations: readonly Violation[];
  readonly restore: { readonly onlineMs: number; readonly backMs: number } | null;
  readonly timeline: readonly TimelineEvent[];
  /** What went wrong beyond the counters: writes never resumed, a host never caught up… */
  readonly problems: readonly string[];
}

export interface DrillReport {
  readonly inventory: string;
  readonly mode: DrillMode;
  readonly clients: number;
  readonly run: string;
  readonly writerVip: string;
  readonly rounds: readonly RoundResult[];
  /** Why fewer rounds than asked were run, or null. */
  readonly aborted: string | null;
  readonly ok: boolean;
}

export interface DrillIo {
  /** One line per phase or event, as it happens. */
  readonly progress: (line: string) => void;
  /**
   * Called once the load has stopped and before rows are counted. The drill's own lab test uses
   * it to plant a duplicate and delete a row, proving the counting finds exactly those.
   */
  readonly beforeCount?: (r: { readonly run: string; readonly round: number; readonly table: DrillTable; readonly acks: readonly Ack[] }) => Promise<void>;
}

const SETTLE_MS = 2_000;
const WARMUP_MS = 1_500;
const CATCHUP_S = 30;

/** The exclusive role whose IP the application writes to: `writer` by name, else the only exclusive role. */
export function writerRole(inv: Inventory): ClusterRole {
  const exclusive = inv.roles.filter((r) => r.mode === "exclusive");
  const role = exclusive.find((r) => r.name === "writer") ?? (exclusive.length === 1 ? exclusive[0] : undefined);
  if (!role || role.ips.length !== 1) throw new ConfigError(`${inv.file}: the drill needs an exclusive writer role with one IP (mmm_roles.writer)`);
  return role;
}

/** Clock offset of a host (its clock minus ours), or 0 when it is within the measurement's own uncertainty. */
async function offsetOf(fleet: Fleet, host: string): Promise<number> {
  const c = await sampleClock(fleet.get(host));
  return Math.abs(c.offsetMs) > c.uncertaintyMs ? c.offsetMs : 0;
}

function dbHosts(inv: Inventory): InventoryHost[] {
  return [...inv.masters, ...inv.slaves];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>, every = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new PlanError(`${what}: not after ${Math.round(timeoutMs / 1000)} s`);
    await sleep(every);
  }
}

export async function runDrill(inv: Inventory, fleet: Fleet, o: DrillOptions, io: DrillIo): Promise<DrillReport> {
  assertModeAllowed(o.mode, inv);
  const maybeApp = inv.settings.app;
  if (!maybeApp) throw new ConfigError(`${inv.file}: the drill writes as the application account: set mmm_app_user and mmm_app_password (or _env) in all.vars`);
  const app = maybeApp;
  if (o.rounds > 1 && !o.restore) throw new ConfigError("--rounds above 1 needs --restore: every round starts from a healthy cluster with the writer back on its host");
  const role = writerRole(inv);
  const vip = role.ips[0]!;
  const dbs = dbHosts(inv);
  const port = inv.hosts.find((h) => h.name === role.hosts[0])?.mysqlPort ?? 3306;
  const table = o.table ?? DEFAULT_DRILL_TABLE;
  const run = randomBytes(6).toString("hex");
  const mon = fleet.get(inv.monitor.name);
  const hostOfServerId = new Map(dbs.filter((h) => h.serverId !== undefined).map((h) => [h.serverId!, h.name]));
  const allIps = [...new Set(inv.roles.flatMap((r) => r.ips))];

  io.progress(`drill ${run}: ${o.mode}, ${o.clients} clients through ${vip}, ${o.rounds} round${o.rounds > 1 ? "s" : ""}${o.restore ? ", restore" : ""}`);
  const offsets = new Map<string, number>();
  await Promise.all([inv.monitor, ...dbs].map(async (h) => offsets.set(h.name, await offsetOf(fleet, h.name))));
  const shown = [...offsets].filter(([, ms]) => ms !== 0).map(([h, ms]) => `${h} ${ms > 0 ? "+" : ""}${ms.toFixed(1)} ms`);
  io.progress(`clock offsets: ${shown.length ? shown.join(", ") : "all within measurement noise (treated as 0)"}`);

  const open = tunnelFrom(mon, vip, port);
  await prepareTable(open, app, table);

  const monitorLog = new MonitorLog(mon, offsets.get(inv.monitor.name) ?? 0);
  const maxSeconds = o.rounds * 600 + 600;
  await monitorLog.start(maxSeconds);
  const checkers: RunningChecker[] = await Promise.all(dbs.map((h) => startChecker(fleet, h, run, o.sampleIntervalMs ?? 100, maxSeconds)));

  const rounds: RoundResult[] = [];
  let aborted: string | null = null;
  try {
    for (let r = 1; r <= o.rounds; r++) {
      // A later round cannot start from a cluster the last one left unhealthy (an old master
      // with errant transactions stays REPLICATION_FAIL by design): stop, but keep what was
      // measured so far in the report.
      const prev = rounds.at(-1);
      if (prev && o.restore && prev.restore === null) {
        aborted = `stopped after round ${prev.round}: its restore failed (${prev.problems.at(-1) ?? "see the problems above"})`;
        break;
      }
      try {
        rounds.push(await runRound(r));
      } catch (err) {
        if (rounds.length === 0) throw err;
        aborted = `stopped at round ${r}: ${errorMessage(err)}`;
        break;
      }
    }
  } finally {
    monitorLog.stop();
    await Promise.all(checkers.map((c) => stopChecker(fleet, c)));
  }
  if (aborted) io.progress(`drill ${run}: ${aborted}`);
  const ok = aborted === null && rounds.every((x) => x.lost === 0 && x.duplicated === 0 && x.violations.length === 0 && x.problems.length === 0);
  return { inventory: inv.file, mode: o.mode, clients: o.clients, run, writerVip: vip, rounds, aborted, ok };

  async function show(): Promise<MonitorStatus | undefined> {
    return (await control(mon, ["show"])).status;
  }

  async function runRound(round: number): Promise<RoundResult> {
    const events: TimelineEvent[] = [];
    const problems: string[] = [];
    let t0 = Date.now();
    const note = (at: number, source: string, text: string) => {
      events.push({ at, source, text });
      const ms = at - t0;
      io.progress(`round ${round} t${ms < 0 ? "-" : "+"}${(Math.abs(ms) / 1000).toFixed(3)} ${source}: ${text}`);
    };
    const roundStart = Date.now();

    // A healthy start: every database host ONLINE and a writer that has a peer to fail over to.
    const status = await until("every database host ONLINE with a writer", 120_000, async () => {
      const s = await show();
      return s && dbs.every((h) => stateOf(s, h.name) === "ONLINE") && holderOf(s, role.name) ? s : null;
    });
    const oldWriter = holderOf(status, role.name)!;
    const target = role.hosts.find((h) => h !== oldWriter && stateOf(status, h) === "ONLINE");
    if (!target) throw new PlanError(`round ${round}: the writer ${oldWriter} has no ONLINE peer in role ${role.name} (${role.hosts.join(", ")}) to fail over to`);
    t0 = Date.now();
    note(t0, "drill", `writer is ${oldWriter}, every host ONLINE; starting ${o.clients} clients`);

    const load = new WriteLoad({
      open,
      account: app,
      table,
      run,
      clients: o.clients,
      intervalMs: o.intervalMs,
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      commitTimeoutMs: 2_000,
      hostOfServerId,
      onEvent: (e) => {
        if (e.at < faultAt) return;
        if (e.kind === "failing" && !firstFailure) {
          firstFailure = true;
          note(e.at, "clients", `writes failing (client ${e.client}: ${e.error})`);
        }
        if (e.kind === "writing" && e.host && !resumedOn.has(e.host)) {
          resumedOn.add(e.host);
          note(e.at, "clients", `first acknowledged write on ${e.host} since the fault`);
        }
      },
    });
    let faultAt = Infinity;
    let serverStopAt: number | null = null;
    let firstFailure = false;
    const resumedOn = new Set<string>();
    const onMonitor = (l: MonitorLine) => {
      if (l.at >= roundStart && isTimelineWorthy(l)) note(l.at, "monitor", l.text);
    };
    monitorLog.onLine(onMonitor);

    load.start(round);
    try {
      await sleep(WARMUP_MS);
      if (load.acks.length === 0) {
        throw new RemoteError(vip, `no write acknowledged through ${vip} in ${WARMUP_MS} ms: ${load.unacked[0]?.error ?? "cannot connect"} (is the app account allowed to write ${table.database}?)`);
      }
      const failed = o.mode === "move" ? null : oldWriter;
      if (o.mode === "move") {
        // t+0 is when the monitor took the command (its log says so), not when `mmm control`
        // started: the runtime's start-up on a loaded monitor host is no part of the switchover.
        const sent = Date.now();
        faultAt = sent;
        const a = await control(mon, ["move_role", role.name, target]);
        if (a.exitCode !== 0) problems.push(`move_role ${role.name} ${target} refused: ${a.output.trim()}`);
        const taken = await until("the monitor's log line for move_role", 5_000, async () =>
          monitorLog.lines.find((l) => l.at >= sent - 1000 && /^control \(.*\): move_role /.test(l.text)) ?? null,
          50,
        ).catch(() => null);
        faultAt = taken?.at ?? sent;
        t0 = faultAt;
        note(faultAt, "drill", `mmm control move_role ${role.name} ${target}: ${a.output.trim().split("\n")[0]}`);
      } else {
        const what = { stop: "clean stop of mysqld", kill: "kill -9 of mysqld_safe and mysqld", partition: "network cut" }[o.mode];
        const host = dbs.find((h) => h.name === oldWriter);
        if (!host) throw new ConfigError(`${inv.file}: the monitor says ${oldWriter} holds ${role.name}, but the inventory has no database host ${oldWriter}`);
        const times = await injectFault(fleet, o.mode, host, offsets.get(oldWriter) ?? 0);
        faultAt = times.at;
        serverStopAt = times.listenerClosedAt;
        t0 = faultAt;
        note(faultAt, "drill", `fault injected: ${what} on ${oldWriter}`);
        if (serverStopAt !== null) note(serverStopAt, "drill", `${oldWriter}'s mysqld closed its listener (shutting down)`);
      }
      // Writes resume once an acknowledgement comes from a host other than the failed one.
      const resumed = await until(`writes through ${vip} after the fault`, o.resumeTimeoutMs, async () =>
        load.acks.find((a) => a.at > faultAt && a.host !== null && a.host !== oldWriter) ?? null,
        50,
      ).catch((err: unknown) => {
        problems.push(errorMessage(err));
        return null;
      });
      if (resumed) await sleep(SETTLE_MS);
    } finally {
      await load.stop();
    }
    note(Date.now(), "drill", `load stopped: ${load.acks.length} writes acknowledged, ${load.unacked.length} unacknowledged`);

    if (o.mode === "partition") {
      // The cut ends with the round: the cut-off host's own samples are needed to judge it.
      await clearFault(fleet, "partition", oldWriter);
      note(Date.now(), "drill", `network of ${oldWriter} restored`);
    }

    const gap = writeGap(load.acks, faultAt, (a) => a.host !== null && a.host !== oldWriter);
    const newWriter = gap.firstAfter?.host ?? null;

    // Rows: a marker written through the VIP after everything else; once a host has it, it has
    // everything the writer had before it (replication applies in order).
    const counts: RowCount[] = [];
    const acked = new Set(load.acks.map((a) => writeId(a.client, a.seq)));
    const unacked = new Set(load.unacked.map((a) => writeId(a.client, a.seq)));
    const survivors = dbs.filter((h) => h.name !== failed());
    if (newWriter) {
      await io.beforeCount?.({ run, round, table, acks: load.acks });
      await until(`a marker write through ${vip}`, 20_000, () => writeMarker(open, app, table, run, round, 1).catch(() => null));
      for (const c of await Promise.all(survivors.map((h) => countOn(h.name, round, 1)))) {
        if (typeof c === "string") problems.push(c);
        else counts.push(countRows(c.host, acked, unacked, c.present));
      }
      for (const c of counts) note(Date.now(), "drill", `${c.host}: ${c.rows} rows, ${c.lost.length} lost, ${c.duplicated.length} duplicated`);
    }

    let restore: RoundResult["restore"] = null;
    if (o.restore) restore = await restoreRound(round, oldWriter, note, problems, acked, unacked, counts);

    const samples: RoleSample[] = [];
    for (const c of checkers) {
      const got = await readSamples(fleet, c, offsets.get(c.host) ?? 0).catch((err: unknown) => {
        problems.push(`${c.host}: cannot read the role samples: ${errorMessage(err)}`);
        return [];
      });
      samples.push(...got.filter((s) => s.at >= roundStart));
    }
    const violations = findViolations(samples, allIps);
    for (const v of violations) {
      note(v.from, "checker", v.kind === "two-writers" ? `VIOLATION: ${v.hosts.join(" and ")} both writable` : `VIOLATION: ${v.ip} on ${v.hosts.join(" and ")}`);
    }
    const newHost = newWriter ?? target;
    const writable = firstSampleWhere(samples, faultAt, (s) => s.host === newHost && s.readOnly === false);
    const vipOn = firstSampleWhere(samples, faultAt, (s) => s.host === newHost && s.ips.includes(vip));
    const fenced = firstSampleWhere(samples, faultAt, (s) => s.host === oldWriter && s.readOnly !== false && !s.ips.includes(vip));
    const lastWritable = lastSampleWhere(samples, oldWriter, fenced?.at ?? Infinity, (s) => s.readOnly === false);
    if (lastWritable && lastWritable.at >= faultAt) note(lastWritable.at, "checker", `${oldWriter} last seen writable`);
    if (fenced) note(fenced.at, "checker", `${oldWriter} ${fenced.readOnly === null ? "server down" : "read_only"}, without ${vip}`);
    if (vipOn) note(vipOn.at, "checker", `${newHost} holds ${vip}`);
    if (writable) note(writable.at, "checker", `${newHost} writable`);
    if (gap.lastBefore) events.push({ at: gap.lastBefore.at, source: "clients", text: `last acknowledged write before the gap (on ${gap.lastBefore.host ?? "?"})` });
    const detection = o.mode === "move" ? null : monitorLog.leftOnline(oldWriter, faultAt - 500);
    monitorLog.offLine(onMonitor);

    const lost = counts.reduce((n, c) => n + c.lost.length, 0);
    const duplicated = counts.reduce((n, c) => n + c.duplicated.length, 0);
    return {
      round,
      mode: o.mode,
      oldWriter,
      newWriter,
      faultAt,
      serverStopMs: serverStopAt === null ? null : serverStopAt - faultAt,
      detectionMs: detection ? detection.at - faultAt : null,
      resumedMs: gap.firstAfter ? gap.firstAfter.at - faultAt : null,
      unavailableMs: gap.gapMs,
      vipMs: vipOn ? vipOn.at - faultAt : null,
      writableMs: writable ? writable.at - faultAt : null,
      oldFencedMs: fenced ? fenced.at - faultAt : null,
      acked: load.acks.length,
      unacked: load.unacked.length,
      counts,
      lost,
      duplicated,
      violations,
      restore,
      timeline: events,
      problems,
    };

    function failed(): string | null {
      return o.mode === "move" ? null : oldWriter;
    }
  }

  /** Rows of this round per write id on a host, once the marker has arrived (bounded). */
  async function countOn(host: string, round: number, marker: number): Promise<{ host: string; present: Map<string, number> } | string> {
    const t = `\`${table.database}\`.\`${table.table}\``;
    // run is hex and round/marker are integers: checked, so they may stand in the SQL text.
    if (!/^[0-9a-f]{12}$/.test(run) || !Number.isInteger(round) || !Number.isInteger(marker)) throw new Error("internal: bad drill id");
    const where = `run = '${run}' AND round = ${round}`;
    const r = await fleet.get(host).exec(
      sh`cli=$(command -v mariadb || command -v mysql)
i=0
until [ "$($cli -N -B -e ${`SELECT COUNT(*) FROM ${t} WHERE ${where} AND client = 0 AND seq = ${marker}`})" -ge 1 ] 2>/dev/null; do
  i=$((i + 1)); [ $i -lt ${String(CATCHUP_S * 5)} ] || { echo "MMM-DRILL-BEHIND"; exit 0; }; sleep 0.2
done
$cli -N -B -e ${`SELECT client, seq, COUNT(*) FROM ${t} WHERE ${where} AND client > 0 GROUP BY client, seq`}`,
      { timeoutMs: (CATCHUP_S + 60) * 1000, check: false },
    );
    if (r.stdout.includes("MMM-DRILL-BEHIND")) return `${host}: the drill's marker did not arrive within ${CATCHUP_S} s (replication from the new writer broken or behind?): rows not counted`;
    if (r.code !== 0) return `${host}: cannot count the drill's rows: ${r.stderr.trim()}`;
    const present = new Map<string, number>();
    for (const line of r.stdout.trim().split("\n")) {
      const [c, s, n] = line.split("\t").map(Number);
      if (c !== undefined && s !== undefined && n !== undefined && Number.isInteger(c) && Number.isInteger(s)) present.set(writeId(c, s), n);
    }
    return { host, present };
  }

  async function restoreRound(
    round: number,
    oldWriter: string,
    note: (at: number, source: string, text: string) => void,
    problems: string[],
    acked: ReadonlySet<string>,
    unacked: ReadonlySet<string>,
    counts: RowCount[],
  ): Promise<RoundResult["restore"]> {
    const started = Date.now();
    try {
      if (o.mode === "stop" || o.mode === "kill") {
        await clearFault(fleet, o.mode, oldWriter);
        note(Date.now(), "drill", `mysqld started on ${oldWriter}`);
      }
      // MMM semantics: a returning host may wait in AWAITING_RECOVERY for an operator, so the
      // drill says set_online as one would; the monitor still refuses it while checks fail.
      let failingSince: number | null = null;
      await until(`${oldWriter} ONLINE again`, 120_000, async () => {
        const s = await show();
        const st = stateOf(s, oldWriter);
        if (st === "ONLINE") return s!;
        // Errant transactions (a kill -9 under asynchronous replication) keep it out by design:
        // waiting longer would not bring it back, an operator must (see `mmm control checks`).
        failingSince = st === "REPLICATION_FAIL" ? (failingSince ?? Date.now()) : null;
        if (failingSince !== null && Date.now() - failingSince > REPLICATION_FAIL_PATIENCE_MS) {
          throw new Error(`${oldWriter} stays REPLICATION_FAIL (errant transactions or broken replication; see mmm control checks ${oldWriter})`);
        }
        if (st === "AWAITING_RECOVERY") await control(mon, ["set_online", oldWriter]);
        return null;
      }, 500);
      const onlineMs = Date.now() - started;
      note(Date.now(), "drill", `${oldWriter} ONLINE`);
      const s = await show();
      if (holderOf(s, role.name) !== oldWriter) {
        const a = await control(mon, ["move_role", role.name, oldWriter]);
        note(Date.now(), "drill", `mmm control move_role ${role.name} ${oldWriter}: ${a.output.trim().split("\n")[0]}`);
      }
      // The marker says which server took it: retried until that is the old writer.
      const backAt = await until(`a write through ${vip} lands on ${oldWriter}`, 60_000, async () => {
        const sid = await writeMarker(open, app, table, run, round, 2).catch(() => null);
        return sid !== null && hostOfServerId.get(sid) === oldWriter ? Date.now() : null;
      });
      note(backAt, "drill", `writes go through ${oldWriter} again`);
      const c = await countOn(oldWriter, round, 2);
      if (typeof c === "string") problems.push(c);
      else {
        const rc = countRows(`${oldWriter} (restored)`, acked, unacked, c.present);
        counts.push(rc);
        note(Date.now(), "drill", `${rc.host}: ${rc.rows} rows, ${rc.lost.length} lost, ${rc.duplicated.length} duplicated`);
      }
      return { onlineMs, backMs: backAt - started };
    } catch (err) {
      problems.push(`restore: ${errorMessage(err)}`);
      note(Date.now(), "drill", `restore failed: ${errorMessage(err)}`);
      return null;
    }
  }
}

/** The drill's database and table, created through the VIP as the app account. */
async function prepareTable(open: () => Promise<import("node:stream").Duplex>, app: NonNullable<Inventory["settings"]["app"]>, table: DrillTable): Promise<void> {
  const session = await MysqlSession.openStream("writer VIP", await open(), app, [], `as ${app.user} through the writer VIP`);
  try {
    for (const sql of createTableSql(table)) await session.query(sql);
  } finally {
    await session.close();
  }
}

/** Writes marker (client 0, seq n) through the VIP; returns the server_id that took it. */
async function writeMarker(
  open: () => Promise<import("node:stream").Duplex>,
  app: NonNullable<Inventory["settings"]["app"]>,
  table: DrillTable,
  run: string,
  round: number,
  seq: number,
): Promise<number> {
  const stream = await withTimeout(open(), 2_000, "open a channel to the writer VIP", (late) => late.destroy());
  const session = await withTimeout(
    MysqlSession.openStream("writer VIP", stream, app, [], `as ${app.user} through the writer VIP`),
    3_000,
    "log in through the writer VIP",
    (late) => void late.close(),
  ).catch((err: unknown) => {
    stream.destroy();
    throw err;
  });
  try {
    await withTimeout(session.query(
      `INSERT INTO \`${table.database}\`.\`${table.table}\` (run, round, client, seq, server_id, written_at) VALUES (?, ?, 0, ?, @@server_id, NOW(6))`,
      [run, round, seq],
    ), 3_000, "marker write");
    return session.serverId;
  } finally {
    void session.close().finally(() => stream.destroy());
  }
}
