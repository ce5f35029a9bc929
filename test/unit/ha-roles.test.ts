import { describe, expect, it } from "vitest";
import { assignOrphans, balanceRoles, electHost, rolesOfHost, type HaConfig, type RoleAssignment } from "../../src/ha/index.js";
import { loadHaConfig } from "./ha-fixture.js";

const config = loadHaConfig("tutorial");
const W = "192.168.1.100";
const R = ["192.168.1.101", "192.168.1.102", "192.168.1.103", "192.168.1.104"];

function roles(map: Record<string, string | null>): RoleAssignment[] {
  return [W, ...R].map((ip) => ({ role: ip === W ? "writer" : "reader", ip, host: map[ip] ?? null }));
}
const holders = (rs: readonly RoleAssignment[]) => Object.fromEntries(rs.map((r) => [r.ip, r.host]));
const counts = (rs: readonly RoleAssignment[], hosts: string[]) => hosts.map((h) => rs.filter((r) => r.host === h && r.role === "reader").length);
const place = (rs: RoleAssignment[], eligible: string[], c: HaConfig = config) => {
  const e = (h: string) => eligible.includes(h);
  const o = assignOrphans(rs, c, e, c.activeMasterRole);
  const b = balanceRoles(o.roles, c, e);
  return { roles: b.roles, moves: [...o.moves, ...b.moves] };
};

describe("balanced roles", () => {
  it("spreads reader IPs evenly, the writer's host counting half (MMM's count_host_roles)", () => {
    const r = place(roles({ [W]: "db1" }), ["db1", "db2", "db3", "db4"]);
    expect(holders(r.roles)).toEqual({ [W]: "db1", [R[0]!]: "db2", [R[1]!]: "db3", [R[2]!]: "db4", [R[3]!]: "db1" });
  });

  it("replays the tutorial's failover: db1's reader goes to db3, then one comes back to db1 when it returns", () => {
    // before: db1 writer + .102, db2 .101, db3 .104, db4 .103 (the tutorial's `show`)
    const before = roles({ [W]: "db2", [R[0]!]: "db2", [R[1]!]: null, [R[2]!]: "db4", [R[3]!]: "db3" });
    const failed = place(before, ["db2", "db3", "db4"]);
    expect(rolesOfHost(failed.roles, "db3").map((x) => x.ip)).toEqual(["192.168.1.102", "192.168.1.104"]);
    expect(failed.moves).toEqual(["Orphaned role 'reader(192.168.1.102)' has been assigned to 'db3'"]);

    const back = place(failed.roles, ["db1", "db2", "db3", "db4"]);
    expect(back.moves).toEqual(["Moving role 'reader(192.168.1.104)' from host 'db3' to host 'db1'"]);
    expect(holders(back.roles)).toEqual({ [W]: "db2", [R[0]!]: "db2", [R[1]!]: "db3", [R[2]!]: "db4", [R[3]!]: "db1" });
  });

  it("moves nothing when already balanced (stable), whatever the order of IPs", () => {
    const r = roles({ [W]: "db1", [R[0]!]: "db4", [R[1]!]: "db3", [R[2]!]: "db2", [R[3]!]: "db1" });
    const out = place(r, ["db1", "db2", "db3", "db4"]);
    expect(out.moves).toEqual([]);
    expect(out.roles).toEqual(r);
  });

  it("makes only the moves needed: four readers on one host, the writer elsewhere, take three moves", () => {
    const r = roles({ [W]: "db1", [R[0]!]: "db3", [R[1]!]: "db3", [R[2]!]: "db3", [R[3]!]: "db3" });
    const out = place(r, ["db1", "db2", "db3", "db4"]);
    expect(out.moves).toHaveLength(3);
    const c = counts(out.roles, ["db1", "db2", "db3", "db4"]);
    expect(Math.max(...c) - Math.min(...c)).toBeLessThanOrEqual(1);
  });

  it("balances to within one IP for every number of eligible hosts and IPs", () => {
    for (let n = 2; n <= 4; n++) {
      const eligible = ["db1", "db2", "db3", "db4"].slice(0, n);
      const out = place(roles({ [W]: "db1" }), eligible);
      const load = eligible.map((h) => out.roles.filter((r) => r.host === h).reduce((s, r) => s + (r.role === "writer" ? 0.5 : 1), 0));
      expect(Math.max(...load) - Math.min(...load), `${n} hosts`).toBeLessThanOrEqual(1);
      expect(out.roles.filter((r) => r.role === "reader" && r.host === null)).toEqual([]);
    }
  });

  it("leaves IPs unassigned when no host is eligible, and never gives a reader IP to an ineligible host", () => {
    const none = place(roles({}), []);
    expect(none.roles.every((r) => r.host === null)).toBe(true);
    const one = place(roles({}), ["db4"]);
    expect(one.roles.filter((r) => r.role === "reader").every((r) => r.host === "db4")).toBe(true);
  });
});

describe("exclusive roles", () => {
  const writer = config.roles.find((r) => r.name === "writer")!;
  it("elects the preferred host when eligible, else the least loaded, ties by config order", () => {
    const preferring = { ...writer, prefer: "db2" };
    expect(electHost(config, preferring, roles({}), () => true)).toBe("db2");
    expect(electHost(config, preferring, roles({}), (h) => h !== "db2")).toBe("db1");
    expect(electHost(config, writer, roles({ [R[0]!]: "db1" }), () => true)).toBe("db2");
    expect(electHost(config, writer, roles({}), () => false)).toBe(null);
  });
});
