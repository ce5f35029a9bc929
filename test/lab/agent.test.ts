import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { labMysqld } from "../../src/lab/lab-faults.js";
import { freshLab, LAB_INVENTORY, mmm, onHost, ROOT, readOnly, sqlOn, until } from "./support.js";

/**
 * `mmm agent` on real lab hosts: started detached inside db1 (and db3), driven by signed requests
 * sent from inside the monitor host (the test process cannot reach 192.168.77.x). Every test
 * asserts what the host holds afterwards: addresses on eth0, read_only, sessions, replication.
 * Run under the lab lock: flock /run/mmm-lab-usage.lock npx vitest run test/lab/agent.test.ts
 */

/**
 * Lab hosts see the machine's files through their overlay, except /tmp and /run (their own), so the
 * checkout may be invisible to them (a CI clone under /tmp): the test's bundles go where they see them.
 */
const OUT = "/var/lib/mmm-lab-share/agent-test";
const AGENT = join(OUT, "agent.cjs");
const CLIENT = join(OUT, "client.mjs");
const WRITER_VIP = "192.168.77.100";
const DB1 = "192.168.77.2";
const DB2 = "192.168.77.3";
const PID_FILE = "/run/mysql-mmm/mmm_agentd.pid";
const LOG = "/tmp/mmm-agent-test.log";

interface Answer {
  readonly ok: boolean;
  readonly result?: Record<string, unknown>;
  readonly error?: string;
}

async function ask(host: string, body: object, extra = ""): Promise<Answer> {
  const r = await onHost("monitor", `node ${CLIENT} ${host} '${JSON.stringify(body)}' ${extra}`);
  if (r.code !== 0) throw new Error(`client failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim()) as Answer;
}

async function vipsOn(host: string): Promise<string[]> {
  const r = await onHost(host, "ip -4 -o addr show dev eth0");
  return [...r.stdout.matchAll(/inet (\S+)/g)].map((m) => m[1]!);
}

async function agentLog(host: string): Promise<string> {
  return (await onHost(host, `cat ${LOG}`)).stdout;
}

const started = new Map<string, number>();

async function startAgent(host: string): Promise<void> {
  const running = await onHost(host, `test -f ${PID_FILE} && kill -0 $(cat ${PID_FILE}) && cat ${PID_FILE}`);
  if (running.code === 0) throw new Error(`${host}: an agent already runs (pid ${running.stdout.trim()}); this test starts its own`);
  // Detached mode: this exec returns only if the agent let go of the session's stdio.
  const r = await onHost(host, `rm -f ${LOG}; node ${AGENT} agent --log-file ${LOG}`, 20_000);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/mmm agent started \(pid \d+\)/);
  const pid = Number((await onHost(host, `cat ${PID_FILE}`)).stdout.trim());
  expect(pid).toBeGreaterThan(0);
  started.set(host, pid);
  await until(`${host} agent answering`, () => ask(host, { kind: "get-state" }), (a) => a.ok);
}

async function stopAgent(host: string): Promise<void> {
  const pid = started.get(host);
  if (pid === undefined) return;
  // Only the process this test started, and only if the pid file still names it.
  await onHost(host, `test "$(cat ${PID_FILE} 2>/dev/null)" = "${pid}" && kill ${pid}; for i in $(seq 50); do kill -0 ${pid} 2>/dev/null || break; sleep 0.1; done`);
  started.delete(host);
}

/** The runtime services bootstrap installed on the hosts this test uses (absent: nothing to do). */
async function setServices(action: "start" | "stop"): Promise<void> {
  const order: [string, string][] = [["monitor", "mmm-monitor"], ["db1", "mmm-agent"], ["db3", "mmm-agent"]];
  for (const [host, service] of action === "stop" ? order : [...order].reverse()) {
    const r = await onHost(host, `if [ -x /etc/init.d/${service} ]; then /etc/init.d/${service} ${action}; fi`, 30_000);
    if (r.code !== 0) throw new Error(`${host}: ${service} ${action}: ${r.stderr}`);
  }
}

describe("mmm agent in the lab", () => {
  let db1ReadOnly = "1";

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    await build({
      entryPoints: [join(ROOT, "test", "lab", "agent-entry.ts")],
      outfile: AGENT,
      bundle: true,
      platform: "node",
      format: "cjs",
      external: ["cpu-features", "*.node"],
      logLevel: "warning",
    });
    await build({
      entryPoints: [join(ROOT, "test", "lab", "agent-client.mjs")],
      outfile: CLIENT,
      bundle: true,
      platform: "node",
      format: "esm",
      banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
      logLevel: "warning",
    });
    // Bootstrap installs and starts the mmm runtime (monitor and agents) as services. This test
    // drives its own agents by hand, so it stops the services its own bootstrap started — the
    // monitor first, so that it does not react — and starts them again at the end.
    await freshLab();
    const r = await mmm(["bootstrap", LAB_INVENTORY]);
    expect(r.code, r.stderr).toBe(0);
    await setServices("stop");
    db1ReadOnly = await readOnly("db1");
    await startAgent("db1");
    await startAgent("db3");
  }, 300_000);

  afterAll(async () => {
    await stopAgent("db1").catch(() => undefined);
    await stopAgent("db3").catch(() => undefined);
    // Leave db3 replicating from db1 and db1's read_only as found.
    await sqlOn("db3", `STOP SLAVE; CHANGE MASTER TO MASTER_HOST='${DB1}', MASTER_USE_GTID=slave_pos; START SLAVE`).catch(() => undefined);
    await sqlOn("db1", `SET GLOBAL read_only = ${db1ReadOnly === "0" ? "OFF" : "ON"}`).catch(() => undefined);
    await sqlOn("db2", "DROP DATABASE IF EXISTS mmm_agent_test").catch(() => undefined);
    await setServices("start");
  }, 120_000);

  it("get-state reports what the host holds: no VIP, read_only, no lease after start", async () => {
    const a = await ask("db1", { kind: "get-state" });
    expect(a.ok).toBe(true);
    expect(a.result).toMatchObject({ host: "db1", vips: [], writable: false, leaseLeftMs: null });
    expect(a.result!.uptime).toBeGreaterThan(0);
  });

  it("refuses add-vip and set-writable without a lease", async () => {
    expect((await ask("db1", { kind: "add-vip", role: "writer", ip: WRITER_VIP })).error).toMatch(/holds no lease/);
    expect((await ask("db1", { kind: "set-writable" })).error).toMatch(/holds no lease/);
    expect(await vipsOn("db1")).not.toContain(`${WRITER_VIP}/32`);
    expect(await readOnly("db1")).toBe("1");
  });

  it("add-vip puts the VIP on db1's eth0, it answers ping from db3, and adding it again is a no-op", async () => {
    expect((await ask("db1", { kind: "renew-lease", leaseMs: 60_000 })).ok).toBe(true);
    const a = await ask("db1", { kind: "add-vip", role: "writer", ip: WRITER_VIP });
    expect(a.result).toMatchObject({ done: true });
    expect(await vipsOn("db1")).toContain(`${WRITER_VIP}/32`);
    const lifetime = await onHost("db1", `ip -4 addr show dev eth0 to ${WRITER_VIP}/32`);
    expect(lifetime.stdout).toMatch(/valid_lft (\d+)sec/);
    expect(Number(/valid_lft (\d+)sec/.exec(lifetime.stdout)![1])).toBeLessThanOrEqual(60);
    const ping = await onHost("db3", `ping -c 1 -W 2 ${WRITER_VIP}`);
    expect(ping.code, ping.stdout + ping.stderr).toBe(0);
    const again = await ask("db1", { kind: "add-vip", role: "writer", ip: WRITER_VIP });
    expect(again.result).toMatchObject({ done: true, detail: expect.stringMatching(/already present/) });
    expect((await vipsOn("db1")).filter((v) => v === `${WRITER_VIP}/32`)).toHaveLength(1);
    const state = await ask("db1", { kind: "get-state" });
    expect(state.result).toMatchObject({ vips: [WRITER_VIP] });
    expect(state.result!.leaseLeftMs).toBeGreaterThan(50_000);
  });

  it("set-writable turns read_only off on db1", async () => {
    expect((await ask("db1", { kind: "set-writable" })).ok).toBe(true);
    expect(await readOnly("db1")).toBe("0");
    expect((await ask("db1", { kind: "get-state" })).result).toMatchObject({ writable: true });
  });

  it("fence drops the VIP, sets read_only and kills an application's connection", async () => {
    await onHost("db3", `rm -f /tmp/app-conn.out; (MYSQL_PWD=lab-app-pass mariadb -h ${DB1} -u app -N -e "SELECT SLEEP(60)" >/tmp/app-conn.out 2>&1; echo "exit=$?" >>/tmp/app-conn.out) </dev/null >/dev/null 2>&1 &`);
    await until("app session on db1", () => sqlOn("db1", "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'app'"), (n) => n === "1");
    const a = await ask("db1", { kind: "fence", ips: [WRITER_VIP], reason: "lab test" });
    expect(a.result).toMatchObject({ done: true });
    expect(await vipsOn("db1")).not.toContain(`${WRITER_VIP}/32`);
    expect(await readOnly("db1")).toBe("1");
    expect(await sqlOn("db1", "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'app'")).toBe("0");
    const out = await until("app client exit", async () => (await onHost("db3", "cat /tmp/app-conn.out")).stdout, (s) => s.includes("exit="));
    expect(out).not.toMatch(/exit=0/);
    expect(await agentLog("db1")).toMatch(/killed client connections \d+ \(app@/);
  });

  it("without renewals the lease runs out: the agent drops the VIP and sets read_only by itself", async () => {
    expect((await ask("db1", { kind: "renew-lease", leaseMs: 60_000 })).ok).toBe(true);
    expect((await ask("db1", { kind: "add-vip", role: "writer", ip: WRITER_VIP })).ok).toBe(true);
    expect((await ask("db1", { kind: "set-writable" })).ok).toBe(true);
    expect(await readOnly("db1")).toBe("0");
    expect((await ask("db1", { kind: "renew-lease", leaseMs: 2_500 })).ok).toBe(true);
    await until("read_only after lease expiry", () => readOnly("db1"), (v) => v === "1", 10_000);
    expect(await vipsOn("db1")).not.toContain(`${WRITER_VIP}/32`);
    expect((await ask("db1", { kind: "get-state" })).result).toMatchObject({ vips: [], writable: false, leaseLeftMs: null });
    expect(await agentLog("db1")).toMatch(/no lease renewal from the monitor for \d+\.\d s \(lease 2\.5 s\)/);
  });

  it("refuses a forged request (wrong secret) and logs it", async () => {
    await onHost("monitor", "head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \\n' > /tmp/forged.key");
    const a = await ask("db1", { kind: "renew-lease", leaseMs: 60_000 }, "--secret-file /tmp/forged.key");
    expect(a.ok).toBe(false);
    expect((await ask("db1", { kind: "get-state" })).result).toMatchObject({ leaseLeftMs: null });
    expect(await agentLog("db1")).toMatch(/refused a message from \S+: bad MAC/);
  });

  it("refuses a replayed request and a stale one", async () => {
    const r = await onHost("monitor", `node ${CLIENT} db1 '${JSON.stringify({ kind: "set-read-only" })}' --replay`);
    const { first, second } = JSON.parse(r.stdout.trim()) as { first: { ok: boolean; answer?: { ok: boolean } }; second: { ok: boolean } };
    expect(first.ok && first.answer?.ok).toBe(true);
    expect(second.ok).toBe(false);
    expect(await agentLog("db1")).toMatch(/replayed message from monitor/);
    expect((await ask("db1", { kind: "renew-lease", leaseMs: 60_000 })).ok).toBe(true);
    const stale = await ask("db1", { kind: "add-vip", role: "writer", ip: WRITER_VIP }, "--age 2000");
    expect(stale.error).toMatch(/more than 500 ms apart/);
    expect(await vipsOn("db1")).not.toContain(`${WRITER_VIP}/32`);
  });

  it("survives a malformed request and answers the next one", async () => {
    const bad = await ask("db1", { kind: "format-disk" });
    expect(bad.error).toMatch(/malformed request/);
    expect((await ask("db1", { kind: "get-state" })).ok).toBe(true);
  });

  it("repoint-replica moves db3 to db2 by GTID, and rows written on db2 arrive on db3", async () => {
    const a = await ask("db3", { kind: "repoint-replica", source: "db2", sourceAddress: DB2, sourcePort: 3306 });
    expect(a.result).toMatchObject({ done: true });
    const status = (await onHost("db3", "mariadb -e 'SHOW SLAVE STATUS\\G'")).stdout;
    expect(status).toMatch(new RegExp(`Master_Host: ${DB2.replace(/\./g, "\\.")}\\b`));
    expect(status).toMatch(/Using_Gtid: Slave_Pos/);
    await sqlOn("db2", "CREATE DATABASE IF NOT EXISTS mmm_agent_test; CREATE TABLE IF NOT EXISTS mmm_agent_test.t (id INT PRIMARY KEY); INSERT INTO mmm_agent_test.t VALUES (42)");
    await until("row from db2 on db3", () => sqlOn("db3", "SELECT COUNT(*) FROM mmm_agent_test.t WHERE id = 42").catch(() => "0"), (n) => n === "1", 15_000);
    const again = await ask("db3", { kind: "repoint-replica", source: "db2", sourceAddress: DB2, sourcePort: 3306 });
    expect(again.result).toMatchObject({ detail: expect.stringMatching(/already replicating/) });
    expect(await agentLog("db3")).not.toContain("lab-repl-pass");
  });

  it("fence is bounded when a client holds LOCK TABLES: the lock holder is killed and read_only set", async () => {
    await until("test table replicated to db1", () => sqlOn("db1", "SELECT COUNT(*) FROM mmm_agent_test.t").catch(() => "missing"), (n) => n !== "missing", 15_000);
    expect((await ask("db1", { kind: "renew-lease", leaseMs: 60_000 })).ok).toBe(true);
    expect((await ask("db1", { kind: "set-writable" })).ok).toBe(true);
    await onHost("db3", `rm -f /tmp/app-lock.out; (MYSQL_PWD=lab-app-pass mariadb -h ${DB1} -u app -N -e "LOCK TABLES mmm_agent_test.t WRITE; SELECT SLEEP(60)" >/tmp/app-lock.out 2>&1; echo "exit=$?" >>/tmp/app-lock.out) </dev/null >/dev/null 2>&1 &`);
    await until("app session sleeping with its lock", () => sqlOn("db1", "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'app' AND INFO LIKE 'SELECT SLEEP%'"), (n) => n === "1");
    const t0 = Date.now();
    const a = await ask("db1", { kind: "fence", ips: [WRITER_VIP], reason: "lab test, LOCK TABLES" });
    expect(a.result).toMatchObject({ done: true });
    // Killing the lock holder first means read_only does not wait out lock_wait_timeout.
    expect(Date.now() - t0).toBeLessThan(4_000);
    expect(await readOnly("db1")).toBe("1");
    expect(await sqlOn("db1", "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'app'")).toBe("0");
    expect(await agentLog("db1")).not.toMatch(/read_only did not take/);
    expect((await onHost("db3", "cat /tmp/app-lock.out")).stdout).not.toMatch(/exit=0/);
  });

  it("wait-catchup answers reached for a GTID db3 has, and timeout, bounded, for one it never gets", async () => {
    const have = await sqlOn("db3", "SELECT @@GLOBAL.gtid_slave_pos");
    const reached = await ask("db3", { kind: "wait-catchup", gtid: have, timeoutMs: 3_000 });
    expect(reached.result).toEqual({ outcome: "reached" });
    const domain = have.split("-")[0] ?? "0";
    const t0 = Date.now();
    const never = await ask("db3", { kind: "wait-catchup", gtid: `${domain}-1-999999999`, timeoutMs: 1_500 });
    expect(never.result).toEqual({ outcome: "timeout" });
    // The client runs inside the monitor host: node start-up and nsenter add a second or two.
    expect(Date.now() - t0).toBeLessThan(6_000);
    const relay = await ask("db3", { kind: "wait-catchup", timeoutMs: 3_000 });
    expect(relay.result).toEqual({ outcome: "reached" });
  });

  it("announce-vip's gratuitous ARP corrects a neighbour's stale cache entry", async () => {
    expect((await ask("db1", { kind: "renew-lease", leaseMs: 60_000 })).ok).toBe(true);
    expect((await ask("db1", { kind: "add-vip", role: "writer", ip: WRITER_VIP })).ok).toBe(true);
    const mac = (await onHost("db1", "cat /sys/class/net/eth0/address")).stdout.trim();
    await onHost("db3", `ip neigh replace ${WRITER_VIP} lladdr 02:00:00:00:00:01 dev eth0 nud stale`);
    expect((await onHost("db3", `ip neigh show ${WRITER_VIP} dev eth0`)).stdout).toContain("02:00:00:00:00:01");
    expect((await ask("db1", { kind: "announce-vip", ip: WRITER_VIP })).result).toMatchObject({ done: true });
    await until("db3's ARP entry for the VIP", async () => (await onHost("db3", `ip neigh show ${WRITER_VIP} dev eth0`)).stdout, (s) => s.includes(mac), 5_000);
    expect((await ask("db1", { kind: "remove-vip", role: "writer", ip: WRITER_VIP })).ok).toBe(true);
    expect(await vipsOn("db1")).not.toContain(`${WRITER_VIP}/32`);
    expect((await ask("db1", { kind: "announce-vip", ip: WRITER_VIP })).error).toMatch(/does not hold/);
  });

  it("with mysqld down, get-state says writable null, fence still drops the VIP, set-writable is refused", async () => {
    expect((await ask("db1", { kind: "renew-lease", leaseMs: 60_000 })).ok).toBe(true);
    expect((await ask("db1", { kind: "add-vip", role: "writer", ip: WRITER_VIP })).ok).toBe(true);
    await labMysqld("db1", "stop");
    try {
      expect((await ask("db1", { kind: "get-state" })).result).toMatchObject({ writable: null, vips: [WRITER_VIP] });
      expect((await ask("db1", { kind: "set-writable" })).error).toMatch(/mysqld does not answer/);
      const fence = await ask("db1", { kind: "fence", ips: [WRITER_VIP], reason: "lab test, mysqld down" });
      expect(fence.result).toMatchObject({ done: true, detail: expect.stringMatching(/mysqld does not answer/) });
      expect(await vipsOn("db1")).not.toContain(`${WRITER_VIP}/32`);
    } finally {
      await labMysqld("db1", "start");
    }
    await until("db1 mysqld back", () => ask("db1", { kind: "get-state" }), (a) => a.result?.writable === false, 30_000);
  });

  it("a killed agent's VIP expires in the kernel within the lease, and its restart sets read_only", async () => {
    expect((await ask("db1", { kind: "renew-lease", leaseMs: 3_000 })).ok).toBe(true);
    expect((await ask("db1", { kind: "add-vip", role: "writer", ip: WRITER_VIP })).ok).toBe(true);
    expect((await ask("db1", { kind: "set-writable" })).ok).toBe(true);
    const pid = started.get("db1")!;
    const t0 = Date.now();
    await onHost("db1", `kill -9 ${pid}`);
    started.delete("db1");
    await until("VIP gone without its agent", () => vipsOn("db1"), (v) => !v.includes(`${WRITER_VIP}/32`), 6_000);
    // Lease 3 s from the renewal; the kernel's lifetime check may run up to a second late.
    expect(Date.now() - t0).toBeLessThan(4_500);
    // Nothing but an agent sets read_only: the restarted one does it before anything else.
    expect(await readOnly("db1")).toBe("0");
    await startAgent("db1");
    expect(await readOnly("db1")).toBe("1");
    expect((await ask("db1", { kind: "get-state" })).result).toMatchObject({ vips: [], writable: false, leaseLeftMs: null });
  });

  it("a stopped agent drops what it holds and removes its pid file", async () => {
    expect((await ask("db1", { kind: "renew-lease", leaseMs: 60_000 })).ok).toBe(true);
    expect((await ask("db1", { kind: "add-vip", role: "writer", ip: WRITER_VIP })).ok).toBe(true);
    expect((await ask("db1", { kind: "set-writable" })).ok).toBe(true);
    await stopAgent("db1");
    expect(await vipsOn("db1")).not.toContain(`${WRITER_VIP}/32`);
    expect(await readOnly("db1")).toBe("1");
    expect((await onHost("db1", `test -e ${PID_FILE}`)).code).not.toBe(0);
    expect(await agentLog("db1")).toMatch(/SIGTERM: stopping/);
  });
});
