/**
 * "Never two writers, never one VIP on two hosts" over many generated histories.
 *
 * A small simulated world runs the real core end to end: per host a mysqld (read_only, GTID
 * counts per origin, a replication source, a relay log that a LOCK TABLES can block), a network
 * link that can be cut, an agent whose command channel can fail and which enforces its lease with
 * agentLeaseStep (modelled as surviving agent crashes: VIP lifetimes / a watchdog, see the
 * report), and clients writing to every host that accepts writes. The monitor loop is the real
 * one: raw check results → evaluateChecks → snapshot → (random control command) → decide →
 * actions executed in order against the world → recordRenewal with what the monitor learnt.
 *
 * Random events: mysqld kill/start, network cut/restore, agent channel loss, agent restart,
 * observation timeouts, renewals delayed up to 3 × maxMessageAge and their answers lost, clock skew (leases on
 * each agent's own monotonic clock, message ages on its skewed wall clock), LOCK TABLES on a
 * replica, resync of a broken host, monitor restart with and without its status file, the
 * monitor losing its own network, and commands (move_role [--force], set_online/offline, modes).
 * Requests go out as monitor-cycle sends them — one queue per host, nothing new to a host whose
 * earlier queue still runs — and now and then take long: they land cycles later, or not at all
 * after the monitor's timeout.
 * Time steps from 0.1 s to 6 s, so leases expire at every phase of a move.
 *
 * After every event, every agent tick and every single action: at most one host accepts writes
 * and no VIP is configured on two hosts. Failing runs print their seed and the last steps.
 */
import { describe, expect, it } from "vitest";
import {
  CHECK_NAMES,
  DEFAULT_LEASE_TIMING,
  EMPTY_CHECKS,
  NO_LEASE,
  agentLeaseStep,
  agentMayHoldRoles,
  decide,
  evaluateChecks,
  haConfigFromMmm,
  initialMonitorState,
  parseControlCommand,
  adoptMonitorState,
  agentLeaseOptions,
  recordRenewal,
  runControlCommand,
  type Action,
  type AgentLeaseState,
  type ChecksState,
  type HaConfig,
  type HostObservation,
  type MonitorState,
  type RawCheckResult,
  type RenewalOutcome,
} from "../../src/ha/index.js";
import { RECOMMENDED_CHECKS, parseMmmConfig } from "../../src/mmm-config/index.js";
import { readFileSync } from "node:fs";
import { join } from "node:path";

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DIR = join(import.meta.dirname, "../fixtures/mmm-config/tutorial");
const mmm = parseMmmConfig(readFileSync(join(DIR, "mmm_mon.conf"), "utf8"), "mmm_mon.conf", (n) => readFileSync(join(DIR, n), "utf8"));
const LEASE_OPTIONS = agentLeaseOptions(DEFAULT_LEASE_TIMING);
const CONFIG: HaConfig = {
  ...haConfigFromMmm({ ...mmm, checks: RECOMMENDED_CHECKS }),
  autoSetOnlineMs: 5000,
  maxCatchupWaitMs: 4000,
  flapDurationMs: 30_000,
};
const NAMES = CONFIG.hosts.map((h) => h.name);
const UUID = (h: string) => `00000000-0000-0000-0000-0000000000${NAMES.indexOf(h) + 1}`.slice(-36).padStart(36, "0");

interface Host {
  name: string;
  mysqld: boolean;
  net: boolean;
  agentChannel: boolean;
  readOnly: boolean;
  vips: Set<string>;
  lease: AgentLeaseState;
  /** The agent's wall clock minus the monitor's (judges message ages). */
  skew: number;
  /** The agent's lease clock minus the monitor's: a monotonic clock unrelated to either wall clock. */
  leaseClock: number;
  executed: Record<string, number>;
  relay: Record<string, number>;
  source: string | null;
  locked: boolean;
  bootAt: number;
}

/** The monitor's agent request timeout and its per-cycle wait for a host's queue (monitor-cycle.ts). */
const AGENT_TIMEOUT_MS = 1000;
const EXECUTE_BUDGET_MS = 300;
/**
 * The monitor's rule (monitor-cycle's grantsSettled): while a queue holding a request that grants
 * a VIP or write access still runs on the monitor's side, the host's answers carry grantsPending,
 * so they prove no grant void. The last test runs the world without it and expects a violation.
 */
interface WorldOptions {
  readonly grantsPendingRule: boolean;
}

interface InFlight {
  readonly a: Action;
  /** When the monitor sends it. */
  readonly sentAt: number;
  /** When the agent has applied it. */
  readonly at: number;
}

class World {
  readonly hosts = new Map<string, Host>();
  /** Per host, requests the agent has not yet applied (sent or still queued at the monitor), in order. */
  readonly pending = new Map<string, InFlight[]>();
  /** Per host, until when the monitor's queue for it runs (it sends the host nothing new till then). */
  readonly sendingUntil = new Map<string, number>();
  log: string[] = [];
  writesAccepted = 0;
  constructor(
    readonly rnd: () => number,
    readonly opts: WorldOptions,
  ) {
    for (const hc of CONFIG.hosts) {
      this.hosts.set(hc.name, {
        name: hc.name,
        mysqld: true,
        net: true,
        agentChannel: true,
        readOnly: true,
        vips: new Set(),
        lease: NO_LEASE,
        skew: Math.round((rnd() - 0.5) * 2 * 400),
        leaseClock: Math.round((rnd() - 0.5) * 2e9),
        executed: {},
        relay: {},
        source: hc.mode === "master" ? (hc.peer ?? null) : "db1",
        locked: false,
        bootAt: 0,
      });
    }
  }
  h(name: string): Host {
    return this.hosts.get(name)!;
  }
  reachable(h: Host): boolean {
    return h.net && h.agentChannel;
  }
  writable(h: Host): boolean {
    return h.mysqld && !h.readOnly;
  }
  assertSafe(now: number, what: string): void {
    const writers = [...this.hosts.values()].filter((h) => this.writable(h)).map((h) => h.name);
    if (writers.length > 1) throw new Error(`t=${now}: two writable hosts ${writers.join(", ")} after ${what}`);
    const owners = new Map<string, string[]>();
    for (const h of this.hosts.values()) for (const ip of h.vips) owners.set(ip, [...(owners.get(ip) ?? []), h.name]);
    for (const [ip, hs] of owners) if (hs.length > 1) throw new Error(`t=${now}: VIP ${ip} on ${hs.join(", ")} after ${what}`);
  }
  gtid(set: Record<string, number>): string {
    return Object.keys(set)
      .sort()
      .filter((o) => set[o]! > 0)
      .map((o) => `${UUID(o)}:1-${set[o]}`)
      .join(",");
  }
  /** The agent's own lease check, at its worst: one agent tick after expiry. */
  tickAgents(now: number): void {
    for (const h of this.hosts.values()) {
      if (h.lease.expiresAt === null || now + h.leaseClock < h.lease.expiresAt + 100) continue;
      const r = agentLeaseStep(h.lease, { kind: "tick" }, h.lease.expiresAt + 100, LEASE_OPTIONS);
      h.lease = r.state;
      for (const a of r.actions) this.agentAct(h, a.kind);
      this.assertSafe(now, `lease expiry on ${h.name}`);
    }
  }
  agentAct(h: Host, kind: "drop-vips" | "set-read-only" | "kill-clients"): void {
    if (kind === "drop-vips") h.vips.clear();
    if (kind === "set-read-only") h.readOnly = true;
  }
  busy(name: string, now: number): boolean {
    return (this.sendingUntil.get(name) ?? 0) > now;
  }
  /** A request granting a VIP or write access is queued at the monitor, not yet sent. */
  grantQueued(name: string, now: number): boolean {
    return (this.pending.get(name) ?? []).some(({ a, sentAt }) => sentAt > now && (a.kind === "add-vip" || a.kind === "set-writable"));
  }
  /** The agent is working through a request: a get-state waits behind it (one queue) and times out. */
  agentBusy(name: string, now: number): boolean {
    return (this.pending.get(name) ?? []).some(({ sentAt, at }) => sentAt <= now && at > now);
  }
  /** Requests that reach their agent by `now`, each judged at its own time. */
  deliver(now: number): void {
    for (const [name, q] of this.pending) {
      while (q.length > 0 && q[0]!.at <= now) {
        const { a, at } = q.shift()!;
        this.log.push(`t=${at} delivered late: ${a.kind} ${name}`);
        this.execute(a, at);
        this.assertSafe(at, `late ${a.kind} ${name}`);
      }
    }
  }
  /** How long one request takes: mostly quick, now and then slow, rarely past the monitor's timeout. */
  requestMs(): number {
    const r = this.rnd();
    if (r < 0.85) return Math.floor(this.rnd() * 20);
    if (r < 0.95) return 20 + Math.floor(this.rnd() * 480);
    return 500 + Math.floor(this.rnd() * 1000);
  }
  /**
   * One cycle's requests to one host, as monitor-cycle's execute() sends them: nothing while the
   * monitor's earlier queue for the host still runs; in order, each sent when the one before it
   * was answered; what is answered within EXECUTE_BUDGET_MS is done when the cycle goes on, the
   * rest lands later. A request not answered within AGENT_TIMEOUT_MS ends the queue (the rest is
   * skipped): the agent either never got it, or got it in time and applies it late, behind its own
   * queue (it judges a message's age at receipt). Renewals: withdrawn once the budget is spent.
   * Returns the renewal's fate.
   */
  send(name: string, queue: readonly Action[], now: number): RenewalOutcome | undefined {
    const renews = queue.some((a) => a.kind === "renew-lease");
    if (this.busy(name, now)) return renews ? { kind: "not-sent" } : undefined;
    const q = this.pending.get(name) ?? [];
    this.pending.set(name, q);
    let t = now;
    let renewal: RenewalOutcome | undefined;
    for (const a of queue) {
      if (a.kind === "renew-lease") {
        renewal = t - now > EXECUTE_BUDGET_MS ? { kind: "not-sent" } : this.execute(a, now);
        continue;
      }
      const sentAt = t;
      // The agent's queue: behind whatever it still works on from earlier cycles.
      const at = Math.max(sentAt, q.at(-1)?.at ?? 0) + this.requestMs();
      const timedOut = at - sentAt > AGENT_TIMEOUT_MS;
      t = timedOut ? sentAt + AGENT_TIMEOUT_MS : at;
      if (timedOut && this.rnd() < 0.5) break;
      if (at - now <= EXECUTE_BUDGET_MS && q.length === 0) {
        this.execute(a, now);
        this.assertSafe(now, `${a.kind} ${name}`);
      } else q.push({ a, sentAt, at });
      if (timedOut) break;
    }
    this.sendingUntil.set(name, t);
    return renewal;
  }
  restartAgent(h: Host, now: number): void {
    // Its connections die with it: requests on their way are lost (the monitor's queue goes on).
    this.pending.set(h.name, (this.pending.get(h.name) ?? []).filter((p) => p.sentAt > now));
    const r = agentLeaseStep(h.lease, { kind: "start" }, now + h.leaseClock, LEASE_OPTIONS);
    h.lease = r.state;
    for (const a of r.actions) this.agentAct(h, a.kind);
  }
  /** Executes one action; for a renewal, returns what the monitor learns of it. */
  execute(a: Action, now: number): RenewalOutcome {
    const none: RenewalOutcome = { kind: "not-sent" };
    if (a.kind === "alert" || a.kind === "wait-catchup") return none;
    const h = this.h(a.host);
    if (!this.reachable(h)) return a.kind === "renew-lease" && this.rnd() < 0.3 ? { kind: "unanswered" } : none; // sent, outcome unknown
    const agentNow = now + h.skew;
    switch (a.kind) {
      case "renew-lease": {
        // Up to three times the allowed age: a late renewal is accepted but must grant less.
        const delay = Math.floor(this.rnd() * 3 * CONFIG.maxMessageAgeMs);
        // Applied at once with the expiry it gets on receipt (later is never less safe here).
        const r = agentLeaseStep(h.lease, { kind: "renew", sentAt: now, leaseMs: a.leaseMs, wallAt: agentNow + delay }, now + delay + h.leaseClock, LEASE_OPTIONS);
        // A refused renewal is answered with an error: the monitor books it as unanswered.
        if (r.state === h.lease) return { kind: "unanswered" };
        h.lease = r.state;
        // The answer comes back after receipt, or is lost.
        return this.rnd() < 0.2 ? { kind: "unanswered" } : { kind: "answered", at: now + delay + Math.floor(this.rnd() * 50) };
      }
      case "fence":
        for (const ip of a.ips) h.vips.delete(ip);
        h.readOnly = true;
        return none;
      case "set-read-only":
        h.readOnly = true;
        return none;
      case "set-writable":
        if (h.mysqld && agentMayHoldRoles(h.lease, now + h.leaseClock)) h.readOnly = false;
        return none;
      case "add-vip":
        if (agentMayHoldRoles(h.lease, now + h.leaseClock)) h.vips.add(a.ip);
        return none;
      case "remove-vip":
        h.vips.delete(a.ip);
        return none;
      case "repoint-replica":
        h.source = a.source;
        return none;
      case "kill-host":
        this.pending.delete(h.name);
        h.mysqld = false;
        h.vips.clear();
        h.lease = NO_LEASE;
        return none;
      case "announce-vip":
        return none;
    }
  }
  /** Clients write where writes are accepted; replication copies and applies. */
  flow(): void {
    for (const h of this.hosts.values()) {
      if (this.writable(h) && h.net) {
        h.executed[h.name] = (h.executed[h.name] ?? 0) + 1;
        this.writesAccepted++;
      }
    }
    for (const h of this.hosts.values()) {
      const s = h.source !== null ? this.h(h.source) : null;
      if (!h.mysqld || !h.net) continue;
      if (s && s.mysqld && s.net) for (const [o, n] of Object.entries(s.executed)) h.relay[o] = Math.max(h.relay[o] ?? 0, n);
      if (!h.locked) for (const [o, n] of Object.entries(h.relay)) h.executed[o] = Math.max(h.executed[o] ?? 0, n);
    }
  }
  ioRunning(h: Host): boolean {
    const s = h.source !== null ? this.h(h.source) : null;
    return s !== null && s.mysqld && s.net && h.net;
  }
  checkResults(now: number): RawCheckResult[] {
    const out: RawCheckResult[] = [];
    for (const h of this.hosts.values()) {
      const res = (check: (typeof CHECK_NAMES)[number], ok: boolean, cause: string, backlog?: number): RawCheckResult => ({
        host: h.name,
        check,
        at: now,
        outcome: ok ? "ok" : "error",
        message: ok ? "OK" : `ERROR: ${cause}`,
        cause,
        ...(backlog !== undefined ? { backlog } : {}),
      });
      out.push(res("ping", h.net, "no answer"));
      out.push(res("mysql", h.net && h.mysqld, "connection refused"));
      const up = h.net && h.mysqld;
      out.push(res("rep_threads", up && this.ioRunning(h), "Replication is broken"));
      const lag = h.locked ? 120 : 0;
      out.push(up ? res("rep_backlog", true, "", lag) : res("rep_backlog", false, "connect error"));
    }
    return out;
  }
  observe(now: number, glitch: number): Record<string, HostObservation> {
    const out: Record<string, HostObservation> = {};
    for (const h of this.hosts.values()) {
      const agentOk = this.reachable(h) && this.rnd() >= glitch && !this.agentBusy(h.name, now);
      const mysqlOk = h.net && h.mysqld && this.rnd() >= glitch;
      const s = h.source;
      out[h.name] = {
        agent: agentOk ? { vips: [...h.vips], writable: h.mysqld ? !h.readOnly : null, uptime: Math.floor((now - h.bootAt) / 1000) } : null,
        ...(this.opts.grantsPendingRule && this.grantQueued(h.name, now) ? { grantsPending: true } : {}),
        mysql: mysqlOk
          ? {
              readOnly: h.readOnly,
              gtidExecuted: this.gtid(h.executed),
              replication:
                s === null
                  ? null
                  : {
                      source: s,
                      ioRunning: this.ioRunning(h),
                      sqlRunning: !h.locked,
                      secondsBehind: h.locked ? 120 : 0,
                      retrievedGtid: this.gtid({ ...h.executed, ...Object.fromEntries(Object.entries(h.relay).map(([o, n]) => [o, Math.max(n, h.executed[o] ?? 0)])) }),
                      usingGtid: true,
                    },
            }
          : null,
      };
    }
    return out;
  }
}

interface RunStats {
  promotions: number;
  writes: number;
  codes: Set<string>;
}

function runHistory(seed: number, steps: number, opts: WorldOptions = { grantsPendingRule: true }): RunStats {
  const rnd = mulberry32(seed);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const world = new World(rnd, opts);
  let now = 1_700_000_000_000;
  let state: MonitorState = initialMonitorState(CONFIG, now, { hostState: rnd() < 0.5 ? "ONLINE" : "AWAITING_RECOVERY" });
  let checks: ChecksState = EMPTY_CHECKS;
  // The status file: written only by cycles that change something (monitor-cycle.ts).
  let persisted = state;
  let monitorNet = true;
  const stats: RunStats = { promotions: 0, writes: 0, codes: new Set() };
  let lastWriter: string | null = null;
  for (const h of world.hosts.values()) world.restartAgent(h, now);

  try {
    for (let i = 0; i < steps; i++) step(i);
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n--- last cycles ---\n${world.log.slice(-40).join("\n")}`);
  }
  stats.writes = world.writesAccepted;
  return stats;

  function step(_i: number): void {
    const dt = rnd() < 0.1 ? 2000 + Math.floor(rnd() * 4000) : 100 + Math.floor(rnd() * 1400);
    now += dt;
    const events: string[] = [];
    const hosts = [...world.hosts.values()];
    // failures, now and then
    if (rnd() < 0.08) {
      const h = pick(hosts);
      const r = rnd();
      if (r < 0.3) [h.mysqld, events[0]] = [false, `kill mysqld ${h.name}`];
      else if (r < 0.55) [h.net, events[0]] = [false, `cut ${h.name}`];
      else if (r < 0.7) [h.agentChannel, events[0]] = [false, `agent channel ${h.name} down`];
      else if (r < 0.8) {
        world.restartAgent(h, now);
        events[0] = `agent restart ${h.name}`;
      } else if (r < 0.9) [h.locked, events[0]] = [true, `LOCK TABLES on ${h.name}`];
      else if (r < 0.95) {
        // What the daemon does: the last changed state it wrote, fitted (leases counted from now).
        state = adoptMonitorState(persisted, CONFIG, now);
        checks = EMPTY_CHECKS;
        events[0] = "monitor restart with status";
      } else if (r < 0.97) {
        state = initialMonitorState(CONFIG, now);
        persisted = state;
        checks = EMPTY_CHECKS;
        events[0] = "monitor restart without status";
      } else [monitorNet, events[0]] = [false, "monitor network down"];
    }
    // recoveries, more often
    for (const h of hosts) {
      if (!h.mysqld && rnd() < 0.15) [h.mysqld, h.readOnly] = [true, true], events.push(`start mysqld ${h.name}`);
      if (!h.net && rnd() < 0.15) [h.net] = [true], events.push(`restore ${h.name}`);
      if (!h.agentChannel && rnd() < 0.2) [h.agentChannel] = [true], events.push(`agent channel ${h.name} up`);
      if (h.locked && rnd() < 0.1) [h.locked] = [false], events.push(`UNLOCK TABLES on ${h.name}`);
      if (state.hosts[h.name]?.errant && rnd() < 0.05) {
        const w = hosts.find((x) => world.writable(x)) ?? world.h("db1");
        [h.executed, h.relay] = [{ ...w.executed }, { ...w.executed }];
        events.push(`resync ${h.name} from ${w.name}`);
      }
    }
    if (!monitorNet && rnd() < 0.3) [monitorNet] = [true], events.push("monitor network up");
    const event = events.join("; ");
    world.log.push(`t=${now} ${event}`);
    world.assertSafe(now, event || "time passing");
    world.deliver(now);
    world.tickAgents(now);

    // --- the monitor cycle ---
    const raw = monitorNet ? world.checkResults(now) : [];
    checks = evaluateChecks(checks, raw, now, CONFIG, { network: monitorNet });
    const observed = monitorNet ? world.observe(now, 0.03) : Object.fromEntries(NAMES.map((n) => [n, { agent: null, mysql: null }]));
    let snapshot = { config: CONFIG, state, checks, observed, network: monitorNet };
    if (rnd() < (state.mode === "ACTIVE" ? 0.04 : 0.15)) {
      const line =
        state.mode !== "ACTIVE" && rnd() < 0.6
          ? "set_active"
          : pick([
              `set_online ${pick(NAMES)}`,
              `set_online ${pick(NAMES)}`,
              `set_online ${pick(NAMES)}`,
              `move_role writer ${pick(["db1", "db2"])}`,
              `move_role writer ${pick(["db1", "db2"])}`,
              `move_role --force writer ${pick(["db1", "db2"])}`,
              `set_offline ${pick(NAMES)}`,
              `move_role reader ${pick(NAMES)}`,
              "set_manual",
              "set_passive",
            ]);
      const cmd = parseControlCommand(line);
      if (!("invalid" in cmd)) {
        const res = runControlCommand(snapshot, cmd, now);
        world.log.push(`  ${line} → ${res.output.split("\n")[0]}`);
        snapshot = { ...snapshot, state: res.next };
      }
    }
    const d = decide(snapshot, now);
    stats.codes.add(d.code);
    world.log.push(`  ${d.code}: ${d.reason}`);
    state = d.next;
    if (d.changed) persisted = d.next;
    // One queue per host, in decide's order (monitor-cycle.ts); kill-host runs on the monitor.
    const queues = new Map<string, Action[]>();
    for (const a of d.actions) {
      if (a.kind === "alert" || a.kind === "wait-catchup") continue;
      if (a.kind === "kill-host") {
        if (monitorNet) world.execute(a, now);
        world.assertSafe(now, `kill-host ${a.host} (${d.code}: ${d.reason})`);
        continue;
      }
      queues.set(a.host, [...(queues.get(a.host) ?? []), a]);
    }
    for (const [name, q] of queues) {
      const renewal = monitorNet ? world.send(name, q, now) : q.some((a) => a.kind === "renew-lease") ? ({ kind: "not-sent" } as const) : undefined;
      if (renewal) state = recordRenewal(state, name, now, renewal, CONFIG);
    }
    const writer = [...world.hosts.values()].find((x) => world.writable(x))?.name ?? null;
    if (writer !== null && writer !== lastWriter) {
      if (lastWriter !== null) stats.promotions++;
      lastWriter = writer;
    }
    world.flow();
    world.assertSafe(now, "client writes");
    if (world.log.length > 400) world.log = world.log.slice(-200);
  }
}

describe("never two writers, never one VIP on two hosts", () => {
  const RUNS = 400;
  const STEPS = 250;

  it(`holds over ${RUNS} random histories of ${STEPS} monitor cycles, with failovers actually happening`, () => {
    let promotions = 0;
    let writes = 0;
    let runsWithFailover = 0;
    const codes = new Set<string>();
    for (let seed = 1; seed <= RUNS; seed++) {
      let stats: RunStats;
      try {
        stats = runHistory(seed, STEPS);
      } catch (err) {
        throw new Error(`seed ${seed}: ${err instanceof Error ? err.message : String(err)}`);
      }
      promotions += stats.promotions;
      writes += stats.writes;
      if (stats.promotions > 0) runsWithFailover++;
      for (const c of stats.codes) codes.add(c);
    }
    // The property is only worth something if the core really moves the writer around.
    expect(runsWithFailover).toBeGreaterThan(RUNS / 2);
    expect(promotions).toBeGreaterThan(RUNS);
    expect(writes).toBeGreaterThan(RUNS * STEPS * 0.3);
    for (const c of ["WriterDead", "WriterUnreachable", "AwaitingFence", "AwaitingCatchup", "WriterFenced", "NoWriter"]) expect(codes).toContain(c);
  });

  it("fails without the monitor's grantsPending rule: the model can find the hole that rule closes", { timeout: 120_000 }, () => {
    let broken: string | null = null;
    // The hole needs a slow request ahead of a grant in one queue and a role moving meanwhile:
    // about one history in 600 (seed 568 at the time of writing).
    for (let seed = 1; seed <= 3000 && broken === null; seed++) {
      try {
        runHistory(seed, STEPS, { grantsPendingRule: false });
      } catch (err) {
        broken = `seed ${seed}: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`;
      }
    }
    expect(broken, "no history broke the property without the rule").not.toBeNull();
    expect(broken).toMatch(/VIP \S+ on \S+, \S+|two writable hosts/);
  });
});
