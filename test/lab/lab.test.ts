import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  LAB_DIR,
  LAB_HOSTS,
  LAB_HOSTS_DIR,
  LAB_KEY,
  LAB_KNOWN_HOSTS,
  LAB_STATE_FILE,
  LAB_SUDO_USER,
  PROXY_COMMAND,
  hostDir,
  hostNetns,
} from "../../src/lab/constants.js";
import { labDown } from "../../src/lab/lab-down.js";
import { hostInitPid, labExec, labExecInteractive } from "../../src/lab/lab-exec.js";
import { isMysqldAnswering, isMysqldRunning, labMysqld, labNet } from "../../src/lab/lab-faults.js";
import { findHostInits, readLabState } from "../../src/lab/lab-processes.js";
import { gatherStatus, isLabHealthy, labProblems } from "../../src/lab/lab-status.js";
import { labUp } from "../../src/lab/lab-up.js";
import { listPids, parseMountPoints } from "../../src/lab/proc.js";
import { run } from "../../src/lab/run.js";

const DB_HOSTS = LAB_HOSTS.filter((h) => h.kind === "db");
const lines: string[] = [];
const log = (l: string) => lines.push(l);

async function sh(host: string, script: string) {
  return labExec(host, ["sh", "-c", script], { timeoutMs: 30_000 });
}

function ssh(user: string, address: string, command: string) {
  return run(
    [
      "ssh",
      "-o", "BatchMode=yes",
      "-o", `ProxyCommand=${PROXY_COMMAND}`,
      "-o", `UserKnownHostsFile=${LAB_KNOWN_HOSTS}`,
      "-o", "GlobalKnownHostsFile=/dev/null",
      "-o", "StrictHostKeyChecking=yes",
      "-o", "IdentitiesOnly=yes",
      "-o", "ConnectTimeout=10",
      "-i", LAB_KEY,
      `${user}@${address}`,
      command,
    ],
    { timeoutMs: 30_000 },
  );
}

/** Everything the machine should get back unchanged, read before the lab exists. */
const machine = {
  hostname: readFileSync("/etc/hostname", "utf8"),
  hosts: readFileSync("/etc/hosts", "utf8"),
  passwd: readFileSync("/etc/passwd", "utf8"),
  rootSsh: existsSync("/root/.ssh") ? readdirSync("/root/.ssh").sort() : null,
  mysqlDir: readdirSync("/var/lib/mysql").sort(),
};

async function expectHealthy() {
  const s = await gatherStatus();
  expect(labProblems(s)).toEqual([]);
  expect(isLabHealthy(s)).toBe(true);
}

describe("the local lab", () => {
  let firstUpSeconds = 0;

  beforeAll(async () => {
    // We own the lab: start from nothing so the timing and "changed" are those of a fresh up.
    await labDown();
    const r = await labUp({ log });
    firstUpSeconds = r.seconds;
    expect(r.changed).toBe(true);
  });

  afterAll(async () => {
    await labDown();
  });

  it("comes up healthy within the 30 s target", async () => {
    process.stdout.write(`lab up took ${firstUpSeconds.toFixed(1)} s\n${lines.join("\n")}\n`);
    expect(firstUpSeconds).toBeLessThan(30);
    await expectHealthy();
  });

  it("gives every host its own hostname, eth0 address and /etc/hosts", async () => {
    for (const h of LAB_HOSTS) {
      const r = await sh(h.name, "hostname; cat /etc/hostname; ip -o -4 addr show dev eth0; grep -c . /etc/hosts; grep '^127.0.1.1' /etc/hosts");
      expect(r.code).toBe(0);
      const [name, fileName, addr, , own] = r.stdout.trim().split("\n");
      expect(name).toBe(h.name);
      expect(fileName).toBe(h.name);
      expect(addr).toContain(`inet ${h.address}/24`);
      expect(own).toBe(`127.0.1.1\t${h.name}`);
    }
    // A change to db1's /etc/hosts stays in db1.
    expect((await sh("db1", "echo '192.168.77.3 db2' >> /etc/hosts")).code).toBe(0);
    expect((await sh("db2", "cat /etc/hosts")).stdout).not.toContain("192.168.77.3 db2");
    expect(readFileSync("/etc/hosts", "utf8")).toBe(machine.hosts);
  });

  it("runs MariaDB on db1..db4, each on its own datadir, and none on the monitor", async () => {
    for (const h of DB_HOSTS) {
      const r = await labExec(h.name, ["mariadb", "-N", "-e", "select @@hostname, @@datadir, @@bind_address"]);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(`${h.name}\t/var/lib/mysql/\t127.0.0.1`);
    }
    expect((await labExec("db1", ["mariadb", "-e", "create database lab_probe"])).code).toBe(0);
    expect(existsSync(`${hostDir("db1")}/mysql/lab_probe`)).toBe(true);
    expect((await labExec("db2", ["mariadb", "-N", "-e", "show databases like 'lab_probe'"])).stdout.trim()).toBe("");
    expect(readdirSync("/var/lib/mysql").sort()).toEqual(machine.mysqlDir);

    expect((await labExec("monitor", ["pgrep", "-x", "mariadbd"])).code).toBe(1);
    expect((await labExec("monitor", ["mariadb", "--version"])).code).toBe(0);
  });

  it("gives each host distinct SSH host keys, pinned in known_hosts", async () => {
    const known = readFileSync(LAB_KNOWN_HOSTS, "utf8").trim().split("\n");
    expect(known).toHaveLength(LAB_HOSTS.length);
    const keys = new Set<string>();
    for (const h of LAB_HOSTS) {
      const pub = (await labExec(h.name, ["cat", "/etc/ssh/ssh_host_ed25519_key.pub"])).stdout.split(" ").slice(0, 2).join(" ");
      expect(known).toContain(`${h.address} ${pub}`);
      keys.add(pub);
    }
    expect(keys.size).toBe(LAB_HOSTS.length);
    // Not the machine's own key either.
    if (existsSync("/etc/ssh/ssh_host_ed25519_key.pub")) {
      expect(keys.has(readFileSync("/etc/ssh/ssh_host_ed25519_key.pub", "utf8").split(" ").slice(0, 2).join(" "))).toBe(false);
    }
  });

  it("is reachable over ssh through the switch namespace only, as root and as a sudo user", async () => {
    for (const h of LAB_HOSTS) {
      const r = await ssh("root", h.address, "hostname");
      expect(r.stderr).toBe("");
      expect(r.stdout.trim()).toBe(h.name);
    }
    const s = await ssh(LAB_SUDO_USER, "192.168.77.2", "id -un; sudo -n true && echo sudo-ok");
    expect(s.stdout.trim().split("\n")).toEqual([LAB_SUDO_USER, "sudo-ok"]);
    // The controller's own namespace has no address or route into the lab.
    expect((await run(["ip", "-o", "addr", "show"])).stdout).not.toContain("192.168.77.");
    expect((await run(["ip", "route", "show", "table", "all"])).stdout).not.toContain("192.168.77.");
  });

  it("keeps writes inside a host off the machine's filesystem", async () => {
    const probe = `/etc/mmm-lab-probe-${process.pid}`;
    const r = await sh("db1", `echo inside > ${probe} && echo inside > /root/mmm-lab-probe && useradd probeuser && echo db1 > /etc/hostname`);
    expect(r.code).toBe(0);
    expect(existsSync(probe)).toBe(false);
    expect(existsSync("/root/mmm-lab-probe")).toBe(false);
    expect(readFileSync(`${hostDir("db1")}/upper${probe}`, "utf8")).toBe("inside\n");
    expect(readFileSync("/etc/hostname", "utf8")).toBe(machine.hostname);
    expect(readFileSync("/etc/passwd", "utf8")).toBe(machine.passwd);
    expect(existsSync("/root/.ssh") ? readdirSync("/root/.ssh").sort() : null).toEqual(machine.rootSsh);
    // The lab's private key is not visible inside the hosts.
    expect((await labExec("db1", ["test", "-e", LAB_KEY])).code).toBe(1);
  });

  it("kills db1's mysqld and keeps it down until start, without touching db2", async () => {
    await labMysqld("db1", "kill");
    expect(await isMysqldRunning("db1")).toBe(false);
    expect(await isMysqldAnswering("db2")).toBe(true);
    // mysqld_safe would have restarted it within a second if it were still alive.
    await new Promise((r) => setTimeout(r, 2500));
    expect(await isMysqldRunning("db1")).toBe(false);
    expect(isLabHealthy(await gatherStatus())).toBe(false);

    await labMysqld("db1", "start");
    expect(await isMysqldAnswering("db1")).toBe(true);

    await labMysqld("db1", "stop");
    expect(await isMysqldRunning("db1")).toBe(false);
    await labMysqld("db1", "start");
    expect((await labExec("db1", ["mariadb", "-N", "-e", "show databases like 'lab_probe'"])).stdout.trim()).toBe("lab_probe");
  });

  it("cuts db1's cable so db2 cannot reach it, until restored", async () => {
    // A TCP connect to sshd rather than ping: iputils-ping is not among the lab's packages.
    const connect = (from: string, to: string) =>
      labExec(from, ["timeout", "2", "bash", "-c", 'exec 3<>"/dev/tcp/$1/22"', "connect", to]);
    expect((await connect("db2", "192.168.77.2")).code).toBe(0);
    await labNet("db1", "cut");
    expect((await connect("db2", "192.168.77.2")).code).not.toBe(0);
    expect((await connect("db2", "192.168.77.4")).code).toBe(0);
    // The host keeps its address, as with a pulled cable.
    expect((await sh("db1", "ip -o -4 addr show dev eth0")).stdout).toContain("192.168.77.2/24");
    const cut = await gatherStatus();
    expect(cut.hosts.find((h) => h.name === "db1")?.link).toBe("cut");
    await labNet("db1", "restore");
    expect((await connect("db2", "192.168.77.2")).code).toBe(0);
  });

  it("runs a command with the caller's stdio and returns its exit code", async () => {
    expect(await labExecInteractive("db3", ["sh", "-c", "exit 7"])).toBe(7);
  });

  it("treats a second up as a no-op", async () => {
    const pids = LAB_HOSTS.map((h) => hostInitPid(h.name));
    const r = await labUp();
    expect(r.changed).toBe(false);
    expect(r.seconds).toBeLessThan(5);
    expect(LAB_HOSTS.map((h) => hostInitPid(h.name))).toEqual(pids);
  });

  it("recovers from a crashed host, one up at a time", async () => {
    const pid = hostInitPid("db3");
    process.kill(pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 300));
    const s = await gatherStatus();
    expect(labProblems(s)).toContain("db3: init is not running");
    // Two ups at once: the lock makes one rebuild and the other find the result healthy.
    const both = await Promise.all([labUp({ log }), labUp({ log })]);
    expect(both.map((r) => r.changed).sort()).toEqual([false, true]);
    await expectHealthy();
    expect(hostInitPid("db3")).not.toBe(pid);
    expect((await labExec("db3", ["mariadb", "-N", "-e", "select @@hostname"])).stdout.trim()).toBe("db3");
  });

  it("leaves nothing behind on down: no namespaces, mounts, processes or host files", async () => {
    await labDown();
    await expectNothingLeft();
  });

  it("recovers from leftovers: a stale namespace and a corrupt state file", async () => {
    expect((await run(["ip", "netns", "add", hostNetns("db2")])).code).toBe(0);
    writeFileSync(LAB_STATE_FILE, "{ not json");
    const s = await gatherStatus();
    expect(s.stateProblem).toMatch(/not JSON/);
    const r = await labUp({ log });
    expect(r.changed).toBe(true);
    await expectHealthy();
    await labDown();
    await expectNothingLeft();
    // The key and the datadir template are kept for the next up.
    expect(existsSync(LAB_KEY)).toBe(true);
    expect(existsSync(`${LAB_DIR}/cache/datadir/mysql`)).toBe(true);
  });
});

async function expectNothingLeft() {
  const netns = await run(["ip", "netns", "list"]);
  expect(netns.stdout).not.toMatch(/mmm-/);
  expect(existsSync(LAB_HOSTS_DIR)).toBe(false);
  expect(readLabState().kind).toBe("absent");
  for (const h of LAB_HOSTS) expect(findHostInits(h.name)).toEqual([]);
  // No mount of the lab in the mount namespace of any process: every process of a host (tini,
  // sshd, mysqld, ...) shares that host's mount namespace, whose root is the lab overlay.
  for (const pid of listPids()) {
    let info: string;
    try {
      info = readFileSync(`/proc/${pid}/mountinfo`, "utf8");
    } catch {
      continue;
    }
    const labMounts = parseMountPoints(info).filter((p) => p.startsWith(LAB_DIR) || p.startsWith("/run/netns/mmm-"));
    expect(labMounts, `process ${pid}`).toEqual([]);
    expect(info.includes(`upperdir=${LAB_HOSTS_DIR}`), `process ${pid} has a lab overlay`).toBe(false);
  }
  // Nor a starter (unshare, the init script) outside the hosts.
  for (const pid of listPids()) {
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
      continue;
    }
    expect(cmd.includes(LAB_DIR), `process ${pid}: ${cmd.replace(/\0/g, " ")}`).toBe(false);
  }
  const links = await run(["ip", "-o", "link", "show"]);
  expect(links.stdout).not.toMatch(/\bv-(monitor|db\d)\b|\bbr0\b/);
}
