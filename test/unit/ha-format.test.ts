import { describe, expect, it } from "vitest";
import { explain, formatChecks, formatMmmTime, formatShow, type HaConfig, type Snapshot } from "../../src/ha/index.js";
import { at, buildChecks, buildObserved, buildState, loadHaConfig, snapshotOf, type StateSpec } from "./ha-fixture.js";

const config = loadHaConfig();

function snap(spec: StateSpec, cfg: HaConfig = config, observe = {}): Snapshot {
  const state = buildState(cfg, spec);
  return snapshotOf(cfg, state, buildChecks(cfg, 0, {}), buildObserved(cfg, state, observe));
}

describe("mmm control show", () => {
  it("prints the tutorial's output for the tutorial's roles", () => {
    const s = snap({ roles: { "192.168.1.100": "db1", "192.168.1.102": "db1", "192.168.1.101": "db2", "192.168.1.104": "db3", "192.168.1.103": "db4" } });
    expect(formatShow(s)).toBe(
      [
        "  db1(192.168.1.2) master/ONLINE. Roles: reader(192.168.1.102), writer(192.168.1.100)",
        "  db2(192.168.1.3) master/ONLINE. Roles: reader(192.168.1.101)",
        "  db3(192.168.1.4) slave/ONLINE. Roles: reader(192.168.1.104)",
        "  db4(192.168.1.5) slave/ONLINE. Roles: reader(192.168.1.103)",
        "",
      ].join("\n"),
    );
  });

  it("prints the tutorial's output after db1's mysqld was stopped", () => {
    const s = snap({
      hosts: { db1: "HARD_OFFLINE" },
      roles: { "192.168.1.100": "db2", "192.168.1.101": "db2", "192.168.1.102": "db3", "192.168.1.104": "db3", "192.168.1.103": "db4" },
    });
    expect(formatShow(s)).toBe(
      [
        "  db1(192.168.1.2) master/HARD_OFFLINE. Roles: ",
        "  db2(192.168.1.3) master/ONLINE. Roles: reader(192.168.1.101), writer(192.168.1.100)",
        "  db3(192.168.1.4) slave/ONLINE. Roles: reader(192.168.1.102), reader(192.168.1.104)",
        "  db4(192.168.1.5) slave/ONLINE. Roles: reader(192.168.1.103)",
        "",
      ].join("\n"),
    );
  });

  it("adds MMM's comment lines: passive mode, silent agents, preferred hosts, and mmm's writer move", () => {
    const preferring = { ...config, roles: config.roles.map((r) => (r.name === "writer" ? { ...r, prefer: "db1" } : r)) };
    const s = snap(
      {
        mode: "PASSIVE",
        passiveInfo: "Admin switched to passive mode.",
        roles: { "192.168.1.101": "db2" },
        transition: { ip: "192.168.1.100", from: "db1", to: "db2", cause: "move_role", why: "x", startedAt: -2, forced: false, fencedAt: null, fencedBy: null, alerted: false },
      },
      preferring,
      { db3: { agent: null } },
    );
    expect(formatShow(s, { timeZone: "utc" })).toBe(
      [
        "# --- Monitor is in PASSIVE MODE ---",
        "# Cause: Admin switched to passive mode.",
        "# Warning: agent on host db3 is not reachable",
        "  db1(192.168.1.2) master/ONLINE. Roles: ",
        "  db2(192.168.1.3) master/ONLINE. Roles: reader(192.168.1.101)",
        "  db3(192.168.1.4) slave/ONLINE. Roles: ",
        "  db4(192.168.1.5) slave/ONLINE. Roles: ",
        "# Role writer has db1 configured as it's preferred host.",
        "# Role writer is moving from 'db1' to 'db2' since 2024/05/01 09:59:58; see 'mmm control why writer'",
        "",
      ].join("\n"),
    );
  });
});

describe("mmm control checks", () => {
  const t = Date.UTC(2014, 11, 31, 15, 15, 22);
  const s = snap({ roles: { "192.168.1.100": "db1" } });
  for (const h of Object.values(s.checks.hosts)) for (const c of Object.values(h)) Object.assign(c!, { lastChange: t });

  it("prints the tutorial's lines", () => {
    expect(formatChecks(s, "all", "all", { timeZone: "utc" }).split("\n").slice(0, 4)).toEqual([
      "db1  ping         [last change: 2014/12/31 15:15:22]  OK",
      "db1  mysql        [last change: 2014/12/31 15:15:22]  OK",
      "db1  rep_threads  [last change: 2014/12/31 15:15:22]  OK",
      "db1  rep_backlog  [last change: 2014/12/31 15:15:22]  OK: Backlog is null",
    ]);
    expect(formatChecks(s, "all", "all", { timeZone: "utc" }).split("\n")).toHaveLength(17);
  });

  it("prints one host, one check, or one check on all hosts like MMM", () => {
    expect(formatChecks(s, "db4", "ping", { timeZone: "utc" })).toBe("db4  ping  [last change: 2014/12/31 15:15:22]  OK");
    expect(formatChecks(s, "db4", "all", { timeZone: "utc" })).toBe(
      [
        "db4  ping         [last change: 2014/12/31 15:15:22]  OK",
        "db4  mysql        [last change: 2014/12/31 15:15:22]  OK",
        "db4  rep_threads  [last change: 2014/12/31 15:15:22]  OK",
        "db4  rep_backlog  [last change: 2014/12/31 15:15:22]  OK: Backlog is null",
        "",
      ].join("\n"),
    );
    expect(formatChecks(s, "all", "mysql", { timeZone: "utc" }).split("\n")[3]).toBe("db4  mysql  [last change: 2014/12/31 15:15:22]  OK");
  });

  it("names errant transactions under the host's checks", () => {
    const e = snap({
      hosts: { db1: { state: "REPLICATION_FAIL", errant: { gtids: "3e11fa47-71ca-11e1-9e33-c80aa9429562:101-103", since: t } } },
      roles: { "192.168.1.100": "db2" },
    });
    expect(formatChecks(e, "db1", "all", { timeZone: "utc" }).split("\n")[4]).toBe(
      "db1  errant       [last change: 2014/12/31 15:15:22]  ERROR: transactions not on db2: 3e11fa47-71ca-11e1-9e33-c80aa9429562:101-103",
    );
  });

  it("formats times as MMM's yyyy/MM/dd HH:mm:ss", () => {
    expect(formatMmmTime(Date.UTC(2024, 0, 2, 3, 4, 5), "utc")).toBe("2024/01/02 03:04:05");
  });
});

describe("mmm control why", () => {
  it("explains a host: state and cause, each check, flap counter, agent, lease, roles and what comes next", () => {
    const state = buildState(config, {
      hosts: { db1: { state: "HARD_OFFLINE", since: -5, reason: "mysql: connection refused for 1.2 s", flapCount: 1, flapStart: -5 } },
      roles: { "192.168.1.100": null, "192.168.1.101": "db2" },
      leases: { db1: -5 },
    });
    const checks = buildChecks(config, 0, { db1: { mysql: { failingSince: -6.2, lastChange: -5, cause: "connection refused" }, ping: { ok: true, failingSince: -0.5, cause: "no answer" } } });
    const s = snapshotOf(config, state, checks, buildObserved(config, state, { db1: { agent: null, mysql: null } }));
    expect(explain(s, "db1", at(0), { timeZone: "utc" })).toBe(
      [
        "db1 (192.168.1.2, master) is HARD_OFFLINE since 2024/05/01 09:59:55 (5.0 s ago): mysql: connection refused for 1.2 s",
        "checks:",
        "  ping         failing for 0.5 s (no answer), counts after trap_period 10 s (9.5 s more)",
        "  mysql        FAILED: mysql: connection refused for 6.2 s (trap_period 10 s)",
        "  rep_threads  OK since 2024/05/01 09:00:00: OK",
        "  rep_backlog  OK since 2024/05/01 09:00:00: OK: Backlog is null",
        "flap counter: 1 downtime since 2024/05/01 09:59:55 (flapping after more than 3 within 3600 s)",
        "agent: does not answer",
        "lease: expired 1.9 s ago — the agent has dropped its VIPs and write access",
        "roles: none",
        "next: becomes AWAITING_RECOVERY once ping and mysql answer again (REPLICATION_FAIL/DELAY if its replication is not fine)",
        "",
      ].join("\n"),
    );
  });

  it("says a check failing by refusals counts at the next refusal, not after trap_period", () => {
    const state = buildState(config, { roles: { "192.168.1.100": "db1" } });
    const checks = buildChecks(config, 0, { db1: { mysql: { ok: true, failingSince: -0.2, cause: "connection refused", refusedSince: -0.1 } } });
    const s = snapshotOf(config, state, checks, buildObserved(config, state));
    expect(explain(s, "db1", at(0), { timeZone: "utc" }).split("\n")).toContain(
      "  mysql        failing for 0.2 s (connection refused), counts at the next refusal (refused for 0.1 s)",
    );
  });

  it("explains a writer move: where it stands and what blocks it", () => {
    const state = buildState(config, {
      hosts: { db1: "HARD_OFFLINE" },
      roles: { "192.168.1.100": null, "192.168.1.102": "db3" },
      leases: { db1: -1 },
      grants: { vips: { "192.168.1.100": ["db1"] }, writable: ["db1"] },
      transition: {
        ip: "192.168.1.100",
        from: "db1",
        to: "db2",
        cause: "failover",
        why: "moving writer from db1 to db2 because db1 is HARD_OFFLINE (ping: no answer for 2.0 s)",
        startedAt: -1,
        forced: false,
        fencedAt: null,
        fencedBy: null,
        alerted: false,
      },
    });
    const s = snapshotOf(config, state, buildChecks(config, 0, { db1: { ping: { failingSince: -3 } } }), buildObserved(config, state, { db1: { agent: null, mysql: null } }));
    expect(explain(s, "writer", at(0), { timeZone: "utc" })).toBe(
      [
        "writer is exclusive (the writer: its holder is the one writable host), ips 192.168.1.100",
        "  192.168.1.100: unassigned",
        "hosts: db1 (HARD_OFFLINE), db2 (eligible)",
        "moving from db1 to db2 since 2024/05/01 09:59:59: moving writer from db1 to db2 because db1 is HARD_OFFLINE (ping: no answer for 2.0 s)",
        "  waiting: db1 does not answer; its lease expires in 2.1 s",
        "",
      ].join("\n"),
    );
  });

  it("says a role is blocked in manual mode and where it could go", () => {
    const s = snap({ mode: "MANUAL", roles: { "192.168.1.100": "db1" } });
    expect(explain(s, "writer", at(0))).toContain("blocked: manual mode; roles move only by `mmm control move_role`\ncan move to: db2 (`mmm control move_role writer db2`)\n");
    expect(explain(s, "db9", at(0))).toBe("ERROR: 'db9' is neither a host nor a role (db1, db2, db3, db4, writer, reader)\n");
  });
});
