import { describe, expect, it } from "vitest";
import {
  NO_LEASE,
  agentLeaseStep,
  agentMayHoldRoles,
  isLeaseExpired,
  leaseBound,
  recordRenewal,
  type AgentLeaseState,
} from "../../src/ha/index.js";
import { at, buildState, loadHaConfig } from "./ha-fixture.js";

// The agent fences itself 0.2 s before its lease ends.
const opts = { maxMessageAgeMs: 500, earlyMs: 200 };

describe("agentLeaseStep", () => {
  it("starts holding nothing: drops VIPs and sets read_only until the monitor renews", () => {
    const r = agentLeaseStep({ expiresAt: at(10), lastSentAt: at(7), renewedAt: at(7) }, { kind: "start" }, at(0), opts);
    expect(r.state).toEqual(NO_LEASE);
    expect(r.actions).toEqual([{ kind: "drop-vips" }, { kind: "set-read-only" }]);
    expect(agentMayHoldRoles(r.state, at(0))).toBe(false);
  });

  it("runs the lease from receipt and lets the agent hold roles until it fences itself, just before the end", () => {
    const r = agentLeaseStep(NO_LEASE, { kind: "renew", sentAt: at(0), leaseMs: 3000 }, at(0.2), opts);
    expect(r).toEqual({ state: { expiresAt: at(3.0), lastSentAt: at(0), renewedAt: at(0.2), wallExpiresAt: at(3.0) }, actions: [], reason: null });
    expect(agentMayHoldRoles(r.state, at(2.9))).toBe(true);
    expect(agentMayHoldRoles(r.state, at(3.0))).toBe(false);
  });

  it("drops VIPs, sets read_only and kills clients when no renewal came for the lease", () => {
    const s: AgentLeaseState = { expiresAt: at(3.2), lastSentAt: at(0), renewedAt: at(0.2) };
    expect(agentLeaseStep(s, { kind: "tick" }, at(3.1), opts)).toEqual({ state: s, actions: [], reason: null });
    const r = agentLeaseStep(s, { kind: "tick" }, at(3.3), opts);
    expect(r.actions).toEqual([{ kind: "drop-vips" }, { kind: "set-read-only" }, { kind: "kill-clients" }]);
    expect(r.reason).toBe("no lease renewal from the monitor for 3.1 s (lease 3.2 s): dropping VIPs, setting read_only and killing client connections");
    expect(r.state.expiresAt).toBe(null);
    // once dropped, further ticks do nothing
    expect(agentLeaseStep(r.state, { kind: "tick" }, at(9), opts).actions).toEqual([]);
  });

  it("refuses future and reordered renewals", () => {
    const s: AgentLeaseState = { expiresAt: at(3.2), lastSentAt: at(0), renewedAt: at(0.2) };
    const future = agentLeaseStep(s, { kind: "renew", sentAt: at(2.7), leaseMs: 3000 }, at(2), opts);
    expect(future.state).toBe(s);
    expect(future.reason).toBe("refusing a lease renewal sent 0.7 s in this host's future (more than 0.5 s apart from this host's clock)");
    const older = agentLeaseStep(s, { kind: "renew", sentAt: at(0), leaseMs: 3000 }, at(0.3), opts);
    expect(older.reason).toBe("refusing a lease renewal older than the last one accepted");
  });

  it("counts a late renewal only from when it was due, so the monitor's bound still holds", () => {
    const s: AgentLeaseState = { expiresAt: at(3.2), lastSentAt: at(0), renewedAt: at(0.2) };
    const late = agentLeaseStep(s, { kind: "renew", sentAt: at(1), leaseMs: 3000 }, at(1.7), opts);
    expect(late.state).toEqual({ expiresAt: at(4.3), lastSentAt: at(1), renewedAt: at(1.7), wallExpiresAt: at(4.3) });
    expect(late.reason).toBe("lease renewal arrived 0.7 s after it was sent: lease counted from 0.5 s after sending");
    const onTime = agentLeaseStep(s, { kind: "renew", sentAt: at(1), leaseMs: 3000 }, at(1.3), opts);
    expect(onTime).toEqual({ state: { expiresAt: at(4.1), lastSentAt: at(1), renewedAt: at(1.3), wallExpiresAt: at(4.1) }, actions: [], reason: null });
    const useless = agentLeaseStep(s, { kind: "renew", sentAt: at(1), leaseMs: 3000 }, at(4.3), opts);
    expect(useless.state).toBe(s);
    expect(useless.reason).toBe("refusing a lease renewal sent 3.3 s ago: the lease it grants would already have run out");
  });

  it("runs the lease on the lease clock, and ends it early if the wall clock ran further (a suspended host)", () => {
    // The lease clock reads 50 000 when the renewal arrives 0.7 s after it was sent (wall clock).
    const late = agentLeaseStep(NO_LEASE, { kind: "renew", sentAt: at(1), leaseMs: 3000, wallAt: at(1.7) }, 50_000, opts);
    expect(late.state).toEqual({ expiresAt: 50_000 - 200 + 2_800, lastSentAt: at(1), renewedAt: 50_000, wallExpiresAt: at(1.7) - 200 + 2_800 });
    expect(late.reason).toBe("lease renewal arrived 0.7 s after it was sent: lease counted from 0.5 s after sending");
    const expiry = [{ kind: "drop-vips" }, { kind: "set-read-only" }, { kind: "kill-clients" }];
    // The wall clock stepped back 2 s: the lease still ends 2.6 s of lease clock later.
    expect(agentLeaseStep(late.state, { kind: "tick", wallAt: at(1.7) + 2_599 - 2_000 }, 52_599, opts).actions).toEqual([]);
    expect(agentLeaseStep(late.state, { kind: "tick", wallAt: at(1.7) + 2_600 - 2_000 }, 52_600, opts).actions).toEqual(expiry);
    // The host slept 3 s: its monotonic clock stood still, the wall clock did not.
    expect(agentMayHoldRoles(late.state, 50_100, at(1.7) + 3_100)).toBe(false);
    expect(agentLeaseStep(late.state, { kind: "tick", wallAt: at(1.7) + 3_100 }, 50_100, opts).actions).toEqual(expiry);
    // A renewal from the agent's future is judged by the wall clock too.
    const future = agentLeaseStep(late.state, { kind: "renew", sentAt: at(3), leaseMs: 3000, wallAt: at(2) }, 50_400, opts);
    expect(future.state).toBe(late.state);
    expect(future.reason).toMatch(/1\.0 s in this host's future/);
  });
});

describe("the monitor's view of leases", () => {
  const config = loadHaConfig();
  const state = buildState(config, { leases: { db1: -0.5 } });

  it("bounds the agent's lease by the time it may run from + lease + one agent tick", () => {
    expect(config.leaseGraceMs).toBe(100);
    expect(leaseBound(state, "db1", config)).toBe(at(2.6));
    expect(isLeaseExpired(state, "db1", at(2.59), config)).toBe(false);
    expect(isLeaseExpired(state, "db1", at(2.6), config)).toBe(true);
  });

  it("treats a host never leased as holding nothing", () => {
    const never = { ...state, leases: {} };
    expect(leaseBound(never, "db1", config)).toBe(null);
    expect(isLeaseExpired(never, "db1", at(0), config)).toBe(true);
  });

  it("books an unanswered renewal from send + message age + clock skew, and never moves it back", () => {
    expect(config.unansweredLeaseDelayMs).toBe(1000);
    const sent = recordRenewal(state, "db1", at(1), { kind: "unanswered" }, config);
    expect(sent.leases.db1).toBe(at(2));
    expect(recordRenewal(sent, "db1", at(0.5), { kind: "unanswered" }, config)).toBe(sent);
    expect(recordRenewal(sent, "db1", at(3), { kind: "not-sent" }, config)).toBe(sent);
  });

  it("books an answered renewal from its answer, which supersedes every renewal sent before it", () => {
    const unanswered = recordRenewal(state, "db1", at(1), { kind: "unanswered" }, config);
    const answered = recordRenewal(unanswered, "db1", at(1.4), { kind: "answered", at: at(1.45) }, config);
    expect(answered.leases.db1).toBe(at(1.45));
    expect(leaseBound(answered, "db1", config)).toBe(at(4.55));
    // An answer later than the latest time the agent could count from is no news.
    expect(recordRenewal(state, "db1", at(1), { kind: "answered", at: at(2.5) }, config).leases.db1).toBe(at(2));
  });
});
