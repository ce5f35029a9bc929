import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { inspect } from "node:util";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { loadInventory } from "../../src/inventory/load.js";
import type { Inventory, InventoryHost } from "../../src/inventory/model.js";
import { checkInventory, parseInventory } from "../../src/inventory/parse.js";
import { main } from "../../src/cli/main.js";

const root = join(import.meta.dirname, "../..");
const fixtures = join(root, "test/fixtures/inventories");
/** What the fixtures' *_password_env entries read; T_UNSET is deliberately absent, T_EMPTY empty. */
const env = { HOME: "/home/tester", T_REPL: "repl-secret", T_AGENT: "agent-secret", T_APP: "app-secret", T_MON: "mon-secret", T_EMPTY: "" };
const labEnv = { MMM_REPLICATION_PASSWORD: "r-secret", MMM_AGENT_PASSWORD: "a-secret", MMM_MONITOR_PASSWORD: "m-secret", MMM_APP_PASSWORD: "p-secret" };

function valid(name: string): Inventory {
  return parseInventory(readFileSync(join(fixtures, "valid", name), "utf8"), name, env);
}

function host(inv: Inventory, name: string): InventoryHost {
  const h = inv.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no host ${name}`);
  return h;
}

describe("invalid inventories report every problem, each at its line and column", () => {
  const dir = join(fixtures, "invalid");
  const cases = readdirSync(dir).filter((f) => f.endsWith(".yml"));

  it("has a golden file for every invalid fixture", () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
    for (const f of cases) expect(readdirSync(dir)).toContain(f.replace(/\.yml$/, ".expected"));
  });

  for (const f of cases) {
    it(f, () => {
      const expected = readFileSync(join(dir, f.replace(/\.yml$/, ".expected")), "utf8").trimEnd().split("\n");
      let err: unknown;
      try {
        parseInventory(readFileSync(join(dir, f), "utf8"), f, env);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      const c = err as ConfigError;
      expect([c.message, ...c.problems]).toEqual(expected);
    });
  }
});

describe("problems", () => {
  const base = readFileSync(join(fixtures, "valid/single-master.yml"), "utf8");

  it("are sorted by position and say file:line:col  path  message", () => {
    const text = base.replace("mmm_agent_password: a", "mmm_agent_pasword: a").replace("db1: { ansible_host: 10.0.0.2 }", "db1: { ansible_host: 10.0.0.2, mmm_mysql_port: 99999 }");
    const r = checkInventory(text, "x.yml", env);
    expect(r.inventory).toBeUndefined();
    expect(r.problems.map((p) => `${p.pos.line}:${p.pos.col}  ${p.path}  ${p.message}`)).toEqual([
      "2:1  all.vars  mmm_agent_password is not set: add mmm_agent_password_env: ENV_NAME (or mmm_agent_password) to all.vars",
      "5:5  all.vars.mmm_agent_pasword  unknown variable mmm_agent_pasword (did you mean mmm_agent_password?)",
      "15:56  all.children.mmm_masters.hosts.db1.mmm_mysql_port  99999 is out of range: a TCP port must be 1..65535",
    ]);
  });

  it("a missing password does not hide the VIP checks", () => {
    const text = base.replace("    mmm_monitor_password: m\n", "").replace("ips: [10.0.0.100]", "ips: [10.9.0.100]");
    const r = checkInventory(text, "x.yml", env);
    expect(r.problems.map((p) => p.message)).toEqual([
      "mmm_monitor_password is not set: add mmm_monitor_password_env: ENV_NAME (or mmm_monitor_password) to all.vars",
      "VIP 10.9.0.100 is outside db1's network 10.0.0.0/24 (10.0.0.2, mmm_cluster_prefix 24)",
    ]);
  });

  it("say '1 problem' in the singular", () => {
    expect(() => parseInventory(base.replace("mmm_agent_password: a", "mmm_agent_password: ''"), "x.yml", env)).toThrow("x.yml: 1 problem");
  });

  it("never contain a password", () => {
    const text = base
      .replace("mmm_replication_password: r", "mmm_replication_password: hunter2-repl")
      .replace("db1: { ansible_host: 10.0.0.2 }", "db1: { ansible_host: 10.0.0.2, mmm_replication_password: other-secret-pw }");
    const r = checkInventory(text, "x.yml", env);
    const all = r.problems.map((p) => p.message).join("\n");
    expect(all).toContain("mmm_replication_password is cluster-wide but differs between hosts");
    expect(all).not.toContain("hunter2-repl");
    expect(all).not.toContain("other-secret-pw");
  });
});

describe("valid inventories", () => {
  it("single master: defaults everywhere", () => {
    const inv = valid("single-master.yml");
    expect(inv.hosts.map((h) => [h.name, h.kind, h.address, h.serverId, h.peer, h.master])).toEqual([
      ["mon", "monitor", "10.0.0.1", undefined, undefined, undefined],
      ["db1", "master", "10.0.0.2", 1, undefined, undefined],
      // Slaves count from 3 so that adding the second master later renumbers nobody.
      ["db2", "slave", "10.0.0.3", 3, undefined, "db1"],
    ]);
    expect(inv.monitor.name).toBe("mon");
    expect(inv.masters.map((h) => h.name)).toEqual(["db1"]);
    expect(inv.slaves.map((h) => h.name)).toEqual(["db2"]);
    expect(host(inv, "db1").ssh).toEqual({ address: "10.0.0.2", port: 22, user: "root", become: false, connectTimeout: 10 });
    expect(host(inv, "db1").clusterInterface).toBe("eth0");
    expect(host(inv, "db1").mysqlPort).toBe(3306);
    const s = inv.settings;
    expect([s.replication.user, s.agent.user, s.monitor.user]).toEqual(["repl", "mmm_agent", "mmm_monitor"]);
    expect([s.replication.password.reveal(), s.agent.password.reveal(), s.monitor.password.reveal()]).toEqual(["r", "a", "m"]);
    expect(s.app).toBeUndefined();
    expect(s.ntpServers).toEqual(["mon"]);
    expect([s.ntpAdjustClock, s.semiSync, s.gtid, s.clusterPrefix, s.agentPort, s.monitorPort]).toEqual([true, false, true, 24, 9989, 9988]);
    expect(inv.roles).toEqual([{ name: "writer", hosts: ["db1"], ips: ["10.0.0.100"], mode: "exclusive" }]);
    expect(inv.file).toBe(join(process.cwd(), "single-master.yml"));
  });

  it("precedence: all.vars < parent group < child group < host; same depth by priority, then name", () => {
    const inv = valid("precedence.yml");
    // Groups and hosts that are not mmm's (backup1, web1) are not part of the cluster.
    expect(inv.hosts.map((h) => h.name)).toEqual(["mon", "db1", "db2", "db3"]);
    expect(inv.hosts.map((h) => h.clusterInterface)).toEqual(["eth0", "bond0", "eth1", "eth9"]);
    expect(inv.hosts.map((h) => h.mysqlPort)).toEqual([3306, 3307, 3307, 3309]);
    expect(host(inv, "db3").vars["site_tier"]).toBe("late");
    expect(host(inv, "db3").vars["site_owner"]).toBe("ops");
    expect(inv.settings.semiSync).toBe(true);
    expect(inv.roles.find((r) => r.name === "writer")?.prefer).toBe("db2");
  });

  it("connection variables: older ansible_ssh_* names win, ~ is expanded, ssh's first -o value wins", () => {
    const inv = valid("ssh-options.yml");
    const common = {
      privateKeyFile: "/home/tester/.ssh/mmm_ed25519",
      knownHostsFile: "/home/tester/.ssh/mmm_known_hosts",
      proxyCommand: "ssh -W %h:%p bastion.example.com",
    };
    expect(host(inv, "mon").ssh).toEqual({ address: "172.16.5.1", port: 22, user: "root", become: true, connectTimeout: 7, ...common });
    expect(host(inv, "db1").ssh).toEqual({ address: "172.16.5.2", port: 2222, user: "deploy", become: true, connectTimeout: 30, ...common });
    expect(host(inv, "db2").ssh).toEqual({ address: "172.16.5.3", port: 2200, user: "deploy", become: false, connectTimeout: 7, ...common });
    expect(host(inv, "mon").address).toBe("172.16.5.1");
  });

  it("server ids: explicit ones kept, the others derived around them", () => {
    const inv = valid("server-ids.yml");
    expect(Object.fromEntries(inv.hosts.filter((h) => h.kind !== "monitor").map((h) => [h.name, h.serverId]))).toEqual({
      db1: 1,
      db2: 4294967295,
      s1: 3,
      s2: 4,
      s3: 5,
      s4: 2,
      s5: 6,
    });
    expect(inv.slaves.map((h) => h.master)).toEqual(["db1", "db1", "db2", "db1", "db1"]);
  });

  it("passwords from the environment; either spelling at a more specific level wins", () => {
    const inv = valid("env-passwords.yml");
    const s = inv.settings;
    expect([s.replication.user, s.replication.password.reveal(), s.replication.passwordEnv]).toEqual(["replicator", "repl-secret", "T_REPL"]);
    expect([s.agent.password.reveal(), s.agent.passwordEnv]).toEqual(["plain-agent", undefined]);
    expect([s.monitor.password.reveal(), s.monitor.passwordEnv]).toEqual(["mon-secret", "T_MON"]);
    expect(s.app?.user).toBe("shop");
    expect(s.app?.password.reveal()).toBe("app-secret");
    expect(s.app?.databases).toEqual(["shop", "shop_archive"]);
    // Our hosts stay names; timesrv is not one of ours, so it is given as its address.
    expect(s.ntpServers).toEqual(["db1", "10.3.0.250", "ntp.example.org", "10.3.0.9"]);
    expect([s.ntpAdjustClock, s.gtid, s.clusterPrefix, s.agentPort, s.monitorPort]).toEqual([false, false, 16, 7001, 7002]);
  });

  it("secrets never show in JSON or inspect output", () => {
    const inv = valid("env-passwords.yml");
    for (const text of [JSON.stringify(inv), inspect(inv, { depth: 20 })]) {
      for (const secret of ["repl-secret", "plain-agent", "mon-secret", "app-secret", "plain-monitor"]) expect(text).not.toContain(secret);
    }
    expect(host(inv, "db1").vars["mmm_replication_password_env"]).toBe("T_REPL");
    expect(String(host(inv, "db1").vars["mmm_replication_password"])).toBe("***");
  });

  it("a missing env var is named, with where it is asked for", () => {
    const text = readFileSync(join(fixtures, "valid/env-passwords.yml"), "utf8");
    const r = checkInventory(text, "e.yml", { ...env, T_APP: undefined });
    expect(r.problems.map((p) => `${p.pos.line}:${p.pos.col}  ${p.path}  ${p.message}`)).toEqual([
      "10:27  all.vars.mmm_app_password_env  environment variable T_APP is not set (or is empty): export it before running mmm",
    ]);
  });
});

describe("shipped inventories", () => {
  it("lab.yml describes the namespace lab", () => {
    const inv = loadInventory(join(root, "inventories/lab.yml"), {});
    expect(inv.hosts.map((h) => [h.name, h.kind, h.address, h.serverId ?? null, h.peer ?? h.master ?? null])).toEqual([
      ["monitor", "monitor", "192.168.77.1", null, null],
      ["db1", "master", "192.168.77.2", 1, "db2"],
      ["db2", "master", "192.168.77.3", 2, "db1"],
      ["db3", "slave", "192.168.77.4", 3, "db1"],
      ["db4", "slave", "192.168.77.5", 4, "db2"],
    ]);
    for (const h of inv.hosts) {
      expect(h.ssh).toEqual({
        address: h.address,
        port: 22,
        user: "root",
        become: false,
        privateKeyFile: "/var/lib/mmm-lab/id_ed25519",
        knownHostsFile: "/var/lib/mmm-lab/known_hosts",
        proxyCommand: "ip netns exec mmm-lab nc %h %p",
        connectTimeout: 10,
      });
    }
    expect(inv.settings.ntpAdjustClock).toBe(false);
    expect(inv.settings.ntpServers).toEqual(["monitor"]);
    expect(inv.roles).toEqual([
      { name: "writer", hosts: ["db1", "db2"], ips: ["192.168.77.100"], mode: "exclusive" },
      { name: "reader", hosts: ["db1", "db2", "db3", "db4"], ips: ["192.168.77.101", "192.168.77.102", "192.168.77.103", "192.168.77.104"], mode: "balanced" },
    ]);
  });

  it("vagrant.yml: the same five hosts as VMs, vagrant user with sudo, passwords from the environment", () => {
    const inv = loadInventory(join(root, "inventories/vagrant.yml"), labEnv);
    expect(inv.hosts.map((h) => [h.name, h.address, h.ssh.user, h.ssh.become, h.ssh.privateKeyFile, h.clusterInterface])).toEqual(
      ["monitor", "db1", "db2", "db3", "db4"].map((n, i) => [n, `192.168.56.${11 + i}`, "vagrant", true, `.vagrant/machines/${n}/virtualbox/private_key`, "eth1"]),
    );
    expect(inv.settings.replication.password.reveal()).toBe("r-secret");
  });

  it("example.yml is the issue's example and wants its four passwords from the environment", () => {
    const inv = loadInventory(join(root, "inventories/example.yml"), { ...labEnv, HOME: "/home/op" });
    expect(inv.monitor.ssh.privateKeyFile).toBe("/home/op/.ssh/id_ed25519");
    expect(inv.hosts.map((h) => `${h.name}=${h.address}`)).toEqual([
      "monitor=192.168.1.1",
      "db1=192.168.1.2",
      "db2=192.168.1.3",
      "db3=192.168.1.4",
      "db4=192.168.1.5",
    ]);
    expect(() => loadInventory("inventories/example.yml", { HOME: "/home/op" })).toThrow(
      expect.objectContaining({
        message: "inventories/example.yml: 4 problems",
        problems: [
          "inventories/example.yml:15:35  all.vars.mmm_replication_password_env  environment variable MMM_REPLICATION_PASSWORD is not set (or is empty): export it before running mmm",
          "inventories/example.yml:17:29  all.vars.mmm_agent_password_env  environment variable MMM_AGENT_PASSWORD is not set (or is empty): export it before running mmm",
          "inventories/example.yml:19:31  all.vars.mmm_monitor_password_env  environment variable MMM_MONITOR_PASSWORD is not set (or is empty): export it before running mmm",
          "inventories/example.yml:21:27  all.vars.mmm_app_password_env  environment variable MMM_APP_PASSWORD is not set (or is empty): export it before running mmm",
        ],
      }),
    );
  });

  it("loadInventory names a file it cannot read", () => {
    expect(() => loadInventory("inventories/nope.yml", {})).toThrow(new ConfigError("inventories/nope.yml: cannot read the inventory (no such file)"));
  });
});

describe("mmm inventory check", () => {
  let out = "";
  let err = "";
  beforeEach(() => {
    out = "";
    err = "";
    vi.spyOn(process.stdout, "write").mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
    vi.spyOn(process.stderr, "write").mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  });
  afterEach(() => vi.restoreAllMocks());

  const run = (...args: string[]) => main(["node", "mmm", "inventory", "check", ...args]);

  it("prints the topology: hosts, replication graph, roles, settings", async () => {
    expect(await run("inventories/lab.yml")).toBe(0);
    expect(err).toBe("");
    expect(out).toBe(
      [
        "inventories/lab.yml: 5 hosts, valid",
        "",
        "hosts",
        "  host     kind     address       ssh                   server id  replicates from  interface",
        "  monitor  monitor  192.168.77.1  root@192.168.77.1:22  -          -                eth0",
        "  db1      master   192.168.77.2  root@192.168.77.2:22  1          db2              eth0",
        "  db2      master   192.168.77.3  root@192.168.77.3:22  2          db1              eth0",
        "  db3      slave    192.168.77.4  root@192.168.77.4:22  3          db1              eth0",
        "  db4      slave    192.168.77.5  root@192.168.77.5:22  4          db2              eth0",
        "",
        "replication",
        "  db1 <-> db2",
        "  db1 -> db3",
        "  db2 -> db4",
        "",
        "roles",
        "  role    mode       hosts               VIPs",
        "  writer  exclusive  db1, db2            192.168.77.100",
        "  reader  balanced   db1, db2, db3, db4  192.168.77.101, 192.168.77.102, 192.168.77.103, 192.168.77.104",
        "",
        "settings",
        "  replication account  repl / ***",
        "  agent account        mmm_agent / ***",
        "  monitor account      mmm_monitor / ***",
        "  app account          app / ***",
        "  app databases        *",
        "  ntp servers          monitor (clock never adjusted: chronyd -x)",
        "  replication          GTID",
        "  cluster network      /24",
        "  ports                agent 9989, monitor 9988",
        "",
      ].join("\n"),
    );
    expect(out).not.toContain("lab-repl-pass");
  });

  it("--json prints the same data, secrets as *** and env-sourced ones as $NAME", async () => {
    Object.assign(process.env, labEnv);
    try {
      expect(await run("inventories/vagrant.yml", "--json")).toBe(0);
    } finally {
      for (const k of Object.keys(labEnv)) delete process.env[k];
    }
    const report = JSON.parse(out);
    expect(report.hosts.map((h: { name: string; ssh: string; sudo: boolean }) => [h.name, h.ssh, h.sudo])).toEqual(
      ["monitor", "db1", "db2", "db3", "db4"].map((n, i) => [n, `vagrant@192.168.56.${11 + i}:22`, true]),
    );
    expect(report.replication).toEqual([
      { from: "db1", to: "db2", mutual: true },
      { from: "db1", to: "db3", mutual: false },
      { from: "db2", to: "db4", mutual: false },
    ]);
    expect(report.settings.accounts).toEqual([
      { role: "replication", user: "repl", password: "$MMM_REPLICATION_PASSWORD" },
      { role: "agent", user: "mmm_agent", password: "$MMM_AGENT_PASSWORD" },
      { role: "monitor", user: "mmm_monitor", password: "$MMM_MONITOR_PASSWORD" },
      { role: "app", user: "app", password: "$MMM_APP_PASSWORD" },
    ]);
    for (const secret of Object.values(labEnv)) expect(out).not.toContain(secret);
  });

  it("exits 1 with every problem on stderr, one per line", async () => {
    expect(await run("test/fixtures/inventories/invalid/peers.yml")).toBe(1);
    expect(out).toBe("");
    expect(err).toBe(
      [
        "test/fixtures/inventories/invalid/peers.yml: 2 problems",
        "test/fixtures/inventories/invalid/peers.yml:14:50  all.children.mmm_masters.hosts.db1.mmm_peer  mmm_peer: db3 is not the other master; the pair is db1 and db2, so db1's peer is db2",
        "test/fixtures/inventories/invalid/peers.yml:15:9  all.children.mmm_masters.hosts.db2  db2 is one of two masters: set mmm_peer: db1",
        "",
      ].join("\n"),
    );
  });
});
