import { describe, expect, it } from "vitest";
import {
  NO_LEASE,
  agentLeaseStep,
  agentMayHoldRoles,
  isLeaseExpired,
  leaseBound,
  recordLeaseSent,
  type AgentLeaseState,
} from "../../src/ha/index.js";
import { at, buildState, loadHaConfig } from "./ha-fixture.js";

const opts = { maxMessageAgeMs: 500 };

describe("agentLeaseStep", () => {
  it("starts holding nothing: drops VIPs and sets read_only until the monitor renews", () => {
    const r = agentLeaseStep({ expiresAt: at(10), lastSentAt: at(7), renewedAt: at(7) }, { kind: "start" }, at(0), opts);
    expect(r.state).toEqual(NO_LEASE);
    expect(r.actions).toEqual([{ kind: "drop-vips" }, { kind: "set-read-only" }]);
    expect(agentMayHoldRoles(r.state, at(0))).toBe(false);
  });

  it("runs the lease from receipt and lets the agent hold roles until it expires", () => {
    const r = agentLeaseStep(NO_LEASE, { kind: "renew", sentAt: at(0), leaseMs: 3000 }, at(0.2), opts);
    expect(r).toEqual({ state: { expiresAt: at(3.2), lastSentAt: at(0), renewedAt: at(0.2) }, actions: [], reason: null });
    expect(agentMayHoldRoles(r.state, at(3.1))).toBe(true);
    expect(agentMayHoldRoles(r.state, at(3.2))).toBe(false);
  });

  it("drops VIPs, sets read_only and kills clients when no renewal came for the lease", () => {
    const s: AgentLeaseState = { expiresAt: at(3.2), lastSentAt: at(0), renewedAt: at(0.2) };
    expect(agentLeaseStep(s, { kind: "tick" }, at(3.1), opts)).toEqual({ state: s, actions: [], reason: null });
    const r = agentLeaseStep(s, { kind: "tick" }, at(3.3), opts);
    expect(r.actions).toEqual([{ kind: "drop-vips" }, { kind: "set-read-only" }, { kind: "kill-clients" }]);
    expect(r.reason).toBe("no lease renewal from the monitor for 3.1 s (lease 3 s): dropping VIPs, setting read_only and killing client connections");
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
    expect(late.state).toEqual({ expiresAt: at(4.5), lastSentAt: at(1), renewedAt: at(1.7) });
    expect(late.reason).toBe("lease renewal arrived 0.7 s after it was sent: lease counted from 0.5 s after sending");
    const onTime = agentLeaseStep(s, { kind: "renew", sentAt: at(1), leaseMs: 3000 }, at(1.3), opts);
    expect(onTime).toEqual({ state: { expiresAt: at(4.3), lastSentAt: at(1), renewedAt: at(1.3) }, actions: [], reason: null });
    const useless = agentLeaseStep(s, { kind: "renew", sentAt: at(1), leaseMs: 3000 }, at(4.5), opts);
    expect(useless.state).toBe(s);
    expect(useless.reason).toBe("refusing a lease renewal sent 3.5 s ago: the lease it grants would already have run out");
  });
});

describe("the monitor's view of leases", () => {
  const config = loadHaConfig();
  const state = buildState(config, { leases: { db1: -0.5 } });

  it("bounds the agent's lease by last send + lease + grace (message age + clock skew + agent tick)", () => {
    expect(config.leaseGraceMs).toBe(1100);
    expect(leaseBound(state, "db1", config)).toBe(at(3.6));
    expect(isLeaseExpired(state, "db1", at(3.59), config)).toBe(false);
    expect(isLeaseExpired(state, "db1", at(3.6), config)).toBe(true);
  });

  it("treats a host never leased as holding nothing", () => {
    const never = { ...state, leases: {} };
    expect(leaseBound(never, "db1", config)).toBe(null);
    expect(isLeaseExpired(never, "db1", at(0), config)).toBe(true);
  });

  it("only moves the record forward", () => {
    const later = recordLeaseSent(state, "db1", at(1));
    expect(later.leases.db1).toBe(at(1));
    expect(recordLeaseSent(later, "db1", at(0.5))).toBe(later);
  });
});
