import { describe, expect, it } from "vitest";
import { planAgentRequest, planLeaseActions, vipLifetimeSeconds, isRelayLogApplied, type AgentObserved, type AgentPlan } from "../../src/agent/plan-agent-request.js";
import { agentLeaseStep, NO_LEASE, type AgentLeaseState } from "../../src/ha/lease.js";
import type { AgentRequest } from "../../src/protocol/agent-messages.js";

const NOW = 1_700_000_000_000;
// The agent fences itself 0.2 s before its lease ends (ha/lease.ts).
const OPTS = { roleIps: ["192.168.77.100", "192.168.77.101", "192.168.77.102"], maxMessageAgeMs: 500, earlyMs: 200 };
const WRITER = "192.168.77.100";
const READER = "192.168.77.101";

const bare: AgentObserved = { vips: [], writable: false, replica: null };
const writer: AgentObserved = { vips: [WRITER], writable: true, replica: null };
const leased: AgentLeaseState = { expiresAt: NOW + 3_000, lastSentAt: NOW - 100, renewedAt: NOW };

function plan(req: AgentRequest, observed: AgentObserved = bare, lease: AgentLeaseState = leased, now = NOW): AgentPlan {
  return planAgentRequest(req, observed, lease, now, OPTS);
}
function ops(p: AgentPlan): unknown[] {
  if (!p.ok) throw new Error(`refused: ${p.error}`);
  return [...p.ops];
}
function refusal(p: AgentPlan): string {
  if (p.ok) throw new Error(`accepted: ${p.detail}`);
  return p.error;
}

describe("agent commands", () => {
  it("get-state changes nothing and answers the state, even when old", () => {
    const p = plan({ kind: "get-state", sentAt: NOW - 60_000 });
    expect(p.ok && p.reply).toBe("state");
    expect(ops(p)).toEqual([]);
  });

  it("add-vip adds the address with the lease as kernel lifetime, then announces it", () => {
    const p = plan({ kind: "add-vip", role: "writer", ip: WRITER, sentAt: NOW });
    expect(ops(p)).toEqual([
      { kind: "add-ip", ip: WRITER, lifetimeS: 3 },
      { kind: "arp", ip: WRITER },
    ]);
  });

  it("add-vip of a VIP already present is a no-op", () => {
    const p = plan({ kind: "add-vip", role: "writer", ip: WRITER, sentAt: NOW }, writer);
    expect(ops(p)).toEqual([]);
    expect(p.ok && p.detail).toContain("already present");
  });

  it("add-vip without a lease is refused", () => {
    expect(refusal(plan({ kind: "add-vip", role: "writer", ip: WRITER, sentAt: NOW }, bare, NO_LEASE))).toMatch(/holds no lease/);
  });

  it("add-vip after the lease ran out is refused", () => {
    expect(refusal(plan({ kind: "add-vip", role: "writer", ip: WRITER, sentAt: NOW + 3_000 }, bare, leased, NOW + 3_000))).toMatch(/no lease/);
  });

  it("add-vip of an address that is no role IP is refused", () => {
    expect(refusal(plan({ kind: "add-vip", role: "writer", ip: "192.168.77.2", sentAt: NOW }))).toMatch(/not a role IP/);
  });

  it("remove-vip removes a held VIP and is a no-op for an absent one", () => {
    expect(ops(plan({ kind: "remove-vip", role: "writer", ip: WRITER, sentAt: NOW }, writer))).toEqual([{ kind: "remove-ip", ip: WRITER }]);
    expect(ops(plan({ kind: "remove-vip", role: "writer", ip: WRITER, sentAt: NOW }, bare))).toEqual([]);
  });

  it("announce-vip announces a held VIP and refuses one it does not hold", () => {
    expect(ops(plan({ kind: "announce-vip", ip: WRITER, sentAt: NOW }, writer))).toEqual([{ kind: "arp", ip: WRITER }]);
    expect(refusal(plan({ kind: "announce-vip", ip: WRITER, sentAt: NOW }, bare))).toMatch(/does not hold/);
  });

  it("set-writable needs a lease and a running mysqld, and is a no-op when already writable", () => {
    expect(ops(plan({ kind: "set-writable", sentAt: NOW }))).toEqual([{ kind: "set-writable" }]);
    expect(refusal(plan({ kind: "set-writable", sentAt: NOW }, bare, NO_LEASE))).toMatch(/no lease/);
    expect(refusal(plan({ kind: "set-writable", sentAt: NOW }, { ...bare, writable: null }))).toMatch(/mysqld does not answer/);
    expect(ops(plan({ kind: "set-writable", sentAt: NOW }, writer))).toEqual([]);
  });

  it("set-read-only works without a lease and is a no-op when already read_only", () => {
    expect(ops(plan({ kind: "set-read-only", sentAt: NOW }, writer, NO_LEASE))).toEqual([{ kind: "set-read-only" }]);
    expect(ops(plan({ kind: "set-read-only", sentAt: NOW }, bare))).toEqual([]);
  });

  it("fence kills clients, sets read_only, kills again, then drops the named VIPs it holds (the kills' RSTs leave from the VIP), lease or not", () => {
    const both: AgentObserved = { vips: [WRITER, READER], writable: true, replica: null };
    const p = plan({ kind: "fence", ips: [WRITER, "192.168.77.102"], reason: "moving writer", sentAt: NOW }, both, NO_LEASE);
    expect(ops(p)).toEqual([{ kind: "kill-clients" }, { kind: "set-read-only" }, { kind: "kill-clients" }, { kind: "remove-ip", ip: WRITER }]);
  });

  it("fence with an address that is no role IP still fences, ignoring that address", () => {
    const p = plan({ kind: "fence", ips: ["192.168.77.2", WRITER], reason: "r", sentAt: NOW }, { vips: [WRITER], writable: true, replica: null });
    expect(ops(p)).toEqual([{ kind: "kill-clients" }, { kind: "set-read-only" }, { kind: "kill-clients" }, { kind: "remove-ip", ip: WRITER }]);
    expect(p.ok && p.detail).toMatch(/ignored 192\.168\.77\.2/);
  });

  it("fence of a read_only host still kills clients; with mysqld down it only drops VIPs", () => {
    expect(ops(plan({ kind: "fence", ips: [WRITER], reason: "r", sentAt: NOW }, bare))).toEqual([{ kind: "kill-clients" }]);
    const down: AgentObserved = { vips: [WRITER], writable: null, replica: null };
    const p = plan({ kind: "fence", ips: [WRITER], reason: "r", sentAt: NOW }, down);
    expect(ops(p)).toEqual([{ kind: "remove-ip", ip: WRITER }]);
    expect(p.ok && p.detail).toMatch(/mysqld does not answer/);
  });

  it("renew-lease starts the lease and renews the kernel lifetime of every VIP held", () => {
    const both: AgentObserved = { vips: [WRITER, READER], writable: true, replica: null };
    const p = plan({ kind: "renew-lease", leaseMs: 5_000, sentAt: NOW - 10 }, both, NO_LEASE);
    expect(p.ok && p.lease).toEqual({ expiresAt: NOW + 4_800, lastSentAt: NOW - 10, renewedAt: NOW, wallExpiresAt: NOW + 4_800 });
    expect(ops(p)).toEqual([
      { kind: "renew-ip", ip: WRITER, lifetimeS: 4 },
      { kind: "renew-ip", ip: READER, lifetimeS: 4 },
    ]);
  });

  it("a renewal older than the last one accepted is refused (reordered)", () => {
    expect(refusal(plan({ kind: "renew-lease", leaseMs: 3_000, sentAt: NOW - 200 }))).toMatch(/older than the last one/);
  });

  it("wait-catchup is a bounded wait answered with its outcome", () => {
    const p = plan({ kind: "wait-catchup", gtid: "0-1-5", timeoutMs: 2_000, sentAt: NOW });
    expect(p.ok && p.reply).toBe("catchup");
    expect(ops(p)).toEqual([{ kind: "wait-catchup", gtid: "0-1-5", timeoutMs: 2_000 }]);
    expect(refusal(plan({ kind: "wait-catchup", timeoutMs: 1, sentAt: NOW }, { ...bare, writable: null }))).toMatch(/mysqld/);
  });

  it("repoint-replica stops, re-points by GTID and starts; a no-op when already there by GTID", () => {
    const req: AgentRequest = { kind: "repoint-replica", source: "db2", sourceAddress: "192.168.77.3", sourcePort: 3306, sentAt: NOW };
    const fromDb1: AgentObserved = { ...bare, replica: { host: "192.168.77.2", port: 3306, gtid: true, running: true } };
    expect(ops(plan(req, fromDb1))).toEqual([
      { kind: "stop-replica" },
      { kind: "change-source", host: "192.168.77.3", port: 3306 },
      { kind: "start-replica" },
    ]);
    expect(ops(plan(req, bare))).toEqual([{ kind: "change-source", host: "192.168.77.3", port: 3306 }, { kind: "start-replica" }]);
    expect(ops(plan(req, { ...bare, replica: { host: "192.168.77.3", port: 3306, gtid: true, running: true } }))).toEqual([]);
    // Same source but stopped, or by file/position: re-pointed again.
    expect(ops(plan(req, { ...bare, replica: { host: "192.168.77.3", port: 3306, gtid: false, running: true } }))).toHaveLength(3);
    expect(ops(plan(req, { ...bare, replica: { host: "192.168.77.3", port: 3306, gtid: true, running: false } }))).toHaveLength(3);
  });
});

describe("stale commands", () => {
  const stale: AgentRequest[] = [
    { kind: "fence", ips: [WRITER], reason: "r", sentAt: NOW - 501 },
    { kind: "set-writable", sentAt: NOW - 501 },
    { kind: "set-read-only", sentAt: NOW - 501 },
    { kind: "add-vip", role: "writer", ip: WRITER, sentAt: NOW - 501 },
    { kind: "remove-vip", role: "writer", ip: WRITER, sentAt: NOW - 501 },
    { kind: "announce-vip", ip: WRITER, sentAt: NOW - 501 },
    { kind: "wait-catchup", timeoutMs: 100, sentAt: NOW - 501 },
    { kind: "repoint-replica", source: "db2", sourceAddress: "192.168.77.3", sourcePort: 3306, sentAt: NOW - 501 },
    { kind: "add-vip", role: "writer", ip: WRITER, sentAt: NOW + 501 },
  ];
  it.each(stale.map((r) => [r.kind, r.sentAt - NOW, r] as const))("%s sent %i ms from now is refused", (_k, _d, req) => {
    expect(refusal(plan(req, writer))).toMatch(/more than 500 ms apart/);
  });

  it("age is judged at arrival: a request that waited in the agent's queue is not refused for it", () => {
    const req: AgentRequest = { kind: "renew-lease", leaseMs: 3_000, sentAt: NOW - 100 };
    const p = planAgentRequest(req, writer, NO_LEASE, NOW + 2_000, { ...OPTS, received: { wall: NOW, lease: NOW } });
    // The lease runs from arrival, not from when the queue reached it.
    expect(p.ok && p.lease.expiresAt).toBe(NOW + 2_800);
    expect(ops(p)).toEqual([{ kind: "renew-ip", ip: WRITER, lifetimeS: 1 }]);
    // Planned as arriving late, it grants only the lease left from when it was due.
    const late = planAgentRequest(req, writer, NO_LEASE, NOW + 2_000, OPTS);
    expect(late.ok && late.lease.expiresAt).toBe(NOW - 100 + 500 + 2_800);
  });

  it("a request's age is judged by the wall clock, the lease it grants runs on the lease clock", () => {
    const received = { wall: NOW, lease: 9_000 };
    const renew = planAgentRequest({ kind: "renew-lease", leaseMs: 3_000, sentAt: NOW - 100 }, writer, NO_LEASE, 9_000, { ...OPTS, received });
    expect(renew.ok && renew.lease.expiresAt).toBe(9_000 + 2_800);
    // Holding that lease, a fresh add-vip is accepted and given the lease left as its lifetime …
    const add = planAgentRequest({ kind: "add-vip", role: "writer", ip: WRITER, sentAt: NOW + 750 }, bare, renew.ok ? renew.lease : NO_LEASE, 9_800, {
      ...OPTS,
      received: { wall: NOW + 800, lease: 9_800 },
    });
    expect(ops(add)).toEqual([{ kind: "add-ip", ip: WRITER, lifetimeS: 2 }, { kind: "arp", ip: WRITER }]);
    // … and one whose wall-clock age is too great is refused, whatever the lease clock says.
    const stale = planAgentRequest({ kind: "add-vip", role: "writer", ip: WRITER, sentAt: NOW + 750 }, bare, renew.ok ? renew.lease : NO_LEASE, 9_800, {
      ...OPTS,
      received: { wall: NOW + 1_300, lease: 9_800 },
    });
    expect(refusal(stale)).toMatch(/more than 500 ms apart/);
  });

  it("a late renew-lease grants only what is left of its lease; one from the future or long expired is refused", () => {
    const late = planAgentRequest({ kind: "renew-lease", leaseMs: 3_000, sentAt: NOW - 700 }, writer, NO_LEASE, NOW, OPTS);
    expect(late.ok && late.lease.expiresAt).toBe(NOW - 700 + 500 + 2_800);
    expect(late.ok && late.detail).toBe("lease renewed for 3000 ms (lease renewal arrived 0.7 s after it was sent: lease counted from 0.5 s after sending)");
    expect(refusal(planAgentRequest({ kind: "renew-lease", leaseMs: 3_000, sentAt: NOW + 501 }, writer, NO_LEASE, NOW, OPTS))).toMatch(/in this host's future/);
    expect(refusal(planAgentRequest({ kind: "renew-lease", leaseMs: 3_000, sentAt: NOW - 3_500 }, writer, NO_LEASE, NOW, OPTS))).toMatch(
      /would already have run out/,
    );
  });

  it("a command exactly at the age limit is accepted", () => {
    expect(plan({ kind: "set-read-only", sentAt: NOW - 500 }, writer).ok).toBe(true);
  });
});

describe("lease", () => {
  it("expiry without renewal drops every VIP first, then read_only and client kills", () => {
    const step = agentLeaseStep(leased, { kind: "tick" }, NOW + 3_000, OPTS);
    const observed: AgentObserved = { vips: [WRITER, READER], writable: true, replica: null };
    expect(planLeaseActions(step.actions, observed)).toEqual([
      { kind: "remove-ip", ip: WRITER },
      { kind: "remove-ip", ip: READER },
      { kind: "kill-clients" },
      { kind: "set-read-only" },
      { kind: "kill-clients" },
    ]);
    expect(step.reason).toMatch(/no lease renewal/);
  });

  it("expiry on a host that is read_only kills no session: none of them can write", () => {
    const step = agentLeaseStep(leased, { kind: "tick" }, NOW + 3_000, OPTS);
    expect(planLeaseActions(step.actions, { vips: [READER], writable: false, replica: null })).toEqual([{ kind: "remove-ip", ip: READER }]);
    // Already read_only: neither SET nor kills.
    expect(planLeaseActions(step.actions, { vips: [], writable: false, replica: null })).toEqual([]);
  });

  it("before expiry a tick does nothing", () => {
    expect(agentLeaseStep(leased, { kind: "tick" }, NOW + 2_999, OPTS).actions).toEqual([]);
  });

  it("expiry with mysqld down still drops the VIPs", () => {
    const step = agentLeaseStep(leased, { kind: "tick" }, NOW + 3_001, OPTS);
    expect(planLeaseActions(step.actions, { vips: [WRITER], writable: null, replica: null })).toEqual([{ kind: "remove-ip", ip: WRITER }]);
  });

  it("agent start drops whatever an earlier life held", () => {
    const step = agentLeaseStep(NO_LEASE, { kind: "start" }, NOW, OPTS);
    expect(planLeaseActions(step.actions, writer)).toEqual([{ kind: "remove-ip", ip: WRITER }, { kind: "set-read-only" }]);
  });

  it("the kernel lifetime of a VIP never outlasts the lease", () => {
    expect(vipLifetimeSeconds(leased, NOW)).toBe(3);
    expect(vipLifetimeSeconds(leased, NOW + 1)).toBe(2);
    expect(vipLifetimeSeconds(leased, NOW + 2_999)).toBe(1);
    expect(vipLifetimeSeconds(NO_LEASE, NOW)).toBe(1);
  });
});

describe("isRelayLogApplied", () => {
  it.each([
    ["same file and position", { sourceLogFile: "b.1", readSourceLogPos: 10, relaySourceLogFile: "b.1", execSourceLogPos: 10 }, true],
    ["behind in position", { sourceLogFile: "b.1", readSourceLogPos: 10, relaySourceLogFile: "b.1", execSourceLogPos: 9 }, false],
    ["behind by a file", { sourceLogFile: "b.2", readSourceLogPos: 10, relaySourceLogFile: "b.1", execSourceLogPos: 10 }, false],
    ["nothing read", { sourceLogFile: "", readSourceLogPos: null, relaySourceLogFile: "", execSourceLogPos: null }, false],
  ])("%s", (_n, s, expected) => {
    expect(isRelayLogApplied(s)).toBe(expected);
  });
});
