/**
 * The failover targets of issue 4, as far as the pure core decides them, with the check settings
 * bootstrap renders (RECOMMENDED_CHECKS) and a 0.5 s monitor cycle. Check runs are serial per host
 * and check, as MMM's checkers are: a run against an unreachable host ends with a timeout error
 * after `timeout`; against a dead mysqld it is refused at once. Agents obey actions when reachable.
 */
import { describe, expect, it } from "vitest";
import { RECOMMENDED_CHECKS } from "../../src/mmm-config/index.js";
import {
  CHECK_NAMES,
  EMPTY_CHECKS,
  decide,
  evaluateChecks,
  recordRenewal,
  type CheckName,
  type Decision,
  type HaConfig,
  type HostObservation,
  type MonitorState,
  type RawCheckResult,
} from "../../src/ha/index.js";
import { at, buildObserved, buildState, loadHaConfig } from "./ha-fixture.js";

const config: HaConfig = (() => {
  const base = loadHaConfig();
  const checks = {} as Record<CheckName, HaConfig["checks"][CheckName]>;
  for (const c of CHECK_NAMES) {
    const k = RECOMMENDED_CHECKS[c];
    checks[c] = { checkPeriodMs: k.checkPeriod * 1000, trapPeriodMs: k.trapPeriod * 1000, timeoutMs: k.timeout * 1000, restartAfter: k.restartAfter, maxBacklog: k.maxBacklog };
  }
  return { ...base, checks };
})();

interface Fault {
  /** seconds */
  from: number;
  to: number;
  host: string;
  kind: "net" | "mysqld";
}

interface Timeline {
  decisions: Array<{ t: number; d: Decision }>;
  firstWritable: (host: string) => number | undefined;
}

function simulate(faults: Fault[], until: number): Timeline {
  const roles = { "192.168.1.100": "db1", "192.168.1.102": "db1", "192.168.1.101": "db2", "192.168.1.104": "db3", "192.168.1.103": "db4" };
  let state: MonitorState = buildState(config, { roles, leases: { db1: -0.5, db2: -0.5, db3: -0.5, db4: -0.5 } });
  const physical = buildObserved(config, state);
  const vips = new Map(config.hosts.map((h) => [h.name, new Set(physical[h.name]!.agent!.vips)]));
  const writable = new Map(config.hosts.map((h) => [h.name, physical[h.name]!.agent!.writable === true]));
  const source = new Map(config.hosts.map((h) => [h.name, physical[h.name]!.mysql!.replication?.source]));
  const netUp = (h: string, t: number) => !faults.some((f) => f.kind === "net" && f.host === h && t >= f.from && t < f.to);
  const mysqldUp = (h: string, t: number) => !faults.some((f) => f.kind === "mysqld" && f.host === h && t >= f.from && t < f.to);

  // serial check runs: results queued with the time they complete
  const pending: RawCheckResult[] = [];
  const nextRun = new Map<string, number>();
  const offset: Record<CheckName, number> = { ping: 0.1, mysql: 0.25, rep_threads: 0.3, rep_backlog: 0.35 };
  const schedule = (upTo: number) => {
    for (const { name: h } of config.hosts) {
      for (const c of CHECK_NAMES) {
        const key = `${h}/${c}`;
        let start = nextRun.get(key) ?? offset[c] - 1;
        while (start <= upTo) {
          const k = config.checks[c];
          let end = start;
          let outcome: RawCheckResult["outcome"] = "ok";
          let cause = "";
          if (!netUp(h, start)) [end, outcome, cause] = [start + k.timeoutMs / 1000, "error", `timeout after ${k.timeoutMs / 1000} s`];
          else if (c !== "ping" && !mysqldUp(h, start)) [outcome, cause] = ["error", "connection refused"];
          pending.push({ host: h, check: c, at: at(end), outcome, message: outcome === "ok" ? "OK" : `ERROR: ${cause}`, ...(cause ? { cause } : {}), ...(c === "rep_backlog" && outcome === "ok" ? { backlog: 0 } : {}) });
          start = end + k.checkPeriodMs / 1000;
        }
        nextRun.set(key, start);
      }
    }
  };

  let checks = EMPTY_CHECKS;
  const decisions: Timeline["decisions"] = [];
  const writableSince = new Map<string, number>();
  for (let t = 0; t <= until; t = +(t + 0.5).toFixed(3)) {
    schedule(t);
    const ready = pending.filter((r) => r.at <= at(t));
    pending.splice(0, pending.length, ...pending.filter((r) => r.at > at(t)));
    checks = evaluateChecks(checks, ready, at(t), config);
    const observed: Record<string, HostObservation> = {};
    for (const { name: h } of config.hosts) {
      const reach = netUp(h, t);
      observed[h] = {
        agent: reach ? { vips: [...vips.get(h)!], writable: mysqldUp(h, t) ? writable.get(h)! : null } : null,
        mysql:
          reach && mysqldUp(h, t)
            ? { ...physical[h]!.mysql!, readOnly: !writable.get(h), replication: { ...physical[h]!.mysql!.replication!, source: source.get(h)! } }
            : null,
      };
    }
    const d = decide({ config, state, checks, observed, network: true }, at(t));
    decisions.push({ t, d });
    state = d.next;
    for (const a of d.actions) {
      if (a.kind === "alert" || a.kind === "wait-catchup" || a.kind === "kill-host") continue;
      if (!netUp(a.host, t)) continue;
      // Answered 20 ms after sending.
      if (a.kind === "renew-lease") state = recordRenewal(state, a.host, at(t), { kind: "answered", at: at(t + 0.02) }, config);
      if (a.kind === "fence") (a.ips.forEach((ip) => vips.get(a.host)!.delete(ip)), writable.set(a.host, false));
      if (a.kind === "set-read-only") writable.set(a.host, false);
      if (a.kind === "set-writable" && mysqldUp(a.host, t)) writable.set(a.host, true);
      if (a.kind === "add-vip") vips.get(a.host)!.add(a.ip);
      if (a.kind === "remove-vip") vips.get(a.host)!.delete(a.ip);
      if (a.kind === "repoint-replica") source.set(a.host, a.source);
    }
    for (const [h, w] of writable) if (w && !writableSince.has(h)) writableSince.set(h, t);
  }
  return { decisions, firstWritable: (h) => writableSince.get(h) };
}

describe("failover timing with bootstrap's check settings", () => {
  it("replaces a writer whose mysqld was killed within 2 s (fence at 1.5 s, promote at 2.0 s)", () => {
    const tl = simulate([{ from: 0, to: 99, host: "db1", kind: "mysqld" }], 6);
    expect(tl.firstWritable("db2")).toBe(2);
    const codes = tl.decisions.filter(({ d }) => d.changed).map(({ t, d }) => `${t} ${d.code}`);
    expect(codes.slice(0, 2)).toEqual(["1.5 WriterDead", "2 WriterFenced"]);
    expect(tl.decisions.find(({ t }) => t === 1.5)!.d.reason).toBe(
      "moving writer from db1 to db2 because db1 is HARD_OFFLINE (mysql: connection refused for 1.3 s); waiting to promote db2 until db1 confirms it is fenced",
    );
  });

  it("moves nothing for a 1 s network hiccup of the writer", () => {
    const tl = simulate([{ from: 0, to: 1, host: "db1", kind: "net" }], 8);
    expect(tl.decisions.filter(({ d }) => d.code !== "Healthy").map(({ t, d }) => `${t} ${d.code}: ${d.reason}`)).toEqual([]);
    expect(tl.decisions.flatMap(({ d }) => d.actions).filter((a) => a.kind !== "renew-lease")).toEqual([]);
    expect(tl.firstWritable("db2")).toBeUndefined();
  });

  it("promotes a new writer after a network cut only once the old lease expired, within lease + 2 s", () => {
    const tl = simulate([{ from: 0, to: 99, host: "db1", kind: "net" }], 8);
    const promoted = tl.firstWritable("db2")!;
    // the last renewal db1 answered was at -0.5 s: its agent drops everything by 2.3 s and the
    // monitor may act at 2.6 s, so db2 is promoted as soon as ping's trap_period confirms the cut
    expect(promoted).toBe(3);
    expect(promoted).toBeLessThanOrEqual(config.leaseMs / 1000 + 2);
    expect(tl.decisions.filter(({ d }) => d.changed).map(({ t, d }) => `${t} ${d.code}`)).toEqual(["3 WriterUnreachable", "3.5 CoMasterDead"]);
  });
});
