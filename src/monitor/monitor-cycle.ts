import {
  decide,
  evaluateChecks,
  recordRenewal,
  writerRole,
  type Action,
  type AgentObservation,
  type ChecksState,
  type DecideDeps,
  type Decision,
  type HaConfig,
  type HostObservation,
  type MonitorState,
  type MysqlObservation,
  NOT_OBSERVED,
  type RawCheckResult,
  type RenewalOutcome,
  type Snapshot,
} from "../ha/index.js";
import type { CheckName } from "../mmm-config/model.js";
import type { AgentRequest } from "../protocol/agent-messages.js";
import { actionHost, toAgentRequest, type MonitoredHost } from "./agent-request.js";

/**
 * One monitor cycle — observe → decide → persist → execute — with every piece of IO passed in
 * (MonitorIo), so the whole cycle runs against fakes in unit tests and against sockets in the
 * daemon. Nothing here waits without a bound: every probe and request carries a timeout, and
 * the cycle's length is bounded by roughly the largest check timeout plus the agent timeouts.
 */

export type ProbeResult =
  | { readonly ok: true }
  /** `silent`: the host gave no answer in time (a timeout, not a refusal). */
  | { readonly ok: false; readonly outcome: "error" | "unknown"; readonly message: string; readonly cause: string; readonly silent?: boolean };

export type MysqlProbe =
  | { readonly ok: true; readonly observation: MysqlObservation }
  | {
      readonly ok: false;
      readonly outcome: "error" | "unknown";
      readonly message: string;
      readonly cause: string;
      /** The connect was refused: the host answered and mysqld does not listen (see REFUSED_CONFIRM_MS). */
      readonly refused?: boolean;
      /** No answer in time (a timeout). */
      readonly silent?: boolean;
    };

export type SendResult =
  | { readonly ok: true }
  /** delivered "no": the connection failed before the message left; "maybe": anything later. */
  | { readonly ok: false; readonly delivered: "no" | "maybe"; readonly error: string };

export interface MonitorIo {
  now(): number;
  /** Whether the monitor's own event loop was held up (≥ STALL_MS) within the last `ms`. */
  stalledWithin?(ms: number): boolean;
  /** MMM's ping check of one host. */
  ping(host: MonitoredHost, timeoutMs: number): Promise<ProbeResult>;
  /** Connect (or reuse the connection) as the monitor user: SELECT 1, read_only, GTID, SHOW SLAVE STATUS. */
  probeMysql(host: MonitoredHost, timeoutMs: number): Promise<MysqlProbe>;
  /**
   * The host's executed GTID set again, read after every other host's (ha/index.ts contract);
   * null when there is none to read; rejects when mysqld did not answer.
   */
  readGtid(host: MonitoredHost, timeoutMs: number): Promise<string | null>;
  /** The agent's get-state; null when it does not answer in time. */
  agentState(host: MonitoredHost, timeoutMs: number): Promise<AgentObservation | null>;
  /** Whether the monitor reaches at least one of ping_ips. */
  network(timeoutMs: number): Promise<boolean>;
  /** `unsentBy`: withdraw the request if its connection has not opened when this fires. */
  send(host: MonitoredHost, request: AgentRequest, timeoutMs: number, unsentBy?: AbortSignal): Promise<SendResult>;
  /** Writes status_path atomically (temp file + rename); `durable`: fsync first. */
  persist(state: MonitorState, durable: boolean): Promise<void>;
  log(line: string): void;
  /** Which host answered ARP for each VIP lately (arp-watcher.ts); undefined: not checked. */
  arp?(): Readonly<Record<string, string | null>> | undefined;
  /** Actions the monitor runs itself (alert, kill-host). */
  local?(action: Action): void;
}

export interface CycleContext {
  readonly config: HaConfig;
  readonly hosts: readonly MonitoredHost[];
  readonly deps: DecideDeps;
  /** Bound on one get-state or command to an agent. */
  readonly agentTimeoutMs: number;
  /**
   * Probes of suspect hosts still running from an earlier cycle; the daemon keeps one map for
   * its life. Without it every cycle waits for every probe (bounded by the timeouts).
   */
  readonly inFlight?: Map<string, Promise<HostProbe>>;
  readonly suspectBudgetMs?: number;
  /** Hosts with a wait-catchup request in flight (one at a time per host). */
  readonly catchupInFlight?: Set<string>;
  /**
   * Hosts whose actions from an earlier cycle are still being sent; the daemon keeps one map for
   * its life. With it a cycle waits EXECUTE_BUDGET_MS for each host's actions, not for the
   * slowest agent's timeouts (see execute).
   */
  readonly sending?: Map<string, Promise<void>>;
  /**
   * Per host, when (order()) its last queue holding a request that grants something (add-vip,
   * set-writable) ended, answered or given up on; null while one runs. The daemon keeps one map
   * for its life. See grantsSettled.
   */
  readonly granted?: Map<string, number | null>;
  /**
   * When this monitor process started (its clock). Answers that come back within
   * unansweredLeaseDelayMs of it are booked as unanswered: see runCycle.
   */
  readonly startedAt?: number;
}

export interface LoopState {
  readonly state: MonitorState;
  readonly checks: ChecksState;
  /** `${host}/${check}` → when that check last ran. */
  readonly lastRun: Readonly<Record<string, number>>;
  /** The last snapshot, with `state` as it stands after the cycle (what `mmm control` reads). */
  readonly snapshot: Snapshot | null;
  /** Host → when the last lease renewal was sent to it (not persisted: it only paces renewals). */
  readonly renewedAt?: Readonly<Record<string, number>>;
}

export interface CycleResult {
  readonly loop: LoopState;
  readonly decision: Decision;
  /** Where the cycle's time went (ms), for the daemon's "slow cycle" line. */
  readonly timings: Readonly<Record<string, number>>;
  /** The check results this cycle counted (for `debug 1`). */
  readonly results: readonly RawCheckResult[];
}

/** Runs a check a little early rather than a whole cycle late (timers drift by a few ms). */
const PERIOD_SLACK_MS = 50;

export interface HostProbe {
  readonly raw: readonly RawCheckResult[];
  readonly ran: readonly CheckName[];
  readonly startedAt: number;
  /** Taken from `order()` as the probe began: compared with when grant queues ended (grantsSettled). */
  readonly order: number;
  readonly observation: HostObservation;
}

/**
 * A process-wide sequence for "did this happen before that": unlike the wall clock it cannot
 * step back, which would make every later probe look older than a queue's end.
 */
let sequence = 0;
export function order(): number {
  return ++sequence;
}

/**
 * An event-loop hold-up this long makes timers fire late: a timeout seen around it may be the
 * monitor's own stall, not the host's silence, so it is not counted (see runCycle).
 */
export const STALL_MS = 300;

/** Timeouts observed by this process; results from an earlier cycle's probes keep their tag. */
const SILENCES = new WeakSet<RawCheckResult>();

/** How long a cycle waits for a suspect host's probes (see runCycle). */
export const SUSPECT_BUDGET_MS = 200;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A host whose ping or mysql check is failing or within its trap_period, or whose agent did not
 * answer last cycle: its probes may hang.
 */
function isSuspect(loop: LoopState, host: string): boolean {
  if (loop.snapshot?.observed[host]?.agent === null) return true;
  const checks = loop.checks;
  const byHost = checks.hosts[host];
  return (["ping", "mysql"] as const).some((c) => {
    const s = byHost?.[c];
    return s !== undefined && (!s.ok || s.failingSince !== null);
  });
}

/** The shortest interval between two lease renewals sent to one agent (see runCycle). */
export const RENEW_MIN_INTERVAL_MS = 400;

/** Cycle period while something is about to happen (a check in its trap_period, a writer move). */
export const URGENT_PERIOD_MS = 100;

function isTrapping(checks: ChecksState, host: string, check: CheckName): boolean {
  const s = checks.hosts[host]?.[check];
  return s !== undefined && s.ok && s.failingSince !== null;
}

/**
 * How long to wait before the next cycle: the shortest check_period normally, URGENT_PERIOD_MS
 * while a check is failing within its trap_period or a writer move is under way. trap_period
 * stays a duration, so cycling faster confirms a failure sooner after it lasted trap_period
 * (instead of up to a check_period later) without making it count any earlier.
 */
export function nextCycleDelayMs(loop: LoopState, config: HaConfig): number {
  const period = Math.min(...Object.values(config.checks).map((c) => c.checkPeriodMs), 1000);
  if (loop.state.transition !== null) return Math.min(period, URGENT_PERIOD_MS);
  for (const byHost of Object.values(loop.checks.hosts)) {
    // A host already counted down has nothing left to confirm.
    if (byHost.ping?.ok === false || byHost.mysql?.ok === false) continue;
    for (const s of Object.values(byHost)) if (s && s.ok && s.failingSince !== null) return Math.min(period, URGENT_PERIOD_MS);
  }
  return period;
}

export function initialLoopState(state: MonitorState, checks: ChecksState): LoopState {
  return { state, checks, lastRun: {}, snapshot: null };
}

export async function runCycle(ctx: CycleContext, loop: LoopState, io: MonitorIo): Promise<CycleResult> {
  const { config } = ctx;
  const started = io.now();
  const lastRun: Record<string, number> = { ...loop.lastRun };
  const due = (host: string, check: CheckName) => {
    const last = lastRun[`${host}/${check}`];
    if (last === undefined || started - last >= config.checks[check].checkPeriodMs - PERIOD_SLACK_MS) return true;
    // Within trap_period every run counts, so the failure is confirmed as soon as it has lasted it.
    return isTrapping(loop.checks, host, check);
  };
  const raw: RawCheckResult[] = [];
  const timings: Record<string, number> = {};
  const timed = async <T>(what: string, p: Promise<T>): Promise<T> => {
    const t = io.now();
    try {
      return await p;
    } finally {
      timings[what] = io.now() - t;
    }
  };

  /** One host's probes, in parallel, each bounded by its own timeout; results stamped when they end. */
  const probeHost = async (h: MonitoredHost): Promise<HostProbe> => {
    const begun = order();
    const wants = { ping: due(h.name, "ping"), mysql: due(h.name, "mysql"), rep_threads: due(h.name, "rep_threads"), rep_backlog: due(h.name, "rep_backlog") };
    // Each part timed on its own: a slow probe's log line says which part held it up.
    const [ping, mysql, agent] = await Promise.all([
      wants.ping ? timed(`ping ${h.name}`, io.ping(h, config.checks.ping.timeoutMs)) : Promise.resolve(null),
      timed(`mysql ${h.name}`, io.probeMysql(h, config.checks.mysql.timeoutMs)),
      timed(`get-state ${h.name}`, io.agentState(h, ctx.agentTimeoutMs)),
    ]);
    const at = io.now();
    const out: RawCheckResult[] = [];
    const ran: CheckName[] = [];
    const push = (check: CheckName, r: ProbeResult | MysqlProbe, extra: Partial<RawCheckResult> = {}) => {
      ran.push(check);
      const result: RawCheckResult = r.ok
        ? { host: h.name, check, at, outcome: "ok", message: "OK", ...extra }
        : { host: h.name, check, at, outcome: r.outcome, message: r.message, cause: r.cause, ...extra };
      if (!r.ok && r.silent) SILENCES.add(result);
      out.push(result);
    };
    if (ping) push("ping", ping);
    // A failure is news whether or not the check was due: its trap_period starts now, not a
    // check_period later (the daemon wakes a cycle early when a connection to mysqld is lost).
    if (wants.mysql || !mysql.ok) push("mysql", mysql, !mysql.ok && mysql.refused ? { refused: true } : {});
    if (wants.rep_threads) push("rep_threads", repThreads(mysql));
    if (wants.rep_backlog) {
      const r = mysql.ok ? { ok: true as const } : mysql;
      const backlog = mysql.ok ? (mysql.observation.replication?.secondsBehind ?? null) : undefined;
      push("rep_backlog", r, backlog !== undefined ? { backlog } : {});
    }
    return { raw: out, ran, startedAt: started, order: begun, observation: { agent, mysql: mysql.ok ? mysql.observation : null } };
  };

  // Phase 1: every host in parallel. A suspect host (a check failing or in its trap_period, or a
  // probe still running from an earlier cycle) gets SUSPECT_BUDGET_MS: past that the cycle goes
  // on with it unobserved — the conservative reading, decide() then assumes it may hold anything —
  // and its probe's results join the cycle in which they arrive.
  const writers = writerHosts(loop.state, config);
  const observed: Record<string, HostObservation> = {};
  const inFlight = ctx.inFlight;
  const [network] = await Promise.all([
    io.network(config.checks.ping.timeoutMs),
    ...ctx.hosts.map(async (h) => {
      const pending = inFlight?.get(h.name);
      const t = io.now();
      const probe = (pending ?? probeHost(h)).finally(() => (timings[`probe ${h.name}`] = io.now() - t));
      const suspect = pending !== undefined || isSuspect(loop, h.name);
      let done: HostProbe | null;
      if (inFlight && suspect) {
        done = await Promise.race([probe, sleep(ctx.suspectBudgetMs ?? SUSPECT_BUDGET_MS).then(() => null)]);
        if (done === null) inFlight.set(h.name, probe);
        else inFlight.delete(h.name);
      } else {
        done = await probe;
      }
      if (done === null) {
        observed[h.name] = NOT_OBSERVED;
        return;
      }
      raw.push(...done.raw);
      for (const c of done.ran) lastRun[`${h.name}/${c}`] = done.startedAt;
      observed[h.name] = grantsSettled(ctx, h.name, done.order) ? done.observation : { ...done.observation, grantsPending: true };
    }),
  ]);

  // Phase 2: the writer's GTID set after everyone else's, so a replica cannot look errant for a
  // transaction committed between two reads.
  await Promise.all(
    ctx.hosts
      .filter((h) => writers.has(h.name) && observed[h.name]?.mysql)
      .map(async (h) => {
        const timeoutMs = config.checks.mysql.timeoutMs;
        const gtid = await timed(
          `gtid ${h.name}`,
          io.readGtid(h, timeoutMs).catch(() => {
            // The writer's mysqld failed since its probe (usually: stopped answering): the mysql
            // check's trap_period starts now, not a cycle later.
            const failed: RawCheckResult = { host: h.name, check: "mysql", at: io.now(), outcome: "error", message: "ERROR: re-reading the GTID state failed", cause: "GTID re-read failed" };
            SILENCES.add(failed);
            raw.push(failed);
            return null;
          }),
        );
        const o = observed[h.name]!;
        const { gtidExecuted: _stale, ...mysql } = o.mysql!;
        // Without a fresh read the stale one is dropped rather than risk a false errant verdict.
        observed[h.name] = { ...o, mysql: gtid === null ? mysql : { ...mysql, gtidExecuted: gtid } };
      }),
  );

  // Timeouts of several hosts at once around a hold-up of the monitor itself give no verdict:
  // its timers fired late, so hosts that answered in time look silent, all together. They
  // neither count nor clear a failure; refusals and answers still do, and one host's silence
  // (a cut cable) still counts.
  const longest = Math.max(...Object.values(config.checks).map((c) => c.timeoutMs), ctx.agentTimeoutMs);
  const silences = raw.filter((r) => SILENCES.has(r));
  const silent = [...new Set(silences.map((r) => r.host))];
  if (silent.length > 1 && io.stalledWithin?.(longest + STALL_MS)) {
    raw.splice(0, raw.length, ...raw.filter((r) => !SILENCES.has(r)));
    io.log(`not counting timeouts of ${silent.join(", ")}: the monitor itself was held up ${STALL_MS} ms or more within the last ${longest + STALL_MS} ms`);
  }
  const now = io.now();
  const checks = evaluateChecks(loop.checks, raw, now, config, { network });
  const arp = io.arp?.();
  const snapshot: Snapshot = { config, state: loop.state, checks, observed, network, ...(arp ? { arp } : {}) };
  const decision = decide(snapshot, now, ctx.deps);

  // Renewals all carry one send time. Lease times alone are never written: a restarted monitor
  // counts every lease as renewed, unanswered, at its start (adoptMonitorState), so a quiet cycle
  // costs no write (a rename per cycle stalls on a disk busy with the databases).
  // Strictly increasing within the process, even if the clock steps back: an answered renewal
  // supersedes earlier ones only because the agent accepts increasing send times (lease.ts).
  const clock = io.now();
  const renewAt = Math.max(clock, ...Object.values(loop.renewedAt ?? {}).map((t) => t + 1));
  // decide() renews every lease every cycle; while the monitor cycles fast (a check in its
  // trap_period, a writer move) that would be ten requests a second per agent. A renewal sent
  // less than RENEW_MIN_INTERVAL_MS ago is enough: the lease is several times longer. (After
  // the clock stepped back, every renewal is due.)
  const renewedAt: Record<string, number> = { ...loop.renewedAt };
  const actions = decision.actions.filter((a) => {
    if (a.kind !== "renew-lease") return true;
    const since = clock - (renewedAt[a.host] ?? -Infinity);
    return !(since >= 0 && since < RENEW_MIN_INTERVAL_MS);
  });
  const renewals = actions.filter((a) => a.kind === "renew-lease");
  // A change is always written before its actions go out (a monitor process that dies then
  // restarts from it) and fsynced — first only when it must be (durableFirst), otherwise right
  // after the actions are sent: the fsync costs hundreds of ms on a busy disk, twice per failover.
  const first = decision.changed && durableFirst(loop.state, actions, config);
  if (decision.changed) await timed("persist", io.persist(decision.next, first));

  if (decision.changed) io.log(decision.reason);
  for (const e of decision.events) io.log(e);

  const outcomes = await timed("execute", execute(ctx, actions, renewAt, io, timings));
  let after = decision.next;
  // An answer supersedes earlier renewals because the agent accepts only increasing send times.
  // A previous monitor process may have sent larger ones (if the clock stepped back across the
  // restart) that are still in flight; each starts a lease by its send time + the unanswered
  // delay, which is before this process's start + that delay (adoptMonitorState's bound). So
  // until then an answer only counts as a renewal sent, not as a bound.
  const trustFrom = (ctx.startedAt ?? -Infinity) + config.unansweredLeaseDelayMs;
  for (const a of renewals) {
    const told = outcomes.get(a.host) ?? { kind: "unanswered" };
    const outcome: RenewalOutcome = told.kind === "answered" && told.at < trustFrom ? { kind: "unanswered" } : told;
    if (outcome.kind !== "not-sent") renewedAt[a.host] = renewAt;
    after = recordRenewal(after, a.host, renewAt, outcome, config);
  }
  // The renewals went out whatever the disk says: their bookings must reach the next cycle.
  if (decision.changed && !first) await timed("fsync", io.persist(after, true)).catch((err: unknown) => io.log(`status file: ${(err as Error).message}`));

  return {
    loop: { state: after, checks, lastRun, snapshot: { ...snapshot, state: after }, renewedAt },
    decision,
    timings,
    results: raw,
  };
}

/**
 * Whether a cycle's state must be on disk before its actions go out, so an OS crash of the
 * monitor host cannot forget it. Only for making a host the writer (read_only off, the writer
 * VIP) outside a writer move: a move's target was fsynced when the move started, so a monitor
 * that lost the promotion resumes the same move and promotes the same host. Everything else —
 * fencing, removals, reader VIPs, host states — may be lost that way: the monitor restarts long
 * after every lease ran out, from the older state, and observes again.
 */
export function durableFirst(prev: MonitorState, actions: readonly Action[], config: HaConfig): boolean {
  const writerIps = new Set(writerRole(config).ips);
  return actions.some(
    (a) => (a.kind === "set-writable" || (a.kind === "add-vip" && writerIps.has(a.ip))) && prev.transition?.to !== a.host,
  );
}

/** Hosts whose GTID set is the reference for the others: the writer and a writer being moved away. */
function writerHosts(state: MonitorState, config: HaConfig): Set<string> {
  const ips = new Set(writerRole(config).ips);
  const out = new Set<string>();
  for (const a of state.roles) if (ips.has(a.ip) && a.host !== null) out.add(a.host);
  if (state.transition?.from) out.add(state.transition.from);
  return out;
}

function repThreads(mysql: MysqlProbe): ProbeResult {
  if (!mysql.ok) return mysql;
  const r = mysql.observation.replication;
  if (r === null) return { ok: false, outcome: "error", message: "ERROR: Replication is not set up", cause: "no replication configured" };
  if (r.ioRunning && r.sqlRunning) return { ok: true };
  const which = [!r.ioRunning ? "IO" : null, !r.sqlRunning ? "SQL" : null].filter(Boolean).join(" and ");
  return { ok: false, outcome: "error", message: "ERROR: Replication is broken", cause: `${which} thread not running` };
}

/**
 * May an agent's answer to a probe (begun at `probeOrder`, see order()) prove a grant void? The
 * agent answers get-state only after every request it received before it (one queue), so the
 * risk is a request the monitor had not sent yet: one queued behind a slow action of an earlier
 * cycle. If it grants a VIP or write access, decide would take the answer "no VIP, read_only" as
 * proof that the grant never took (forgetDisprovedGrants), could move the writer elsewhere, and
 * the late request would make a second holder. So while such a queue runs, and for a probe begun
 * before it ended, the observation carries grantsPending: decide keeps the host's grants until
 * its lease ends, and everything else (checks, eligibility, fencing) reads the answer as usual.
 * (test/unit/ha-never-two-writers.test.ts fails without this rule.)
 */
export function grantsSettled(ctx: Pick<CycleContext, "granted">, host: string, probeOrder: number): boolean {
  const ended = ctx.granted?.get(host);
  return ended === undefined || (ended !== null && ended < probeOrder);
}

const GRANTING = new Set<Action["kind"]>(["add-vip", "set-writable"]);

/** How long a cycle waits for one host's actions before leaving them to finish on their own. */
export const EXECUTE_BUDGET_MS = 300;

/**
 * Sends the actions: one queue per host, in decide's order within a host, hosts in parallel.
 * Order across hosts is not needed for safety — decide grants nothing to one host until an
 * observation or an expired lease shows no other host holds it — and parallel queues keep a
 * cycle as short as its slowest agent. After a host fails to answer, its remaining actions this
 * cycle are skipped (the next cycle decides again), so one dead agent costs one timeout, not one
 * per action. With ctx.sending, a queue still running after EXECUTE_BUDGET_MS goes on without
 * the cycle, and later cycles send that host nothing until it ends: an unreachable agent's
 * timeouts then cannot hold back the cycle that promotes another host. A renewal still
 * connecting when the cycle moves on is withdrawn, and one not yet reached is skipped: neither is
 * sent, so a cut-off host's lease bound does not grow. wait-catchup is not awaited: it only
 * speeds up the next cycles. Returns what became of each renewal: one sent and not answered
 * within the cycle counts as unanswered.
 */
async function execute(
  ctx: CycleContext,
  actions: readonly Action[],
  renewAt: number,
  io: MonitorIo,
  timings: Record<string, number> = {},
): Promise<Map<string, RenewalOutcome>> {
  const outcomes = new Map<string, RenewalOutcome>();
  const queues = new Map<string, Action[]>();
  for (const action of actions) {
    if (action.kind === "alert" || action.kind === "kill-host") {
      io.log(action.kind === "alert" ? `ALERT (${action.situation}): ${action.message}` : `kill-host ${action.host}: its agent cannot be told anything`);
      io.local?.(action);
      continue;
    }
    const name = actionHost(action);
    if (name === null || !ctx.hosts.some((h) => h.name === name)) continue;
    // Not sent until it is: one left queued when the cycle moves on is skipped.
    if (action.kind === "renew-lease") outcomes.set(name, { kind: "not-sent" });
    const q = queues.get(name) ?? [];
    q.push(action);
    queues.set(name, q);
  }
  const late = new AbortController();
  const run = async (name: string, queue: readonly Action[]): Promise<void> => {
    const grants = queue.some((a) => GRANTING.has(a.kind));
    if (grants) ctx.granted?.set(name, null);
    try {
      await runQueue(name, queue);
    } finally {
      if (grants) ctx.granted?.set(name, order());
    }
  };
  const runQueue = async (name: string, queue: readonly Action[]): Promise<void> => {
    const host = ctx.hosts.find((h) => h.name === name)!;
    for (const action of queue) {
      if (action.kind === "renew-lease" && late.signal.aborted) {
        outcomes.set(name, { kind: "not-sent" });
        continue;
      }
      const now = io.now();
      const request = toAgentRequest(action, ctx.hosts, action.kind === "renew-lease" ? renewAt : now, now);
      if (request === null) continue;
      if (action.kind === "renew-lease") outcomes.set(name, { kind: "unanswered" });
      if (request.kind === "wait-catchup") {
        const inflight = ctx.catchupInFlight;
        if (inflight?.has(name)) continue;
        inflight?.add(name);
        void io.send(host, request, request.timeoutMs + ctx.agentTimeoutMs).then((r) => {
          inflight?.delete(name);
          if (!r.ok) io.log(`wait-catchup on ${name}: ${r.error}`);
        });
        continue;
      }
      const r = await io.send(host, request, ctx.agentTimeoutMs, action.kind === "renew-lease" ? late.signal : undefined);
      const key = `${request.kind} ${name}`;
      timings[key] = (timings[key] ?? 0) + io.now() - now;
      if (action.kind === "renew-lease") {
        outcomes.set(name, r.ok ? { kind: "answered", at: io.now() } : r.delivered === "no" ? { kind: "not-sent" } : { kind: "unanswered" });
      }
      if (r.ok) continue;
      io.log(`${action.kind} on ${name} failed: ${r.error}`);
      return;
    }
  };
  const sending = ctx.sending;
  await Promise.all(
    [...queues].map(async ([name, queue]) => {
      if (!sending) return run(name, queue);
      if (sending.has(name)) {
        if (queue.some((a) => a.kind === "renew-lease")) outcomes.set(name, { kind: "not-sent" });
        return;
      }
      const done = run(name, queue).finally(() => sending.delete(name));
      sending.set(name, done);
      await Promise.race([done, sleep(EXECUTE_BUDGET_MS)]);
    }),
  );
  // Withdrawn renewals settle as not sent before the outcomes are read (the rejection is
  // synchronous; its continuation needs a turn of the event loop).
  late.abort();
  await new Promise((r) => setImmediate(r));
  // A copy: a renewal answered after this cycle stays booked as unanswered.
  return new Map(outcomes);
}
