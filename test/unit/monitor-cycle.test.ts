import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EMPTY_CHECKS, REFUSED_CONFIRM_MS, haConfigFromMmm, type HaConfig, type MonitorState } from "../../src/ha/index.js";
import { parseMmmConfig } from "../../src/mmm-config/index.js";
import { RECOMMENDED_CHECKS } from "../../src/mmm-config/model.js";
import type { AgentRequest } from "../../src/protocol/agent-messages.js";
import type { MonitoredHost } from "../../src/monitor/agent-request.js";
import { sqlGtidOps } from "../../src/monitor/gtid-ops.js";
import { slowest } from "../../src/monitor/monitor-daemon.js";
import { EXECUTE_BUDGET_MS, RENEW_MIN_INTERVAL_MS, URGENT_PERIOD_MS, durableFirst, grantsSettled, initialLoopState, nextCycleDelayMs, runCycle, type CycleContext, type LoopState, type MonitorIo, type SendResult } from "../../src/monitor/monitor-cycle.js";
import { at, buildState } from "./ha-fixture.js";

const FIX = join(import.meta.dirname, "../fixtures/templates");
const mmm = parseMmmConfig(readFileSync(join(FIX, "mmm_mon.conf"), "utf8"), "mmm_mon.conf", (n) => readFileSync(join(FIX, n), "utf8"), {
  program: "monitor",
});
const config: HaConfig = haConfigFromMmm(mmm);
const hosts: MonitoredHost[] = mmm.hosts.map((h) => ({ name: h.name, ip: h.ip, agentPort: h.agentPort, mysqlPort: h.mysqlPort }));
const WRITER_IP = "192.168.77.100";
const GTID = "0-1-100";

/** Hosts as the fake agents and mysqlds see themselves; requests change them as a real agent would. */
interface FakeHost {
  vips: Set<string>;
  writable: boolean;
  mysqlUp: boolean;
  agentUp: boolean;
  /** Answers get-state, then its port closes before the commands (a restarting agent). */
  refuseCommands: boolean;
  source: string | undefined;
  lease: number | null;
}

type Call = { readonly t: number; readonly what: string };

class FakeCluster implements MonitorIo {
  t = at(0);
  readonly calls: Call[] = [];
  readonly logs: string[] = [];
  readonly persisted: MonitorState[] = [];
  readonly hosts: Record<string, FakeHost> = {};

  constructor(writer: string) {
    for (const h of config.hosts) {
      const source = h.mode === "master" ? h.peer : writer;
      this.hosts[h.name] = { vips: new Set(), writable: h.name === writer, mysqlUp: true, agentUp: true, refuseCommands: false, source, lease: null };
    }
  }
  /** A dead mysqld's port refuses (killed, shut down) rather than staying silent. */
  refuses = false;
  now = () => this.t;
  ping = async () => ({ ok: true as const });
  network = async () => true;
  async probeMysql(h: MonitoredHost) {
    const f = this.hosts[h.name]!;
    if (!f.mysqlUp) {
      return { ok: false as const, outcome: "error" as const, message: `ERROR: Connect error (host = ${h.ip}:3306)! connect ECONNREFUSED`, cause: "connection refused", ...(this.refuses ? { refused: true } : {}) };
    }
    const replication = { ...(f.source ? { source: f.source } : {}), ioRunning: true, sqlRunning: true, secondsBehind: 0, retrievedGtid: GTID, relayLogApplied: true, usingGtid: true };
    return { ok: true as const, observation: { readOnly: !f.writable, gtidExecuted: GTID, replication } };
  }
  async readGtid(h: MonitoredHost) {
    this.calls.push({ t: this.t, what: `read-gtid ${h.name}` });
    return this.hosts[h.name]!.mysqlUp ? GTID : null;
  }
  async agentState(h: MonitoredHost) {
    const f = this.hosts[h.name]!;
    return f.agentUp ? { vips: [...f.vips].sort(), writable: f.mysqlUp ? f.writable : null, uptime: 1000 } : null;
  }
  async send(h: MonitoredHost, r: AgentRequest): Promise<SendResult> {
    const f = this.hosts[h.name]!;
    this.calls.push({ t: this.t, what: `${r.kind} ${h.name}${"ip" in r ? ` ${r.ip}` : ""}` });
    if (!f.agentUp || f.refuseCommands) return { ok: false, delivered: "no", error: "connect ECONNREFUSED" };
    switch (r.kind) {
      case "fence":
        for (const ip of r.ips) f.vips.delete(ip);
        f.writable = false;
        break;
      case "renew-lease":
        f.lease = this.t + r.leaseMs;
        break;
      case "set-writable":
        f.writable = true;
        break;
      case "set-read-only":
        f.writable = false;
        break;
      case "add-vip":
        f.vips.add(r.ip);
        break;
      case "remove-vip":
        f.vips.delete(r.ip);
        break;
      case "repoint-replica":
        f.source = r.source;
        break;
      default:
        break;
    }
    return { ok: true };
  }
  async persist(s: MonitorState, durable: boolean) {
    this.calls.push({ t: this.t, what: durable ? "persist durable" : "persist" });
    this.persisted.push(s);
  }
  log(line: string) {
    this.logs.push(line);
  }
}

const ctx: CycleContext = { config, hosts, deps: { gtid: sqlGtidOps }, agentTimeoutMs: 1000 };

function healthyLoop(): LoopState {
  const state = buildState(config, {
    roles: { [WRITER_IP]: "db1", "192.168.77.101": "db1", "192.168.77.102": "db2", "192.168.77.103": "db3", "192.168.77.104": "db4" },
  });
  return initialLoopState(state, EMPTY_CHECKS);
}

async function cycles(fake: FakeCluster, loop: LoopState, seconds: number, until?: (l: LoopState) => boolean): Promise<LoopState> {
  const end = fake.t + seconds * 1000;
  while (fake.t < end) {
    loop = (await runCycle(ctx, loop, fake)).loop;
    if (until?.(loop)) return loop;
    fake.t += nextCycleDelayMs(loop, config);
  }
  return loop;
}

/** A healthy cluster runs 2 s, then db1's mysqld dies: cycles until db2 is writable with the VIP. */
async function killWriterMysql(fake: FakeCluster): Promise<{ loop: LoopState; promotedAfter: number }> {
  let loop = healthyLoop();
  settle(fake, loop);
  loop = await cycles(fake, loop, 2);
  fake.calls.length = 0;
  fake.logs.length = 0;
  const killedAt = fake.t;
  fake.hosts.db1!.mysqlUp = false;
  loop = await cycles(fake, loop, 10, () => fake.hosts.db2!.writable && fake.hosts.db2!.vips.has(WRITER_IP));
  return { loop, promotedAfter: fake.t - killedAt };
}

/** Agrees the fakes with a healthy state: every agent holds what the state gives it. */
function settle(fake: FakeCluster, loop: LoopState): void {
  for (const a of loop.state.roles) if (a.host) fake.hosts[a.host]!.vips.add(a.ip);
}

/** A healthy cluster, db1 the writer, after a second of cycles. */
async function settledCluster(): Promise<{ fake: FakeCluster; loop: LoopState }> {
  const fake = new FakeCluster("db1");
  const loop = healthyLoop();
  settle(fake, loop);
  return { fake, loop: await cycles(fake, loop, 1) };
}

/** Makes `host`'s mysql probes hang until the returned function is called. */
function hangMysql(fake: FakeCluster, host: string): () => void {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const probe = fake.probeMysql.bind(fake);
  fake.probeMysql = async (h: MonitoredHost) => {
    if (h.name === host) await gate;
    return probe(h);
  };
  return release;
}

/** Holds the requests to `host` (of `kind`, or all) until the returned function is called. */
function holdSends(fake: FakeCluster, host: string, kind?: AgentRequest["kind"]): () => void {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const send = fake.send.bind(fake);
  fake.send = async (h, r) => {
    if (h.name === host && (kind === undefined || r.kind === kind)) await gate;
    return send(h, r);
  };
  return release;
}

describe("the monitor cycle", () => {
  it("bootstrap's rendered mmm_mon.conf sets mmm's recommended check timings", () => {
    expect(mmm.checks).toEqual(RECOMMENDED_CHECKS);
  });

  it("keeps a healthy cluster as it is: only lease renewals, and writes nothing while nothing changes", async () => {
    let { fake, loop } = await settledCluster();
    fake.calls.length = 0;
    loop = await cycles(fake, loop, 3);
    const sent = fake.calls.filter((c) => !c.what.startsWith("read-gtid"));
    expect(new Set(sent.map((c) => c.what.split(" ")[0]))).toEqual(new Set(["renew-lease"]));
    expect(fake.hosts.db1!.vips.has(WRITER_IP)).toBe(true);
    // The lease the monitor books covers the renewal it sent.
    expect(loop.state.leases.db1).toBeGreaterThanOrEqual(fake.calls.filter((c) => c.what === "renew-lease db1").at(-1)!.t);
  });

  it("writes a change before its actions go out", async () => {
    let { fake, loop } = await settledCluster();
    fake.calls.length = 0;
    await killWriterMysql(fake);
    const first = fake.calls.findIndex((c) => c.what.startsWith("fence"));
    expect(first).toBeGreaterThan(0);
    // Written in the fence's own cycle (the fake's clock stands still within one), before it.
    const ofCycle = fake.calls.slice(0, first).filter((c) => c.t === fake.calls[first]!.t);
    expect(ofCycle.some((c) => c.what.startsWith("persist"))).toBe(true);
  });

  it("reads the writer's GTID set after every other host's", async () => {
    const fake = new FakeCluster("db1");
    const loop = healthyLoop();
    settle(fake, loop);
    await runCycle(ctx, loop, fake);
    expect(fake.calls.filter((c) => c.what.startsWith("read-gtid")).map((c) => c.what)).toEqual(["read-gtid db1"]);
  });

  it("replaces a writer whose mysqld died: fence db1 first, then db2 writable with the VIP, one reason logged", async () => {
    const fake = new FakeCluster("db1");
    const { loop, promotedAfter } = await killWriterMysql(fake);
    expect(fake.hosts.db2!.writable).toBe(true);
    expect(fake.hosts.db2!.vips.has(WRITER_IP)).toBe(true);
    expect(fake.hosts.db1!.vips.has(WRITER_IP)).toBe(false);
    // trap_period (1 s) plus two fast cycles: fence confirmed, then promotion.
    expect(promotedAfter).toBeGreaterThanOrEqual(config.checks.mysql.trapPeriodMs);
    expect(promotedAfter).toBeLessThanOrEqual(config.checks.mysql.trapPeriodMs + 3 * URGENT_PERIOD_MS);

    const what = fake.calls.map((c) => c.what);
    const fence = what.indexOf(`fence db1`);
    expect(fence).toBeGreaterThanOrEqual(0);
    expect(what.indexOf("set-writable db2")).toBeGreaterThan(fence);
    expect(what.indexOf(`add-vip db2 ${WRITER_IP}`)).toBeGreaterThan(fence);
    // Each cycle that sent anything wrote its state first and fsynced it after sending: the
    // promotion is covered by the move's target, fsynced when the move started (durableFirst).
    for (const sent of ["fence db1", "set-writable db2"]) {
      const cycle = fake.calls.filter((c) => c.t === fake.calls[what.indexOf(sent)]!.t).map((c) => c.what);
      expect(cycle.indexOf("persist"), `${sent}: written before`).toBeGreaterThanOrEqual(0);
      expect(cycle.indexOf("persist"), `${sent}: written before`).toBeLessThan(cycle.indexOf(sent));
      expect(cycle.indexOf("persist durable"), `${sent}: fsynced after`).toBeGreaterThan(cycle.indexOf(sent));
    }
    expect(fake.persisted.some((s) => s.transition?.from === "db1" && s.transition.to === "db2")).toBe(true);

    const moving = fake.logs.filter((l) => /^moving writer from db1 to db2 because db1 is HARD_OFFLINE \(mysql: connection refused/.test(l));
    expect(moving).toHaveLength(1);
    expect(loop.state.roles.find((a) => a.ip === WRITER_IP)?.host).toBe("db2");
    // The slave that followed db1 follows db2, by GTID.
    expect(fake.hosts.db3!.source).toBe("db2");
  });

  it("replaces a writer whose mysqld refuses connections after REFUSED_CONFIRM_MS, not trap_period", async () => {
    const fake = new FakeCluster("db1");
    fake.refuses = true;
    const { promotedAfter } = await killWriterMysql(fake);
    expect(fake.hosts.db2!.vips.has(WRITER_IP)).toBe(true);
    expect(fake.hosts.db1!.vips.has(WRITER_IP)).toBe(false);
    expect(promotedAfter).toBeGreaterThanOrEqual(REFUSED_CONFIRM_MS);
    expect(promotedAfter).toBeLessThanOrEqual(REFUSED_CONFIRM_MS + 3 * URGENT_PERIOD_MS);
    expect(promotedAfter).toBeLessThan(config.checks.mysql.trapPeriodMs);
  });

  it("sends each agent at most one lease renewal per RENEW_MIN_INTERVAL_MS, even while cycling fast", async () => {
    let { fake, loop } = await settledCluster();
    fake.calls.length = 0;
    const start = fake.t;
    for (let i = 0; i < 20; i++) {
      loop = (await runCycle(ctx, loop, fake)).loop;
      fake.t += URGENT_PERIOD_MS;
    }
    const sent = fake.calls.filter((c) => c.what === "renew-lease db2").map((c) => c.t - start);
    expect(sent.length).toBeGreaterThanOrEqual(4);
    for (let i = 1; i < sent.length; i++) expect(sent[i]! - sent[i - 1]!).toBeGreaterThanOrEqual(RENEW_MIN_INTERVAL_MS);
    // and the lease the monitor records is the last one sent, never a skipped one
    expect(loop.state.leases.db2).toBe(start + sent.at(-1)!);
  });

  it("records a mysql failure in a cycle run early, before the check is due again", async () => {
    let { fake, loop } = await settledCluster();
    fake.hosts.db3!.mysqlUp = false;
    // Woken 100 ms after the last cycle (a lost connection): mysql is not due, its failure still counts from now.
    fake.t += 100;
    loop = (await runCycle(ctx, loop, fake)).loop;
    expect(loop.checks.hosts.db3?.mysql).toMatchObject({ ok: true, failingSince: fake.t });
    // While it is fine, an early cycle records nothing new for it.
    const before = loop.checks.hosts.db4?.mysql?.lastResultAt;
    fake.t += 100;
    loop = (await runCycle(ctx, loop, fake)).loop;
    expect(loop.checks.hosts.db4?.mysql?.lastResultAt).toBe(before);
  });

  it("cycles at the check period when all is well and fast while a check is within its trap_period", async () => {
    let { fake, loop } = await settledCluster();
    expect(nextCycleDelayMs(loop, config)).toBe(500);
    fake.hosts.db3!.mysqlUp = false;
    loop = (await runCycle(ctx, loop, fake)).loop;
    expect(loop.checks.hosts.db3?.mysql?.ok).toBe(true);
    expect(nextCycleDelayMs(loop, config)).toBe(URGENT_PERIOD_MS);
    fake.t += 1000;
    loop = (await runCycle(ctx, loop, fake)).loop;
    expect(loop.checks.hosts.db3?.mysql?.ok).toBe(false);
    expect(loop.state.hosts.db3?.state).toBe("HARD_OFFLINE");
    // A host that is down for good does not keep the monitor in a hurry.
    expect(nextCycleDelayMs(loop, config)).toBe(500);
  });

  it("has the holder announce a VIP again when ARP from the monitor saw another host answer for it", async () => {
    let { fake, loop } = await settledCluster();
    fake.calls.length = 0;
    await runCycle(ctx, loop, Object.assign(fake, { arp: () => ({ [WRITER_IP]: "db2" }) }));
    expect(fake.calls.map((c) => c.what)).toContain(`announce-vip db1 ${WRITER_IP}`);
    fake.calls.length = 0;
    await runCycle(ctx, loop, Object.assign(fake, { arp: () => ({ [WRITER_IP]: "db1" }) }));
    expect(fake.calls.map((c) => c.what).filter((w) => w.startsWith("announce-vip"))).toEqual([]);
  });

  it("does not wait for a suspect host whose probes hang: it is unobserved until they end, then their results count", async () => {
    const fake = new FakeCluster("db1");
    let loop = healthyLoop();
    settle(fake, loop);
    const c: CycleContext = { ...ctx, inFlight: new Map(), suspectBudgetMs: 20 };
    for (let i = 0; i < 2; i++) loop = (await runCycle(c, loop, fake)).loop;
    // db3's mysqld stops answering at once (a failure in trap), then its probes hang.
    fake.hosts.db3!.mysqlUp = false;
    fake.t += 500;
    loop = (await runCycle(c, loop, fake)).loop;
    expect(loop.checks.hosts.db3?.mysql?.failingSince).not.toBeNull();
    const release = hangMysql(fake, "db3");
    fake.t += 100;
    const started = Date.now();
    const r = await runCycle(c, loop, fake);
    expect(Date.now() - started).toBeLessThan(500);
    expect(r.loop.snapshot?.observed.db3).toEqual({ agent: null, mysql: null });
    expect(r.loop.snapshot?.observed.db2?.agent).not.toBeNull();
    expect(c.inFlight?.has("db3")).toBe(true);
    release();
    fake.t += 1000;
    const r2 = await runCycle(c, r.loop, fake);
    expect(c.inFlight?.has("db3")).toBe(false);
    expect(r2.loop.checks.hosts.db3?.mysql?.ok).toBe(false);
    expect(r2.loop.state.hosts.db3?.state).toBe("HARD_OFFLINE");
  }, 5_000);

  it("skips a dead agent's remaining actions and records no lease it never received", async () => {
    let { fake, loop } = await settledCluster();
    const before = loop.state.leases.db3!;
    fake.hosts.db3!.refuseCommands = true;
    fake.calls.length = 0;
    fake.t += RENEW_MIN_INTERVAL_MS;
    const r = await runCycle(ctx, loop, fake);
    expect(fake.calls.filter((c) => c.what.endsWith(" db3")).map((c) => c.what)).toEqual(["renew-lease db3"]);
    expect(r.loop.state.leases.db3).toBe(before);
    expect(r.loop.state.leases.db2).toBe(fake.t);
  });
});

describe("detection when a host goes silent", () => {
  it("starts the writer's mysql trap_period in the cycle whose GTID re-read got no answer", async () => {
    let { fake, loop } = await settledCluster();
    fake.readGtid = async (h: MonitoredHost) => {
      if (h.name === "db1") throw new Error("GTID state: no answer within 1000 ms");
      return GTID;
    };
    fake.t += 500;
    const r = await runCycle(ctx, loop, fake);
    expect(r.loop.checks.hosts.db1?.mysql).toMatchObject({ ok: true, failingSince: fake.t });
    expect(r.loop.checks.hosts.db2?.mysql?.failingSince).toBeNull();
  });

  it("does not wait for the probes of a host whose agent did not answer last cycle", async () => {
    const fake = new FakeCluster("db1");
    let loop = healthyLoop();
    settle(fake, loop);
    const c: CycleContext = { ...ctx, inFlight: new Map(), suspectBudgetMs: 20 };
    loop = (await runCycle(c, loop, fake)).loop;
    fake.hosts.db3!.agentUp = false;
    loop = (await runCycle(c, loop, fake)).loop;
    expect(loop.snapshot?.observed.db3?.agent).toBeNull();
    const release = hangMysql(fake, "db3");
    fake.t += 500;
    const started = Date.now();
    const r = await runCycle(c, loop, fake);
    expect(Date.now() - started).toBeLessThan(500);
    expect(c.inFlight?.has("db3")).toBe(true);
    release();
    await r;
  }, 5_000);
});

describe("a monitor held up", () => {
  const silentMysql = (fake: FakeCluster, names: string[]) => {
    const probe = fake.probeMysql.bind(fake);
    fake.probeMysql = async (h: MonitoredHost) =>
      names.includes(h.name)
        ? { ok: false as const, outcome: "error" as const, message: "ERROR: Connect error! connect ETIMEDOUT", cause: "connect ETIMEDOUT", silent: true }
        : probe(h);
  };

  it("does not count timeouts of several hosts at once around a stall of its own event loop", async () => {
    let { fake, loop } = await settledCluster();
    silentMysql(fake, ["db1", "db2", "db3", "db4"]);
    const stalled = Object.assign(fake, { stalledWithin: () => true });
    fake.t += 500;
    const r = await runCycle(ctx, loop, stalled);
    for (const h of ["db1", "db2", "db3", "db4"]) expect(r.loop.checks.hosts[h]?.mysql?.failingSince, h).toBeNull();
    expect(fake.logs.join("\n")).toMatch(/not counting timeouts of db1, db2, db3, db4: the monitor itself was held up/);
  });

  it("still counts one host's silence, and every timeout when it was not held up", async () => {
    let { fake, loop } = await settledCluster();
    silentMysql(fake, ["db3"]);
    fake.t += 500;
    const one = await runCycle(ctx, loop, Object.assign(fake, { stalledWithin: () => true }));
    expect(one.loop.checks.hosts.db3?.mysql?.failingSince).toBe(fake.t);
    silentMysql(fake, ["db2", "db4"]);
    fake.t += 500;
    const calm = await runCycle(ctx, one.loop, Object.assign(fake, { stalledWithin: () => false }));
    expect(calm.loop.checks.hosts.db2?.mysql?.failingSince).toBe(fake.t);
    expect(calm.loop.checks.hosts.db4?.mysql?.failingSince).toBe(fake.t);
  });
});

/** db2 answers renewals 40 ms after they are sent; the `silent` hosts' renewals go unanswered. */
function answerRenewals(fake: FakeCluster, silent: readonly string[] = []): void {
  const send = fake.send.bind(fake);
  fake.send = async (h, r) => {
    if (h.name === "db2" && r.kind === "renew-lease") fake.t += 40;
    if (silent.includes(h.name) && r.kind === "renew-lease") return { ok: false, delivered: "maybe", error: `${h.name} did not answer within 1000 ms` };
    return send(h, r);
  };
}

describe("lease renewals and slow agents", () => {
  it("books a renewal from when its answer came back; one left unanswered from send + message age + clock skew", async () => {
    let { fake, loop } = await settledCluster();
    fake.t += RENEW_MIN_INTERVAL_MS;
    answerRenewals(fake, ["db3"]);
    const renewAt = fake.t;
    const r = await runCycle(ctx, loop, fake);
    expect(r.loop.state.leases.db2).toBe(renewAt + 40);
    expect(r.loop.state.leases.db3).toBe(renewAt + config.unansweredLeaseDelayMs);
  });

  it("for its first second a restarted monitor books answers as unanswered: a previous process's renewals may still be in flight", async () => {
    let { fake, loop } = await settledCluster();
    fake.t += RENEW_MIN_INTERVAL_MS;
    answerRenewals(fake);
    const renewAt = fake.t;
    const restarted: CycleContext = { ...ctx, startedAt: renewAt - 500 };
    const r = await runCycle(restarted, loop, fake);
    expect(r.loop.state.leases.db2).toBe(renewAt + config.unansweredLeaseDelayMs);
    // Once this process has run unansweredLeaseDelayMs, answers bound leases again.
    fake.t += config.unansweredLeaseDelayMs;
    const later = fake.t;
    const r2 = await runCycle(restarted, r.loop, fake);
    expect(r2.loop.state.leases.db2).toBe(later + 40);
  });

  it("withdraws a renewal still connecting when the cycle moves on: a cut-off host's lease bound does not grow", async () => {
    let { fake, loop } = await settledCluster();
    const c: CycleContext = { ...ctx, sending: new Map() };
    const send = fake.send.bind(fake);
    // db3's connection never opens: only the withdrawal ends the attempt.
    fake.send = (h, r, timeoutMs, unsentBy) =>
      h.name === "db3"
        ? new Promise<SendResult>((resolve) => unsentBy?.addEventListener("abort", () => resolve({ ok: false, delivered: "no", error: "not sent" })))
        : send(h, r);
    const before = loop.state.leases.db3;
    fake.t += RENEW_MIN_INTERVAL_MS;
    const r = await runCycle(c, loop, fake);
    expect(r.loop.state.leases.db3).toBe(before);
    expect(r.loop.state.leases.db2).toBe(fake.t);
    await new Promise((res) => setTimeout(res, 10));
    expect(c.sending?.has("db3")).toBe(false);
  }, 5_000);

  it("keeps a cycle's lease bookings when the fsync after sending fails", async () => {
    let { fake, loop } = await settledCluster();
    fake.hosts.db4!.mysqlUp = false;
    fake.refuses = true;
    fake.t += 1000;
    const persist = fake.persist.bind(fake);
    fake.persist = async (st: MonitorState, durable: boolean) => {
      if (durable) throw new Error("EIO");
      return persist(st, durable);
    };
    let r = await runCycle(ctx, loop, fake);
    for (let i = 0; i < 10 && !r.decision.changed; i++) {
      fake.t += 500;
      r = await runCycle(ctx, r.loop, fake);
    }
    expect(r.decision.changed).toBe(true);
    expect(r.loop.state.leases.db2).toBe(fake.t);
    expect(fake.logs.join("\n")).toMatch(/status file: EIO/);
  });

  it("sends renewals with strictly increasing times, even if the clock steps back", async () => {
    let { fake, loop } = await settledCluster();
    const first = loop.renewedAt!.db2!;
    fake.t = first - 5_000;
    const r = await runCycle(ctx, loop, fake);
    expect(r.loop.renewedAt!.db2).toBeGreaterThan(first);
  });

  it("does not take an agent's answer as proof while a VIP it was granted is still queued for it (it may land after the answer)", async () => {
    let { fake, loop } = await settledCluster();
    const c: CycleContext = { ...ctx, sending: new Map(), granted: new Map() };
    fake.hosts.db3!.vips.delete("192.168.77.103");
    const release = holdSends(fake, "db3", "add-vip");
    fake.t += 500;
    const r1 = await runCycle(c, loop, fake);
    expect(r1.decision.actions).toContainEqual(expect.objectContaining({ kind: "add-vip", host: "db3", ip: "192.168.77.103" }));
    expect(c.granted?.get("db3")).toBeNull();
    // db3 answers "no such VIP": true when asked, not proof, as the add-vip is still on its way.
    // The answer still counts for everything else (db3 stays observed and eligible).
    fake.t += 500;
    const r2 = await runCycle(c, r1.loop, fake);
    expect(r2.loop.snapshot?.observed.db3?.grantsPending).toBe(true);
    expect(r2.loop.snapshot?.observed.db3?.agent?.vips).not.toContain("192.168.77.103");
    expect(r2.loop.state.grants.vips["192.168.77.103"]).toContain("db3");
    expect(r2.loop.snapshot?.observed.db2?.grantsPending).toBeUndefined();
    release();
    await new Promise((res) => setTimeout(res, 10));
    expect(c.granted?.get("db3")).toEqual(expect.any(Number));
    fake.t += 500;
    const r3 = await runCycle(c, r2.loop, fake);
    expect(r3.loop.snapshot?.observed.db3?.grantsPending).toBeUndefined();
    expect(r3.loop.snapshot?.observed.db3?.agent?.vips).toContain("192.168.77.103");
  }, 5_000);

  it("an answer to a probe begun before a grant queue ended proves nothing, though the queue ended before the probe did", async () => {
    let { fake, loop } = await settledCluster();
    const c: CycleContext = { ...ctx, sending: new Map(), granted: new Map() };
    fake.hosts.db3!.vips.delete("192.168.77.103");
    const releaseGrant = holdSends(fake, "db3", "add-vip");
    fake.t += 500;
    const r1 = await runCycle(c, loop, fake);
    expect(c.granted?.get("db3")).toBeNull();
    // The next probe of db3: its agent answers at once (no VIP yet), its mysqld slowly; the
    // add-vip lands and its queue ends in between.
    const releaseMysql = hangMysql(fake, "db3");
    setTimeout(releaseGrant, 30);
    setTimeout(releaseMysql, 80);
    fake.t += 500;
    const r2 = await runCycle(c, r1.loop, fake);
    expect(fake.hosts.db3!.vips.has("192.168.77.103")).toBe(true);
    expect(r2.loop.snapshot?.observed.db3?.agent?.vips).not.toContain("192.168.77.103");
    expect(r2.loop.snapshot?.observed.db3?.grantsPending).toBe(true);
    expect(r2.loop.state.grants.vips["192.168.77.103"]).toContain("db3");
  }, 5_000);

  it("a clock stepped back does not keep a host's answers from proving anything (the order is not the wall clock)", async () => {
    let { fake, loop } = await settledCluster();
    const c: CycleContext = { ...ctx, sending: new Map(), granted: new Map() };
    fake.hosts.db3!.vips.delete("192.168.77.103");
    fake.t += 500;
    const r1 = await runCycle(c, loop, fake);
    expect(c.granted?.get("db3")).toEqual(expect.any(Number));
    fake.t -= 60_000;
    fake.hosts.db3!.vips.delete("192.168.77.103");
    const r2 = await runCycle(c, r1.loop, fake);
    expect(r2.loop.snapshot?.observed.db3?.grantsPending).toBeUndefined();
  }, 5_000);

  it("grantsSettled: an answer counts once no granting request is on its way and the probe began after the last one ended", () => {
    const granted = new Map<string, number | null>([["db1", null], ["db2", 1_000]]);
    expect(grantsSettled({ granted }, "db1", 5_000)).toBe(false);
    expect(grantsSettled({ granted }, "db2", 999)).toBe(false);
    expect(grantsSettled({ granted }, "db2", 1_001)).toBe(true);
    expect(grantsSettled({ granted }, "db3", 0)).toBe(true);
    expect(grantsSettled({}, "db1", 0)).toBe(true);
  });

  it("waits EXECUTE_BUDGET_MS for a hung agent, books its renewal unanswered, and sends it nothing more until it is done", async () => {
    let { fake, loop } = await settledCluster();
    const c: CycleContext = { ...ctx, sending: new Map() };
    const release = holdSends(fake, "db3");
    fake.t += RENEW_MIN_INTERVAL_MS;
    const renewAt = fake.t;
    const started = Date.now();
    const r = await runCycle(c, loop, fake);
    expect(Date.now() - started).toBeGreaterThanOrEqual(EXECUTE_BUDGET_MS - 20);
    expect(Date.now() - started).toBeLessThan(EXECUTE_BUDGET_MS + 400);
    expect(r.loop.state.leases.db3).toBe(renewAt + config.unansweredLeaseDelayMs);
    expect(r.loop.state.leases.db2).toBe(renewAt);
    expect(c.sending?.has("db3")).toBe(true);

    fake.calls.length = 0;
    fake.t += RENEW_MIN_INTERVAL_MS;
    const r2 = await runCycle(c, r.loop, fake);
    expect(fake.calls.map((x) => x.what)).not.toContain("renew-lease db3");
    expect(fake.calls.map((x) => x.what)).toContain("renew-lease db2");
    // Not sent: the booking stays where the hung renewal put it.
    expect(r2.loop.state.leases.db3).toBe(renewAt + config.unansweredLeaseDelayMs);

    release();
    await new Promise((res) => setTimeout(res, 10));
    expect(c.sending?.has("db3")).toBe(false);
    fake.calls.length = 0;
    fake.t += RENEW_MIN_INTERVAL_MS;
    const r3 = await runCycle(c, r2.loop, fake);
    expect(fake.calls.map((x) => x.what)).toContain("renew-lease db3");
    expect(r3.loop.state.leases.db3).toBe(fake.t);
  }, 5_000);
});

describe("durableFirst", () => {
  const state = buildState(config, { roles: { [WRITER_IP]: null } });
  const moving = { ...state, transition: { ip: WRITER_IP, from: "db1", to: "db2", cause: "failover" as const, why: "", startedAt: at(0), forced: false, fencedAt: at(0), fencedBy: "confirmed" as const, alerted: false } };
  it("fsyncs before making a host the writer outside a move", () => {
    expect(durableFirst(state, [{ kind: "set-writable", host: "db2" }], config)).toBe(true);
    expect(durableFirst(state, [{ kind: "add-vip", host: "db2", role: "writer", ip: WRITER_IP }], config)).toBe(true);
  });
  it("not for the target of a move (fsynced when it started), reader VIPs, fences or renewals", () => {
    expect(durableFirst(moving, [{ kind: "set-writable", host: "db2" }, { kind: "add-vip", host: "db2", role: "writer", ip: WRITER_IP }], config)).toBe(false);
    expect(durableFirst(moving, [{ kind: "set-writable", host: "db1" }], config)).toBe(true);
    expect(durableFirst(state, [{ kind: "add-vip", host: "db3", role: "reader", ip: "192.168.77.102" }], config)).toBe(false);
    expect(durableFirst(state, [{ kind: "fence", host: "db1", ips: [WRITER_IP], reason: "x" }, { kind: "renew-lease", host: "db1", leaseMs: 3000 }], config)).toBe(false);
  });
});

describe("slow cycles", () => {
  it("names the parts of a cycle that took longest, longest first", () => {
    expect(slowest({ "probe db1": 950.4, "probe db2": 20, persist: 310, execute: 120, "gtid db1": 101, fsync: 400 })).toBe(
      "probe db1 950 ms, fsync 400 ms, persist 310 ms, execute 120 ms",
    );
    expect(slowest({ "probe db1": 20 })).toBe("no part over 100 ms");
  });

  it("a cycle reports its timings per host probe, and per part of each probe", async () => {
    const fake = new FakeCluster("db1");
    const r = await runCycle(ctx, healthyLoop(), fake);
    expect(Object.keys(r.timings)).toEqual(expect.arrayContaining(["probe db1", "probe db4", "persist", "execute"]));
    expect(Object.keys(r.timings)).toEqual(expect.arrayContaining(["mysql db1", "get-state db1", "mysql db4", "get-state db4"]));
  });
});

describe("sqlGtidOps", () => {
  it.each([
    ["0-1-101", "0-1-100,0-2-105", "0-1-101"],
    ["0-1-100", "0-1-100,0-2-105", null],
    ["0-1-100,0-2-5", "0-1-100", "0-2-1..5"],
    ["3e11fa47-71ca-11e1-9e33-c80aa9429562:1-10", "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-8", "3e11fa47-71ca-11e1-9e33-c80aa9429562:9-10"],
    ["3e11fa47-71ca-11e1-9e33-c80aa9429562:1-10", "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-10", null],
  ])("%s minus %s is %s", (a, b, want) => {
    expect(sqlGtidOps.subtract(a, b)).toBe(want);
  });
});
