import { describe, expect, it } from "vitest";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { parseInventory } from "../../src/inventory/parse.js";
import { parseProbe, type HostFacts } from "../../src/facts/parse.js";
import type { PlanInput } from "../../src/provision/context.js";
import { mycnfPath, mysqlSettings, renderMycnf, semiSyncRecoveryOption } from "../../src/provision/steps/mycnf.js";
import { desiredChronyFiles } from "../../src/provision/steps/time.js";
import { desiredMmmFiles } from "../../src/provision/steps/mmm-config.js";
import { hostsLines } from "../../src/provision/steps/hosts.js";
import { replaceManagedBlock } from "../../src/provision/managed-block.js";
import { parseMmmConfig } from "../../src/mmm-config/parse-mmm-config.js";

const ROOT = join(import.meta.dirname, "..", "..");
const FIXTURES = join(ROOT, "test", "fixtures");
const inventory = parseInventory(readFileSync(join(ROOT, "inventories", "lab.yml"), "utf8"), "lab.yml");
const probe = readFileSync(join(FIXTURES, "facts", "debian12-mariadb.txt"), "utf8");
const SECRET = "ab".repeat(32);

function input(host: string, facts: Partial<HostFacts> = {}): PlanInput {
  const f = { ...parseProbe(host, probe, { offsetMs: 0, uncertaintyMs: 0 }), ...facts };
  return {
    inventory,
    host: inventory.hosts.find((h) => h.name === host)!,
    facts: f,
    allFacts: new Map(),
    cluster: { clusterSecret: SECRET },
  };
}

/** Golden files: set UPDATE_GOLDEN=1 to rewrite them after a deliberate change, then review the diff. */
function golden(name: string, actual: string): void {
  const file = join(FIXTURES, "templates", name);
  if (process.env.UPDATE_GOLDEN || !existsSync(file)) writeFileSync(file, actual);
  expect(actual).toBe(readFileSync(file, "utf8"));
}

describe("rendered files", () => {
  it.each(["db1", "db2", "db3"])("my.cnf for %s", (host) => {
    const i = input(host);
    expect(mycnfPath(i.facts.mysql!, host)).toBe("/etc/mysql/mariadb.conf.d/99-mmm.cnf");
    golden(`${host}.99-mmm.cnf`, renderMycnf(i, i.facts.mysql!));
  });

  it("my.cnf for MySQL 8.0 uses gtid_mode, log_replica_updates and super_read_only", () => {
    const i = input("db1");
    const mysql = { ...i.facts.mysql!, flavor: "mysql" as const, version: "8.0.36" };
    const names = mysqlSettings(i, mysql).map((s) => `${s.name}=${s.value}`);
    expect(names).toEqual(expect.arrayContaining(["gtid_mode=ON", "enforce_gtid_consistency=ON", "log_replica_updates=ON", "super_read_only=ON", "read_only=ON"]));
    expect(names.some((n) => n.startsWith("gtid_strict_mode"))).toBe(false);
  });

  it("semi-sync on MariaDB masters waits AFTER_SYNC (unacknowledged commits do not survive a crash); none of it on slaves", () => {
    const on = (host: string) => {
      const i = input(host);
      const semi = { ...i, inventory: { ...i.inventory, settings: { ...i.inventory.settings, semiSync: true } } };
      return mysqlSettings(semi, i.facts.mysql!).map((s) => `${s.name}=${s.value}`);
    };
    expect(on("db1")).toEqual(expect.arrayContaining(["rpl_semi_sync_master_enabled=ON", "rpl_semi_sync_slave_enabled=ON", "rpl_semi_sync_master_wait_point=AFTER_SYNC"]));
    expect(on("db3").filter((n) => n.startsWith("rpl_semi_sync") || n.startsWith("init_rpl_role"))).toEqual([]);
  });

  it("init_rpl_role=SLAVE only where MariaDB knows it (an unknown option stops the server from starting)", () => {
    const known = ["10.6.19-MariaDB", "10.11.9-MariaDB", "10.11.19-MariaDB-0+deb12u1", "11.1.6-MariaDB", "11.2.5", "11.4.3-MariaDB", "11.8.2-MariaDB", "12.0.1-MariaDB"];
    const unknown = ["10.5.27-MariaDB", "10.6.18-MariaDB", "10.11.8-MariaDB", "10.10.7-MariaDB", "11.0.6-MariaDB", "11.3.2-MariaDB", "11.4.2-MariaDB"];
    expect(known.filter((v) => !semiSyncRecoveryOption(v))).toEqual([]);
    expect(unknown.filter((v) => semiSyncRecoveryOption(v))).toEqual([]);
    const i = input("db1");
    const settings = (version: string) =>
      mysqlSettings({ ...i, inventory: { ...i.inventory, settings: { ...i.inventory.settings, semiSync: true } } }, { ...i.facts.mysql!, version }).map((s) => `${s.name}=${s.value}`);
    expect(settings("10.11.19-MariaDB-0+deb12u1")).toContain("init_rpl_role=SLAVE");
    expect(settings("10.11.6-MariaDB-0+deb12u1")).not.toContain("init_rpl_role=SLAVE");
  });

  it("chrony: the monitor serves from its local clock, db hosts follow it, the lab never adjusts", () => {
    const [monConf, monOpts] = desiredChronyFiles(input("monitor"), 'DAEMON_OPTS="-F 1"\n');
    golden("monitor.chrony.conf", monConf!.content);
    expect(monOpts!.content).toBe('DAEMON_OPTS="-x"\n');
    const [dbConf] = desiredChronyFiles(input("db1"), null);
    golden("db1.chrony.conf", dbConf!.content);
  });

  it("MMM files are the tutorial's, and mmm's own parser reads them back", () => {
    const mon = desiredMmmFiles(input("monitor"));
    const db3 = desiredMmmFiles(input("db3"));
    const byName = (files: typeof mon) => Object.fromEntries(files.map((f) => [f.path.split("/").pop()!, f.content]));
    const m = byName(mon);
    const d = byName(db3);
    golden("mmm_common.conf", m["mmm_common.conf"]!);
    golden("mmm_mon.conf", m["mmm_mon.conf"]!);
    expect(d["mmm_agent.conf"]).toContain("\nthis db3\n");
    expect(m["cluster.key"]).toBe(`${SECRET}\n`);
    expect(mon.every((f) => f.mode === 0o600)).toBe(true);

    const read = (files: Record<string, string>) => (name: string) => files[name]!;
    const monitor = parseMmmConfig(m["mmm_mon.conf"]!, "mmm_mon.conf", read(m), { program: "monitor" });
    expect(monitor.hosts.map((h) => [h.name, h.ip, h.mode, h.peer ?? ""])).toEqual([
      ["db1", "192.168.77.2", "master", "db2"],
      ["db2", "192.168.77.3", "master", "db1"],
      ["db3", "192.168.77.4", "slave", ""],
      ["db4", "192.168.77.5", "slave", ""],
    ]);
    expect(monitor.roles.map((r) => [r.name, r.mode, r.hosts.join(","), r.ips.join(",")])).toEqual([
      ["writer", "exclusive", "db1,db2", "192.168.77.100"],
      ["reader", "balanced", "db1,db2,db3,db4", "192.168.77.101,192.168.77.102,192.168.77.103,192.168.77.104"],
    ]);
    expect(monitor.monitor?.ip).toBe("192.168.77.1");
    const agent = parseMmmConfig(d["mmm_agent.conf"]!, "mmm_agent.conf", read(d), { program: "agent" });
    expect(agent.this).toBe("db3");
  });

  it("the /etc/hosts block replaces only its own lines", () => {
    const lines = hostsLines(input("db1"));
    expect(lines).toEqual(["192.168.77.1 monitor", "192.168.77.2 db1", "192.168.77.3 db2", "192.168.77.4 db3", "192.168.77.5 db4"]);
    const first = replaceManagedBlock("127.0.0.1 localhost\n10.0.0.9 other\n", lines);
    expect(first).toBe(`127.0.0.1 localhost\n10.0.0.9 other\n# BEGIN mmm managed block\n${lines.join("\n")}\n# END mmm managed block\n`);
    expect(replaceManagedBlock(first, lines)).toBe(first);
    const edited = first.replace("10.0.0.9 other", "10.0.0.9 other renamed") + "192.168.1.50 added-later\n";
    expect(replaceManagedBlock(edited, ["1.2.3.4 x"])).toBe(
      "127.0.0.1 localhost\n10.0.0.9 other renamed\n# BEGIN mmm managed block\n1.2.3.4 x\n# END mmm managed block\n192.168.1.50 added-later\n",
    );
  });
});

describe("cluster network helpers", () => {
  it.each([
    ["192.168.77.2", 24, "192.168.77.%", "192.168.77.0/24"],
    ["10.1.2.3", 16, "10.1.%", "10.1.0.0/16"],
    ["10.1.2.3", 20, "10.1.0.0/255.255.240.0", "10.1.0.0/20"],
    ["db.example.com", 24, "%", "db.example.com"],
  ])("%s/%i: accounts on %s, network %s", async (address, prefix, pattern, network) => {
    const { accountHostPattern, networkOf } = await import("../../src/provision/network.js");
    expect(accountHostPattern(address, prefix)).toBe(pattern);
    expect(networkOf(address, prefix)).toBe(network);
  });
});
