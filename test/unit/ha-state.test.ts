import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { adoptMonitorState, initialMonitorState, parseMonitorState, serializeMonitorState, type HaConfig } from "../../src/ha/index.js";
import { at, buildState, loadHaConfig } from "./ha-fixture.js";

const config = loadHaConfig();

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return [err.message, ...err.problems];
    throw err;
  }
  throw new Error("expected a ConfigError");
}

describe("the status file", () => {
  it("round-trips a state with a writer move in progress", () => {
    const state = buildState(config, {
      hosts: { db1: { state: "HARD_OFFLINE", flapCount: 2, flapStart: -100, errant: { gtids: "0-1-5", since: at(-3) } } },
      roles: { "192.168.1.101": "db2" },
      transition: {
        ip: "192.168.1.100",
        from: "db1",
        to: "db2",
        cause: "failover",
        why: "moving writer from db1 to db2 because db1 is HARD_OFFLINE (mysql: connection refused for 1.2 s)",
        startedAt: -1,
        forced: false,
        fencedAt: null,
        fencedBy: null,
        alerted: false,
      },
    });
    const text = serializeMonitorState(state);
    expect(parseMonitorState(text, "/var/lib/mysql-mmm/mmm_mond.status")).toEqual(state);
  });

  it("says what is wrong and what to do", () => {
    const file = "/var/lib/mysql-mmm/mmm_mond.status";
    expect(problems(() => parseMonitorState("db1|ONLINE|writer(192.168.1.100)\n", file))[0]).toMatch(
      /^\/var\/lib\/mysql-mmm\/mmm_mond.status: not a monitor status file \(.*\); move it away to start without stored status$/,
    );
    expect(problems(() => parseMonitorState('{"version": 3}', file))).toEqual([
      `${file}: status file version 3 is not supported (expected 2); move it away to start without stored status`,
    ]);
    const bad = JSON.parse(serializeMonitorState(buildState(config)));
    bad.hosts.db1.state = "OFFLINE";
    bad.mode = "AUTO";
    expect(problems(() => parseMonitorState(JSON.stringify(bad), file))).toEqual([
      `${file}: invalid monitor status file; move it away to start without stored status`,
      `${file}: mode: Invalid enum value. Expected 'ACTIVE' | 'MANUAL' | 'WAIT' | 'PASSIVE', received 'AUTO'`,
      `${file}: hosts.db1.state: Invalid enum value. Expected 'ONLINE' | 'ADMIN_OFFLINE' | 'HARD_OFFLINE' | 'AWAITING_RECOVERY' | 'REPLICATION_DELAY' | 'REPLICATION_FAIL', received 'OFFLINE'`,
    ]);
  });
});

describe("a version 1 status file", () => {
  it("is read with its leases' send times moved to the latest time an unanswered renewal may run from", () => {
    const v2 = buildState(config, { leases: { db1: -0.5, db2: -0.4 } });
    const v1 = JSON.parse(serializeMonitorState(v2));
    v1.version = 1;
    v1.leases = { db1: at(-0.5), db2: at(-0.4) };
    const read = parseMonitorState(JSON.stringify(v1), "mmm_mond.status");
    expect(read.version).toBe(2);
    expect(read.leases).toEqual({ db1: at(0.5), db2: at(0.6) });
    expect({ ...read, leases: v2.leases }).toEqual({ ...v2, leases: v2.leases });
  });
});

describe("initialMonitorState", () => {
  it("assumes every host may hold everything, under a lease renewed now and not answered", () => {
    const s = initialMonitorState(config, at(0));
    expect(Object.values(s.hosts).map((h) => h.state)).toEqual(["AWAITING_RECOVERY", "AWAITING_RECOVERY", "AWAITING_RECOVERY", "AWAITING_RECOVERY"]);
    expect(s.grants.vips["192.168.1.100"]).toEqual(["db1", "db2", "db3", "db4"]);
    expect(s.grants.writable).toEqual(["db1", "db2", "db3", "db4"]);
    expect(s.leases).toEqual({ db1: at(1), db2: at(1), db3: at(1), db4: at(1) });
    expect(s.roles.every((r) => r.host === null)).toBe(true);
    expect(s.mode).toBe("ACTIVE");
  });
});

describe("adoptMonitorState", () => {
  it("fits a stored state to a changed configuration like MMM does at startup", () => {
    const stored = buildState(config, { roles: { "192.168.1.100": "db1", "192.168.1.101": "db4", "192.168.1.104": "db3" } });
    const changed: HaConfig = {
      ...config,
      hosts: [...config.hosts.filter((h) => h.name !== "db4"), { name: "db5", ip: "192.168.1.6", mode: "slave" }],
      roles: config.roles.map((r) => (r.name === "reader" ? { ...r, hosts: ["db1", "db2", "db5"], ips: ["192.168.1.101", "192.168.1.104", "192.168.1.105"] } : r)),
    };
    const s = adoptMonitorState(stored, changed, at(0));
    expect(Object.keys(s.hosts)).toEqual(["db1", "db2", "db3", "db5"]);
    expect(s.hosts.db5?.state).toBe("AWAITING_RECOVERY");
    expect(s.roles).toEqual([
      { role: "writer", ip: "192.168.1.100", host: "db1" },
      { role: "reader", ip: "192.168.1.101", host: null }, // db4 is gone
      { role: "reader", ip: "192.168.1.104", host: null }, // db3 can no longer be a reader
      { role: "reader", ip: "192.168.1.105", host: null },
    ]);
    expect(s.grants.vips["192.168.1.105"]).toContain("db5");
    expect(s.grants.writable).toContain("db5");
    expect(s.leases.db5).toBe(at(1));
    // Lease times are not written: every lease counts as renewed, unanswered, at the restart.
    expect(s.leases.db1).toBe(at(1));
    expect(adoptMonitorState({ ...stored, leases: { ...stored.leases, db1: at(5) } }, changed, at(0)).leases.db1).toBe(at(5));
  });
});
