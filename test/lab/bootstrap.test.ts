import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { labExec } from "../../src/lab/lab-exec.js";
import { labNet } from "../../src/lab/lab-faults.js";
import { freshLab, LAB_INVENTORY, mmm, onHost, sqlOn } from "./support.js";

const DB = ["db1", "db2", "db3", "db4"];
const ALL = ["monitor", ...DB];

/** The PLAY RECAP rows as { host: { ok, changed, failed, ... } }. */
function recap(stdout: string): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  const at = stdout.indexOf("PLAY RECAP");
  for (const line of stdout.slice(at).split("\n").slice(1)) {
    const m = /^(\S+)\s+:\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    out[m[1]!] = Object.fromEntries(m[2]!.split(/\s+/).map((kv) => kv.split("=")).map(([k, v]) => [k, Number(v)]));
  }
  return out;
}

async function waitForRow(host: string, sql: string, expected: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    last = await sqlOn(host, sql).catch((e: Error) => e.message);
    if (last === expected) return last;
    await new Promise((r) => setTimeout(r, 200));
  }
  return last;
}

/** What a bare host has that bootstrap would change: nothing of it may differ after --check. */
async function footprint(host: string): Promise<string> {
  const r = await onHost(
    host,
    "cat /etc/hosts; hostname; ls -la /etc/mysql/mariadb.conf.d /etc/mysql-mmm 2>&1; cat /etc/default/chrony; " +
      "[ -x /usr/bin/mariadb ] && pidof mariadbd >/dev/null && mariadb -N -e \"select user, host from mysql.user order by 1, 2; show slave status\" || true",
  );
  return r.stdout;
}

describe("mmm bootstrap on bare hosts", () => {
  beforeAll(freshLab, 120_000);

  it("--check --diff on the bare lab shows the plan and changes nothing", async () => {
    const before = await Promise.all(ALL.map(footprint));
    const r = await mmm(["bootstrap", LAB_INVENTORY, "--check", "--diff"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("+server_id = 1");
    expect(r.stdout).toMatch(/CREATE USER IF NOT EXISTS `repl`@`192\.168\.77\.%` IDENTIFIED BY '\*\*\*'/);
    expect(r.stdout).toMatch(/CHANGE MASTER TO MASTER_HOST = '192\.168\.77\.3'.*MASTER_PASSWORD = '\*\*\*'.*MASTER_USE_GTID = slave_pos/);
    expect(r.stdout).not.toContain("lab-repl-pass");
    expect(r.stdout).not.toContain("lab-app-pass");
    expect(recap(r.stdout).db1?.changed).toBeGreaterThan(0);
    expect(await Promise.all(ALL.map(footprint))).toEqual(before);
  });

  it("builds the tutorial's cluster: every step changes something, nothing fails", async () => {
    const r = await mmm(["bootstrap", LAB_INVENTORY]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const rows = recap(r.stdout);
    expect(Object.keys(rows)).toEqual(ALL);
    for (const h of ALL) expect(rows[h]).toMatchObject({ failed: 0, skipped: 0, unreachable: 0 });
    expect(rows.db1!.changed).toBeGreaterThanOrEqual(5);
  });

  it("replicates rows written on db1 to db2, db3 and db4", async () => {
    await sqlOn("db1", "CREATE DATABASE t; CREATE TABLE t.user (id INT PRIMARY KEY, name VARCHAR(10)); INSERT INTO t.user VALUES (1, 'tom')");
    for (const h of ["db2", "db3", "db4"]) expect(await waitForRow(h, "SELECT name FROM t.user WHERE id = 1", "tom")).toBe("tom");
  });

  it("replicates rows written on db2 to db1, db3 and db4", async () => {
    await sqlOn("db2", "INSERT INTO t.user VALUES (2, 'jerry')");
    for (const h of ["db1", "db3", "db4"]) expect(await waitForRow(h, "SELECT name FROM t.user WHERE id = 2", "jerry")).toBe("jerry");
  });

  it("configures every server: server ids, GTID, read_only, auto_increment on the pair", async () => {
    const vars = "SELECT @@server_id, @@gtid_strict_mode, @@log_bin, @@binlog_format, @@auto_increment_increment, @@auto_increment_offset, @@bind_address";
    expect(await sqlOn("db1", vars)).toBe("1\t1\t1\tROW\t2\t1\t0.0.0.0");
    expect(await sqlOn("db2", vars)).toBe("2\t1\t1\tROW\t2\t2\t0.0.0.0");
    expect(await sqlOn("db3", vars)).toBe("3\t1\t1\tROW\t1\t1\t0.0.0.0");
    expect(await sqlOn("db4", vars)).toBe("4\t1\t1\tROW\t1\t1\t0.0.0.0");
    // read_only=ON in every server's file; at run time the agent lifts it on the one writer only.
    for (const h of DB) expect((await onHost(h, "grep -x 'read_only = ON' /etc/mysql/mariadb.conf.d/99-mmm.cnf")).code).toBe(0);
    const writable = [];
    for (const h of DB) if ((await sqlOn(h, "SELECT @@read_only")) === "0") writable.push(h);
    expect(writable.length).toBeLessThanOrEqual(1);
    expect(["db3", "db4"].some((h) => writable.includes(h))).toBe(false);
    const sources = await Promise.all(DB.map((h) => sqlOn(h, "SELECT 1").then(() => onHost(h, "mariadb -e 'SHOW SLAVE STATUS\\G' | grep -E ' (Master_Host|Using_Gtid|Slave_IO_Running|Slave_SQL_Running):'"))));
    const summary = sources.map((s) => s.stdout.replace(/\s+/g, " ").trim());
    const running = "Slave_IO_Running: Yes Slave_SQL_Running: Yes Using_Gtid: Slave_Pos";
    expect(summary[0]).toBe(`Master_Host: 192.168.77.3 ${running}`);
    expect(summary[1]).toBe(`Master_Host: 192.168.77.2 ${running}`);
    // Slaves start under their inventory master; the monitor then has them follow the writer.
    expect(summary[2]).toMatch(new RegExp(`^Master_Host: 192\\.168\\.77\\.[23] ${running}$`));
    expect(summary[3]).toMatch(new RegExp(`^Master_Host: 192\\.168\\.77\\.[23] ${running}$`));
  });

  it("creates the accounts with exactly their grants, on every database host, outside the binlog", async () => {
    const grantsOf = async (h: string, user: string) =>
      (await sqlOn(h, `SHOW GRANTS FOR \`${user}\`@\`192.168.77.%\``)).replace(/ IDENTIFIED BY PASSWORD '\*[0-9A-F]+'/, "");
    for (const h of DB) {
      expect(await grantsOf(h, "repl")).toBe("GRANT REPLICATION SLAVE ON *.* TO `repl`@`192.168.77.%`");
      expect(await grantsOf(h, "mmm_monitor")).toBe("GRANT BINLOG MONITOR, SLAVE MONITOR ON *.* TO `mmm_monitor`@`192.168.77.%`");
      expect(await grantsOf(h, "mmm_agent")).toBe(
        "GRANT PROCESS, BINLOG MONITOR, CONNECTION ADMIN, READ_ONLY ADMIN, REPLICATION SLAVE ADMIN, SLAVE MONITOR ON *.* TO `mmm_agent`@`192.168.77.%`",
      );
      expect(await grantsOf(h, "app")).toBe(
        "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, REFERENCES, INDEX, ALTER, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, EVENT, TRIGGER ON *.* TO `app`@`192.168.77.%`",
      );
      // No account statement reached a binlog: slaves hold no transaction of their own.
      expect(await sqlOn(h, "SHOW BINLOG EVENTS")).not.toMatch(/CREATE USER|GRANT/);
    }
  });

  it("the grants work as meant: the monitor reads slave status, the app is fenced by read_only, the agent lifts it", async () => {
    const as = (user: string, pass: string, sql: string) =>
      labExec("monitor", ["mariadb", "-h", "192.168.77.4", "-u", user, "-N", "-e", sql], { env: { MYSQL_PWD: pass }, timeoutMs: 30_000 });
    const status = await as("mmm_monitor", "lab-monitor-pass", "SHOW SLAVE STATUS");
    expect(status.code).toBe(0);
    expect(status.stdout).toContain("192.168.77.2");
    const refused = await as("app", "lab-app-pass", "INSERT INTO t.user VALUES (3, 'x')");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("--read-only");
    const lift = await as("mmm_agent", "lab-agent-pass", "SET GLOBAL read_only = 0; SET GLOBAL read_only = 1; SELECT @@read_only");
    expect(lift.stderr).toBe("");
    expect(lift.stdout.trim()).toBe("1");
  });

  it("writes the MMM configuration files, mode 0600, and the hosts file block", async () => {
    for (const h of ALL) {
      const files = h === "monitor" ? "mmm_common.conf mmm_mon.conf cluster.key" : "mmm_common.conf mmm_agent.conf cluster.key";
      const st = await onHost(h, `cd /etc/mysql-mmm && stat -c '%n %a %U' ${files}`);
      expect(st.stdout.trim().split("\n")).toEqual(files.split(" ").map((f) => `${f} 600 root`));
      const hosts = await onHost(h, "sed -n '/BEGIN mmm/,/END mmm/p' /etc/hosts; hostname");
      expect(hosts.stdout).toContain("192.168.77.1 monitor\n192.168.77.2 db1\n192.168.77.3 db2\n192.168.77.4 db3\n192.168.77.5 db4\n");
      expect(hosts.stdout.trim().endsWith(h)).toBe(true);
      const chrony = await onHost(h, "ps -o args= -C chronyd");
      expect(chrony.stdout).toContain("-x");
    }
    expect((await onHost("db3", "cat /etc/mysql-mmm/mmm_agent.conf")).stdout).toContain("\nthis db3\n");
    const common = (await onHost("monitor", "cat /etc/mysql-mmm/mmm_common.conf")).stdout;
    expect(common).toMatch(/<role writer>\s+hosts\s+db1, db2\s+ips\s+192\.168\.77\.100\s+mode\s+exclusive\s+<\/role>/);
    const keys = await Promise.all(ALL.map((h) => onHost(h, "cat /etc/mysql-mmm/cluster.key")));
    expect(new Set(keys.map((k) => k.stdout)).size).toBe(1);
  });

  it("installs and starts the runtime: an agent on every database host, then the monitor, which assigns the roles", async () => {
    for (const h of DB) expect((await onHost(h, "service mmm-agent status")).stdout).toMatch(/^mmm-agent is running \(pid \d+\)/);
    expect((await onHost("monitor", "service mmm-monitor status")).stdout).toMatch(/^mmm-monitor is running \(pid \d+\)/);
    const deadline = Date.now() + 20_000;
    let show = "";
    while (Date.now() < deadline) {
      // mmm_control, as the tutorial types it: bootstrap installs it on the monitor host's PATH.
      show = (await onHost("monitor", "mmm_control show")).stdout;
      if (/writer\(192\.168\.77\.100\)/.test(show) && (show.match(/reader\(/g) ?? []).length === 4) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(show).toMatch(/^ {2}db1\(192\.168\.77\.2\) master\/ONLINE\. Roles: /m);
    expect(show).toMatch(/^ {2}db4\(192\.168\.77\.5\) slave\/ONLINE\. Roles: reader\(192\.168\.77\.10[1-4]\)$/m);
    const writer = /^ {2}(db[12])\(.*writer\(192\.168\.77\.100\)/m.exec(show)?.[1];
    expect(writer).toBeDefined();
    expect((await onHost(writer!, "ip -br addr show eth0")).stdout).toContain("192.168.77.100/32");
    expect(await sqlOn(writer!, "SELECT @@read_only")).toBe("0");
  });

  it("a second run changes nothing", async () => {
    const r = await mmm(["bootstrap", LAB_INVENTORY]);
    expect(r.code).toBe(0);
    const rows = recap(r.stdout);
    for (const h of ALL) expect(rows[h]).toMatchObject({ changed: 0, failed: 0 });
  });

  it("--json reports every step and host", async () => {
    const r = await mmm(["bootstrap", LAB_INVENTORY, "--check", "--json"]);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as { recap: { host: string; changed: number }[]; steps: { host: string; step: string; status: string }[] };
    expect(report.recap.map((x) => x.changed)).toEqual([0, 0, 0, 0, 0]);
    expect(report.steps.filter((s) => s.host === "db1").map((s) => s.step)).toEqual([
      "server-package", "hosts", "time", "mycnf", "accounts", "seed", "replication-masters", "mmm-config", "runtime-agent",
    ]);
    expect(report.steps.every((s) => s.status === "unchanged")).toBe(true);
  });
});

describe("mmm bootstrap sets any password, quoted right", () => {
  it("a password with quotes, backslashes, % and unicode is set, works for logging in, and a re-run keeps it", async () => {
    const hostile = `it's "q" \\ 100% ünï_cødé`;
    const dir = mkdtempSync(join(tmpdir(), "mmm-inv-"));
    const file = join(dir, "lab.yml");
    writeFileSync(file, readFileSync(LAB_INVENTORY, "utf8").replace("mmm_app_password: lab-app-pass", "mmm_app_password_env: MMM_TEST_APP_PASSWORD"));
    const env = { MMM_TEST_APP_PASSWORD: hostile };
    const r = await mmm(["bootstrap", file, "--diff"], env);
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    expect(r.stdout).not.toContain("ünï_cødé");
    for (const h of DB) expect(recap(r.stdout)[h]).toMatchObject({ changed: 1, failed: 0 });
    const login = (pass: string) =>
      labExec("monitor", ["mariadb", "-h", "192.168.77.4", "-u", "app", "-N", "-e", "SELECT CURRENT_USER()"], { env: { MYSQL_PWD: pass }, timeoutMs: 30_000 });
    const ok = await login(hostile);
    expect(ok.stderr).toBe("");
    expect(ok.stdout.trim()).toBe("app@192.168.77.%");
    expect((await login("lab-app-pass")).code).not.toBe(0);
    const again = await mmm(["bootstrap", file], env);
    for (const h of ALL) expect(recap(again.stdout)[h]).toMatchObject({ changed: 0, failed: 0 });
  });
});

describe("mmm bootstrap refuses what it must not do, and says why", () => {
  beforeAll(freshLab, 120_000);

  it("stops before any change when a host is unreachable", async () => {
    const before = await Promise.all(["monitor", "db1"].map(footprint));
    await labNet("db4", "cut");
    try {
      const r = await mmm(["bootstrap", LAB_INVENTORY]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("nothing was changed");
      expect(r.stderr).toMatch(/db4: SSH connection to root@192\.168\.77\.5:22 via ProxyCommand (timed out|failed)/);
    } finally {
      await labNet("db4", "restore");
    }
    expect(await Promise.all(["monitor", "db1"].map(footprint))).toEqual(before);
  });

  it("names the host whose SSH key is refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mmm-inv-"));
    const key = join(dir, "wrong_key");
    await onHost("monitor", "true");
    const { execFileSync } = await import("node:child_process");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", key]);
    const inv = readFileSync(LAB_INVENTORY, "utf8").replace(
      "db3: { ansible_host: 192.168.77.4, mmm_master: db1 }",
      `db3: { ansible_host: 192.168.77.4, mmm_master: db1, ansible_ssh_private_key_file: ${key} }`,
    );
    const file = join(dir, "lab.yml");
    writeFileSync(file, inv);
    const r = await mmm(["bootstrap", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`db3: SSH authentication as root failed`);
    expect(r.stderr).toContain(key);
  });

  it("rejects a duplicate server id before connecting anywhere", async () => {
    const dir = mkdtempSync(join(tmpdir(), "mmm-inv-"));
    const file = join(dir, "lab.yml");
    writeFileSync(
      file,
      readFileSync(LAB_INVENTORY, "utf8")
        .replace("db3: { ansible_host: 192.168.77.4,", "db3: { ansible_host: 192.168.77.4, mmm_server_id: 7,")
        .replace("db4: { ansible_host: 192.168.77.5,", "db4: { ansible_host: 192.168.77.5, mmm_server_id: 7,"),
    );
    const r = await mmm(["bootstrap", file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/lab\.yml:\d+:\d+ +all\.children\.mmm_slaves\.hosts\.db4\.mmm_server_id +server id 7 of db4 is also db3's/);
  });

  it("refuses a replica that holds data, finishes every other host, and continues once it is fixed", async () => {
    await sqlOn("db3", "CREATE DATABASE legacy; CREATE TABLE legacy.orders (id INT PRIMARY KEY)");
    const r = await mmm(["bootstrap", LAB_INVENTORY]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("db3 holds user data (legacy) but does not replicate yet");
    const rows = recap(r.stdout);
    expect(rows.db3).toMatchObject({ failed: 1, skipped: 2 });
    for (const h of ["monitor", "db1", "db2", "db4"]) expect(rows[h]).toMatchObject({ failed: 0 });
    // Nothing half-done on db3: it does not replicate at all.
    expect(await sqlOn("db3", "SHOW SLAVE STATUS")).toBe("");

    await sqlOn("db3", "DROP DATABASE legacy");
    const again = await mmm(["bootstrap", LAB_INVENTORY]);
    expect(again.code).toBe(0);
    const rows2 = recap(again.stdout);
    expect(rows2.db3).toMatchObject({ changed: 3, failed: 0 });
    expect(rows2.db1).toMatchObject({ changed: 0 });
  });
});

describe("mmm bootstrap copies a master's existing data", () => {
  beforeAll(freshLab, 120_000);

  it("seeds every empty replica at the copy's GTID position; replication continues with nothing lost or doubled", async () => {
    await sqlOn(
      "db1",
      "CREATE DATABASE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY AUTO_INCREMENT, item VARCHAR(20)); " +
        "INSERT INTO shop.orders (item) VALUES ('apple'), ('pear'), ('plum'); " +
        "CREATE TRIGGER shop.upper BEFORE INSERT ON shop.orders FOR EACH ROW SET NEW.item = UPPER(NEW.item)",
    );
    await sqlOn("db4", "CREATE DATABASE legacy; CREATE TABLE legacy.t (id INT PRIMARY KEY)");
    const check = await mmm(["bootstrap", LAB_INVENTORY, "--check"]);
    expect(check.stdout).toContain("copy shop from db1 (consistent dump with its GTID position)");

    // db4 holds data of its own: refused, and only --force replaces it.
    const refused = await mmm(["bootstrap", LAB_INVENTORY]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("db4 holds user data (legacy) and db1 too (shop)");
    expect(refused.stderr).toContain("--force");
    expect(recap(refused.stdout).db4).toMatchObject({ failed: 1 });
    expect(await sqlOn("db4", "SHOW DATABASES LIKE 'legacy'")).toBe("legacy");

    const r = await mmm(["bootstrap", LAB_INVENTORY, "--force"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(await sqlOn("db4", "SHOW DATABASES LIKE 'legacy'")).toBe("");
    for (const h of ["db2", "db3", "db4"]) {
      expect(await sqlOn(h, "SELECT GROUP_CONCAT(item ORDER BY id) FROM shop.orders")).toBe("apple,pear,plum");
    }
    await sqlOn("db1", "INSERT INTO shop.orders (item) VALUES ('fig')");
    await sqlOn("db2", "INSERT INTO shop.orders (item) VALUES ('kiwi')");
    for (const h of DB) {
      expect(await waitForRow(h, "SELECT GROUP_CONCAT(item ORDER BY item) FROM shop.orders", "apple,FIG,KIWI,pear,plum")).toBe("apple,FIG,KIWI,pear,plum");
    }
  });
});
