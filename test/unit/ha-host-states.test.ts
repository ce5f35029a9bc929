import { describe, expect, it } from "vitest";
import { EMPTY_CHECKS, simpleGtidOps, stepHostStates, type CheckName, type HostState } from "../../src/ha/index.js";
import { at, buildChecks, buildObserved, buildState, loadHaConfig, type CheckSpec, type ObserveSpec, type StateSpec } from "./ha-fixture.js";

const config = loadHaConfig();
const WRITER_ON_DB1 = { "192.168.1.100": "db1" };

function step(spec: StateSpec, checks: Record<string, Partial<Record<CheckName, CheckSpec>>> = {}, observe: Record<string, ObserveSpec> = {}, now = 0) {
  const state = buildState(config, { roles: WRITER_ON_DB1, ...spec });
  const activeMaster = state.roles.find((r) => r.ip === "192.168.1.100")?.host ?? null;
  return stepHostStates({
    config,
    prev: state,
    checks: buildChecks(config, now, checks),
    observed: buildObserved(config, state, observe),
    now: at(now),
    activeMaster,
    gtid: simpleGtidOps,
  });
}
const stateOf = (out: ReturnType<typeof step>, h: string) => out.hosts[h]!.state;
const down = { failingSince: -3, cause: "connection refused" };

describe("MMM's host state transitions", () => {
  const cases: Array<[string, StateSpec, Record<string, Partial<Record<CheckName, CheckSpec>>>, string, HostState]> = [
    ["ONLINE → HARD_OFFLINE when mysql fails", {}, { db3: { mysql: down } }, "db3", "HARD_OFFLINE"],
    ["ONLINE → HARD_OFFLINE when ping fails", {}, { db3: { ping: down } }, "db3", "HARD_OFFLINE"],
    ["ONLINE → REPLICATION_FAIL when threads stop and the peer is ONLINE", {}, { db3: { rep_threads: down } }, "db3", "REPLICATION_FAIL"],
    ["ONLINE → REPLICATION_DELAY when it lags", {}, { db3: { rep_backlog: down } }, "db3", "REPLICATION_DELAY"],
    ["the active master's own replication does not matter", {}, { db1: { rep_threads: down, rep_backlog: down } }, "db1", "ONLINE"],
    [
      "a master's replication failure is ignored while its peer is down",
      { hosts: { db1: "HARD_OFFLINE" }, roles: {} },
      { db1: { mysql: down }, db2: { rep_threads: down } },
      "db2",
      "ONLINE",
    ],
    ["…but counts while its peer is ONLINE", { roles: {} }, { db2: { rep_threads: down } }, "db2", "REPLICATION_FAIL"],
    [
      "…and ignored for 60 s after the peer came ONLINE",
      { hosts: { db1: { state: "ONLINE", since: -30, onlineSince: -30 } }, roles: {} },
      { db2: { rep_threads: down } },
      "db2",
      "ONLINE",
    ],
    ["…and for 60 s after a new writer", { writerSince: -20 }, { db3: { rep_threads: down } }, "db3", "ONLINE"],
    ["ADMIN_OFFLINE is left alone", { hosts: { db3: "ADMIN_OFFLINE" } }, { db3: { mysql: down } }, "db3", "ADMIN_OFFLINE"],
    ["HARD_OFFLINE → AWAITING_RECOVERY when it answers again", { hosts: { db3: "HARD_OFFLINE" } }, {}, "db3", "AWAITING_RECOVERY"],
    ["HARD_OFFLINE → REPLICATION_FAIL when it answers with broken replication", { hosts: { db3: "HARD_OFFLINE" } }, { db3: { rep_threads: down } }, "db3", "REPLICATION_FAIL"],
    ["HARD_OFFLINE → REPLICATION_DELAY when it answers lagging", { hosts: { db3: "HARD_OFFLINE" } }, { db3: { rep_backlog: down } }, "db3", "REPLICATION_DELAY"],
    [
      "with no writer a master's replication cannot be judged: AWAITING_RECOVERY",
      { hosts: { db2: "HARD_OFFLINE" }, roles: {} },
      { db2: { rep_threads: down } },
      "db2",
      "AWAITING_RECOVERY",
    ],
    ["AWAITING_RECOVERY → HARD_OFFLINE", { hosts: { db3: "AWAITING_RECOVERY" } }, { db3: { ping: down } }, "db3", "HARD_OFFLINE"],
    ["AWAITING_RECOVERY stays before auto_set_online", { hosts: { db3: { state: "AWAITING_RECOVERY", since: -59 } } }, {}, "db3", "AWAITING_RECOVERY"],
    ["AWAITING_RECOVERY → ONLINE after auto_set_online (60 s)", { hosts: { db3: { state: "AWAITING_RECOVERY", since: -60 } } }, {}, "db3", "ONLINE"],
    [
      "AWAITING_RECOVERY waits for its replication checks",
      { hosts: { db3: { state: "AWAITING_RECOVERY", since: -600 } } },
      { db3: { rep_backlog: down } },
      "db3",
      "AWAITING_RECOVERY",
    ],
    ["REPLICATION_FAIL → REPLICATION_DELAY", { hosts: { db3: "REPLICATION_FAIL" } }, { db3: { rep_backlog: down } }, "db3", "REPLICATION_DELAY"],
    ["REPLICATION_DELAY → REPLICATION_FAIL", { hosts: { db3: "REPLICATION_DELAY" } }, { db3: { rep_threads: down } }, "db3", "REPLICATION_FAIL"],
    ["REPLICATION_DELAY → ONLINE when it caught up", { hosts: { db3: "REPLICATION_DELAY" } }, {}, "db3", "ONLINE"],
    ["REPLICATION_FAIL → HARD_OFFLINE", { hosts: { db3: "REPLICATION_FAIL" } }, { db3: { mysql: down } }, "db3", "HARD_OFFLINE"],
    [
      "REPLICATION_FAIL → ONLINE when its source is not ONLINE (nothing to replicate from)",
      { hosts: { db1: "HARD_OFFLINE", db2: "REPLICATION_FAIL" }, roles: {} },
      { db1: { mysql: down }, db2: { rep_threads: down } },
      "db2",
      "ONLINE",
    ],
    [
      "REPLICATION_DELAY → AWAITING_RECOVERY when flapping",
      { hosts: { db3: { state: "REPLICATION_DELAY", flapping: true } } },
      {},
      "db3",
      "AWAITING_RECOVERY",
    ],
  ];
  it.each(cases)("%s", (_, spec, checks, host, expected) => {
    expect(stateOf(step(spec, checks), host)).toBe(expected);
  });

  it("logs changes in MMM's words", () => {
    const out = step({}, { db3: { mysql: down } });
    expect(out.events).toEqual(["State of host 'db3' changed from ONLINE to HARD_OFFLINE (ping: OK, mysql: not OK)"]);
    expect(out.hosts.db3!.reason).toBe("mysql: connection refused for 3.0 s");
    expect(out.changes).toEqual([{ host: "db3", from: "ONLINE", to: "HARD_OFFLINE" }]);
  });

  it("brings back a host that was only cut off (uptime grew by less than 60 s)", () => {
    const out = step({ hosts: { db3: { state: "AWAITING_RECOVERY", since: -5, lastOnlineUptime: 1000 } } }, {}, { db3: { agent: { uptime: 1030 } } });
    expect(stateOf(out, "db3")).toBe("ONLINE");
    expect(out.events).toEqual(["State of host 'db3' changed from AWAITING_RECOVERY to ONLINE because it was down for only 30 seconds"]);
    const rebooted = step({ hosts: { db3: { state: "AWAITING_RECOVERY", since: -5, lastOnlineUptime: 1000 } } }, {}, { db3: { agent: { uptime: 20 } } });
    expect(stateOf(rebooted, "db3")).toBe("AWAITING_RECOVERY");
  });

  it("counts downtimes and marks a host flapping after more than flap_count within flap_duration", () => {
    const third = step({ hosts: { db3: { state: "ONLINE", flapCount: 2, flapStart: -100 } } }, { db3: { mysql: down } });
    expect(third.hosts.db3).toMatchObject({ flapCount: 3, flapping: false });
    const fourth = step({ hosts: { db3: { state: "ONLINE", flapCount: 3, flapStart: -100 } } }, { db3: { mysql: down } });
    expect(fourth.hosts.db3).toMatchObject({ flapCount: 4, flapping: true, flapStart: null });
    expect(fourth.events).toContain("Host db3 is flapping!");
    const stale = step({ hosts: { db3: { state: "ONLINE", flapCount: 3, flapStart: -4000 } } }, { db3: { mysql: down } });
    expect(stale.hosts.db3).toMatchObject({ flapCount: 1, flapping: false, flapStart: at(0) });
  });

  it("keeps a flapping host AWAITING_RECOVERY, even after auto_set_online", () => {
    const out = step({ hosts: { db3: { state: "AWAITING_RECOVERY", since: -600, flapping: true } } }, { db3: { mysql: { ok: true, lastChange: -10 } } });
    expect(stateOf(out, "db3")).toBe("AWAITING_RECOVERY");
  });

  it("holds a host with errant transactions in REPLICATION_FAIL whatever the other checks say", () => {
    const errant = { db3: { mysql: { gtidExecuted: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-101" } } };
    const online = step({}, {}, errant);
    expect(stateOf(online, "db3")).toBe("REPLICATION_FAIL");
    expect(online.hosts.db3!.errant).toEqual({ gtids: "3e11fa47-71ca-11e1-9e33-c80aa9429562:101", since: at(0) });
    expect(stateOf(step({ hosts: { db3: "REPLICATION_FAIL" } }, {}, errant), "db3")).toBe("REPLICATION_FAIL");
    expect(stateOf(step({ hosts: { db3: { state: "AWAITING_RECOVERY", since: -600 } } }, {}, errant), "db3")).toBe("REPLICATION_FAIL");
  });

  it("does not extend the 60 s grace after a new writer or a returning peer to a stopped SQL thread", () => {
    const sqlStopped = { db3: { mysql: { replication: { sqlRunning: false } } } };
    expect(stateOf(step({ writerSince: -20 }, { db3: { rep_threads: down } }, sqlStopped), "db3")).toBe("REPLICATION_FAIL");
    const peerBack = { hosts: { db1: { state: "ONLINE" as const, since: -30, onlineSince: -30 } }, roles: {} };
    expect(stateOf(step(peerBack, { db2: { rep_threads: down } }, { db2: { mysql: { replication: { sqlRunning: false } } } }), "db2")).toBe("REPLICATION_FAIL");
    // An IO thread still connecting keeps the grace.
    const connecting = { db3: { mysql: { replication: { ioRunning: false } } } };
    expect(stateOf(step({ writerSince: -20 }, { db3: { rep_threads: down } }, connecting), "db3")).toBe("ONLINE");
  });

  it("decides nothing for a host before its first check results", () => {
    const state = buildState(config, { roles: WRITER_ON_DB1 });
    const out = stepHostStates({ config, prev: state, checks: EMPTY_CHECKS, observed: {}, now: at(0), activeMaster: "db1", gtid: simpleGtidOps });
    expect(out.events).toEqual([]);
    expect(out.hosts).toEqual(state.hosts);
  });
});
