import { beforeAll, describe, expect, it } from "vitest";
import { ensureLab, LAB_INVENTORY, mmm } from "./support.js";
import type { HostFacts } from "../../src/facts/parse.js";

beforeAll(ensureLab);

describe("mmm facts on the lab", () => {
  it("gathers all five hosts: OS, init, server, include dirs, interfaces, clock", async () => {
    const r = await mmm(["facts", LAB_INVENTORY, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const results = JSON.parse(r.stdout) as { host: string; facts: HostFacts }[];
    expect(results.map((x) => x.host)).toEqual(["monitor", "db1", "db2", "db3", "db4"]);
    const addresses = { monitor: "192.168.77.1", db1: "192.168.77.2", db2: "192.168.77.3", db3: "192.168.77.4", db4: "192.168.77.5" };
    for (const { host, facts } of results) {
      expect(facts.hostname).toBe(host);
      expect(facts.os).toMatchObject({ id: "debian", version: "12", family: "debian" });
      expect(facts.init).toBe("sysv");
      expect(facts.root).toBe(true);
      const eth0 = facts.interfaces.find((i) => i.name === "eth0");
      expect(eth0?.addresses.map((a) => `${a.address}/${a.prefix}`)).toContain(`${addresses[host as keyof typeof addresses]}/24`);
      // One machine, one clock: the offset is only measurement noise.
      expect(Math.abs(facts.clock.offsetMs)).toBeLessThan(100);
      expect(facts.mysql).toMatchObject({ flavor: "mariadb", includeDirs: ["/etc/mysql/conf.d", "/etc/mysql/mariadb.conf.d"] });
      expect(facts.mysql?.version).toMatch(/^10\.11\.\d+$/);
      expect(facts.mysql?.running).toBe(host !== "monitor");
    }
  });

  it("prints a table with a row per host", async () => {
    const r = await mmm(["facts", LAB_INVENTORY]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^HOST\s+HOSTNAME\s+OS\s+INIT\s+MYSQL/);
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(["monitor", "db1", "db2", "db3", "db4"]);
    expect(lines[2]).toMatch(/db1\s+db1\s+Debian GNU\/Linux 12 \(bookworm\)\s+sysv\s+MariaDB 10\.11\.\d+\s+\/etc\/mysql\/conf\.d,\/etc\/mysql\/mariadb\.conf\.d\s+eth0 192\.168\.77\.2\/24/);
  });

  it("limits to named hosts and rejects unknown names", async () => {
    const ok = await mmm(["facts", LAB_INVENTORY, "--limit", "db3", "--json"]);
    expect(JSON.parse(ok.stdout).map((x: { host: string }) => x.host)).toEqual(["db3"]);
    const bad = await mmm(["facts", LAB_INVENTORY, "--limit", "db9"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--limit: no host db9");
  });
});
