import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/errors.js";
import { Secret } from "../../src/secret.js";
import { MMM_DEFAULTS, parseMmmConfig, type MmmConfig, type ReadInclude } from "../../src/mmm-config/index.js";

const FIX = join(import.meta.dirname, "../fixtures/mmm-config");
const read = (dir: string, name: string) => readFileSync(join(FIX, dir, name), "utf8");
const includesFrom =
  (dir: string): ReadInclude =>
  (name) =>
    read(dir, name);

function load(dir: string, file: string, program?: "agent" | "monitor" | "control"): MmmConfig {
  return parseMmmConfig(read(dir, file), file, includesFrom(dir), program ? { program } : {});
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  throw new Error("expected a ConfigError");
}

const reveal = (s: Secret | undefined) => s?.reveal();

describe("parseMmmConfig on the tutorial's files", () => {
  const mon = load("tutorial", "mmm_mon.conf", "monitor");

  it("reads the hosts in file order with <host default> applied to each", () => {
    expect(mon.hosts.map((h) => [h.name, h.ip, h.mode, h.peer])).toEqual([
      ["db1", "192.168.1.2", "master", "db2"],
      ["db2", "192.168.1.3", "master", "db1"],
      ["db3", "192.168.1.4", "slave", undefined],
      ["db4", "192.168.1.5", "slave", undefined],
    ]);
    for (const h of mon.hosts) {
      expect(h.clusterInterface).toBe("eth0");
      expect(h.pidPath).toBe("/var/run/mysql-mmm/mmm_agentd.pid");
      expect(h.replicationUser).toBe("zhuzhu");
      expect(reveal(h.replicationPassword)).toBe("zhuzhu");
      expect(h.agentUser).toBe("mmm_agent");
      expect(reveal(h.agentPassword)).toBe("mmm_agent");
      // the second <host default> (in mmm_mon.conf) merges into the first one
      expect(h.monitorUser).toBe("mmm_monitor");
      expect(reveal(h.monitorPassword)).toBe("mmm_monitor");
      expect(h.agentPort).toBe(9989);
      expect(h.mysqlPort).toBe(3306);
    }
  });

  it("splits comma lists with and without spaces", () => {
    expect(mon.roles).toEqual([
      { name: "writer", mode: "exclusive", hosts: ["db1", "db2"], ips: ["192.168.1.100"] },
      {
        name: "reader",
        mode: "balanced",
        hosts: ["db1", "db2", "db3", "db4"],
        ips: ["192.168.1.101", "192.168.1.102", "192.168.1.103", "192.168.1.104"],
      },
    ]);
    expect(mon.monitor?.pingIps).toEqual(["192.168.1.2", "192.168.1.3", "192.168.1.4", "192.168.1.5"]);
  });

  it("reads <monitor>, skipping its comment lines, and fills MMM's defaults", () => {
    expect(mon.monitor).toEqual({
      ip: "192.168.1.1",
      pidPath: "/var/run/mysql-mmm/mmm_mond.pid",
      binPath: "/usr/libexec/mysql-mmm",
      statusPath: "/var/lib/mysql-mmm/mmm_mond.status",
      pingIps: ["192.168.1.2", "192.168.1.3", "192.168.1.4", "192.168.1.5"],
      autoSetOnline: 60,
      port: 9988,
      pingInterval: 1,
      flapDuration: 3600,
      flapCount: 3,
      killHostBin: "kill_host",
      carefulStartup: true,
      mode: "active",
      waitForOtherMaster: 120,
      maxCatchupWait: 10,
    });
    expect(mon.activeMasterRole).toBe("writer");
    expect(mon.debug).toBe(false);
    expect(mon.this).toBeUndefined();
    expect(mon.checks.ping).toEqual(MMM_DEFAULTS.check);
    expect(mon.checks.rep_backlog).toEqual({ checkPeriod: 5, trapPeriod: 10, timeout: 2, restartAfter: 10000, maxBacklog: 60 });
    expect(mon.lease).toBe(3);
  });

  it("reads mmm_agent.conf: `this db1` after the include", () => {
    const agent = load("tutorial", "mmm_agent.conf", "agent");
    expect(agent.this).toBe("db1");
    expect(agent.monitor).toBeUndefined();
    expect(agent.hosts[0]!.monitorUser).toBeUndefined();
  });

  it("rejects mmm_agent.conf for the monitor, which needs <monitor>", () => {
    expect(problemsOf(() => load("tutorial", "mmm_agent.conf", "monitor"))).toEqual([
      "mmm_agent.conf: no <monitor> section, which the monitor needs",
      "mmm_common.conf:11: <host db1> lacks 'monitor_user', which the monitor needs",
      "mmm_common.conf:11: <host db1> lacks 'monitor_password', which the monitor needs",
      "mmm_common.conf:16: <host db2> lacks 'monitor_user', which the monitor needs",
      "mmm_common.conf:16: <host db2> lacks 'monitor_password', which the monitor needs",
      "mmm_common.conf:21: <host db3> lacks 'monitor_user', which the monitor needs",
      "mmm_common.conf:21: <host db3> lacks 'monitor_password', which the monitor needs",
      "mmm_common.conf:25: <host db4> lacks 'monitor_user', which the monitor needs",
      "mmm_common.conf:25: <host db4> lacks 'monitor_password', which the monitor needs",
    ]);
  });
});

describe("parseMmmConfig on MMM 2.2 style files", () => {
  const cfg = load("mmm22", "mmm_mon.conf", "monitor");

  it("appends .conf to includes and applies per-host overrides over <host default>", () => {
    expect(cfg.hosts.map((h) => [h.name, h.mysqlPort, h.agentPort, h.clusterInterface])).toEqual([
      ["db1", 3307, 9990, "eth1"],
      ["db2", 3306, 9990, "eth1"],
      ["db3", 3307, 9990, "eth1"],
    ]);
    expect(cfg.hosts[2]!.tools).toEqual({ ssh_user: "root" });
    expect(cfg.maxKillRetries).toBe(5);
    expect(cfg.roles[0]!.prefer).toBe("db1");
    expect(cfg.socket).toEqual({ type: "plain" });
  });

  it("reads every monitor knob, booleans spelled MMM's ways", () => {
    expect(cfg.monitor).toMatchObject({
      port: 9977,
      pingInterval: 2,
      flapDuration: 1800,
      flapCount: 5,
      autoSetOnline: 30,
      killHostBin: "/usr/lib/mysql-mmm/monitor/kill_host",
      carefulStartup: false,
      mode: "wait",
      waitForOtherMaster: 90,
    });
    expect(cfg.debug).toBe(false);
  });

  it("gives every check <check default>'s values, then its own", () => {
    expect(cfg.checks).toEqual({
      ping: { checkPeriod: 2, trapPeriod: 4, timeout: 1, restartAfter: 10000, maxBacklog: 60 },
      mysql: { checkPeriod: 2, trapPeriod: 4, timeout: 1, restartAfter: 10000, maxBacklog: 60 },
      rep_threads: { checkPeriod: 2, trapPeriod: 4, timeout: 1, restartAfter: 10000, maxBacklog: 60 },
      rep_backlog: { checkPeriod: 2, trapPeriod: 20, timeout: 1, restartAfter: 500, maxBacklog: 30 },
    });
  });
});

describe("parseMmmConfig errors", () => {
  it("reports every problem at once with file:line and a did-you-mean", () => {
    const text = read("invalid", "typos.conf");
    expect(problemsOf(() => parseMmmConfig(text, "typos.conf", () => "", {}))).toEqual([
      "typos.conf:6: unknown key 'replication_pasword' in <host db1> (did you mean 'replication_password'?)",
      "typos.conf:7: 'status_path' is not allowed in <host db1>; it belongs in <monitor>",
      "typos.conf:11: 'mode' must be one of master, slave, got 'primary'",
      "typos.conf:14: unknown section <monitr> (did you mean <monitor>?); sections are <host>, <role>, <monitor>, <check>, <socket>",
      "typos.conf:17: role writer: 'db5' is not a host (did you mean 'db1'?); hosts are db1, db2",
      "typos.conf:21: unknown check 'mysqld' (did you mean 'mysql'?); MMM knows ping, mysql, rep_threads, rep_backlog and default",
      "typos.conf:23: 'debug' must be one of 1/0, yes/no, on/off, true/false (comments must be on their own line), got '1 # comments must be on their own line'",
      "typos.conf:24: 'flap_count' is not allowed in the top level; it belongs in <monitor>",
    ]);
  });

  it("names the include that is missing and the line including it", () => {
    const problems = problemsOf(() =>
      parseMmmConfig("include mmm_common\nthis db1\n", "mmm_agent.conf", (name) => {
        throw new Error(`ENOENT: no such file ${name}`);
      }),
    );
    expect(problems[0]).toBe("mmm_agent.conf:1: cannot read include mmm_common.conf: ENOENT: no such file mmm_common.conf");
  });

  it("refuses an include cycle", () => {
    const files: Record<string, string> = { "a.conf": "include b.conf\n", "b.conf": "include a\n" };
    const problems = problemsOf(() => parseMmmConfig(files["a.conf"]!, "a.conf", (n) => files[n]!));
    expect(problems).toContain("b.conf:1: include a.conf includes itself (a.conf → b.conf → a.conf)");
  });

  it("points at unclosed and mismatched sections", () => {
    const problems = problemsOf(() =>
      parseMmmConfig("active_master_role writer\n<host db1>\n  ip 10.0.0.1\n</role>\n<role writer>\n ips 10.0.0.9\n", "x.conf", () => ""),
    );
    expect(problems).toContain("x.conf:4: </role> closes <host> opened on line 2; expected </host>");
    expect(problems).toContain("x.conf:5: <role writer> is never closed; add </role>");
  });

  it("checks references: peer, prefer, exclusive ips, active_master_role, this", () => {
    const text = [
      "active_master_role reader",
      "this db9",
      "<host db1>",
      " ip 10.0.0.1",
      " mode master",
      "</host>",
      "<host db2>",
      " ip 10.0.0.2",
      " mode slave",
      " peer db2",
      "</host>",
      "<role writer>",
      " hosts db1",
      " ips 10.0.0.100, 10.0.0.101",
      " mode exclusive",
      " prefer db2",
      "</role>",
      "<role reader>",
      " hosts db1, db2",
      " ips 10.0.0.1",
      " mode balanced",
      "</role>",
    ].join("\n");
    expect(problemsOf(() => parseMmmConfig(text, "r.conf", () => ""))).toEqual([
      "r.conf:1: active_master_role reader must be an exclusive role, not balanced",
      "r.conf:2: this 'db9' is not a host (did you mean 'db1'?); hosts are db1, db2",
      "r.conf:3: master db1 needs 'peer' (the other master)",
      "r.conf:10: db2 cannot be its own peer",
      "r.conf:14: exclusive role writer has 2 ips; it takes exactly one",
      "r.conf:16: prefer db2 is not one of role writer's hosts (db1)",
      "r.conf:20: ip 10.0.0.1 of role reader is also used by host db1",
    ]);
  });

  it("rejects values MMM would misread: comments after a value, bad numbers and IPs", () => {
    const text = [
      "active_master_role writer",
      "<host db1>",
      " ip 10.0.0.1 # db1",
      " mode slave",
      " mysql_port 33o6",
      "</host>",
      "<role writer>",
      " hosts db1",
      " ips 10.0.0.300",
      " mode exclusive",
      "</role>",
      "<check ping>",
      " trap_period 1.5s",
      "</check>",
      "lease",
    ].join("\n");
    expect(problemsOf(() => parseMmmConfig(text, "v.conf", () => ""))).toEqual([
      "v.conf:3: 'ip' must be an IPv4 address (comments must be on their own line), got '10.0.0.1 # db1'",
      "v.conf:5: 'mysql_port' must be a whole number, got '33o6'",
      "v.conf:9: 'ips' must be a comma-separated list of IPv4 addresses (not '10.0.0.300'), got '10.0.0.300'",
      "v.conf:13: 'trap_period' must be a number of seconds, got '1.5s'",
      "v.conf:15: 'lease' has no value",
    ]);
  });

  it("accepts mmm's extra keys and fractional seconds", () => {
    const cfg = parseMmmConfig(
      [
        "active_master_role writer",
        "lease 5",
        "cluster_secret_file /etc/mysql-mmm/secret",
        "<host db1>",
        " ip 10.0.0.1",
        " mode slave",
        "</host>",
        "<role writer>",
        " hosts db1",
        " ips 10.0.0.100",
        " mode exclusive",
        "</role>",
        "<monitor>",
        " ip 10.0.0.9",
        " max_catchup_wait 7.5",
        "</monitor>",
        "<check mysql>",
        " check_period 0.5",
        "</check>",
      ].join("\n"),
      "e.conf",
      () => "",
    );
    expect(cfg.lease).toBe(5);
    expect(cfg.clusterSecretFile).toBe("/etc/mysql-mmm/secret");
    expect(cfg.monitor?.maxCatchupWait).toBe(7.5);
    expect(cfg.checks.mysql.checkPeriod).toBe(0.5);
    expect(cfg.checks.ping.checkPeriod).toBe(5);
  });

  it("refuses mmm_tools.conf sections with a pointer to what they are", () => {
    const problems = problemsOf(() =>
      parseMmmConfig("active_master_role writer\n<copy_method scp>\n backup_command x\n</copy_method>\n", "t.conf", () => ""),
    );
    expect(problems).toContain("t.conf:2: <copy_method> belongs in mmm_tools.conf (MMM's backup tools), which mmm does not use");
  });

  it("never shows a password in a problem", () => {
    const problems = problemsOf(() =>
      parseMmmConfig("<host db1>\n agent_password hunter2\n ip nope\n</host>\n", "p.conf", () => "", { program: "agent" }),
    );
    expect(problems.join("\n")).not.toContain("hunter2");
  });
});
