import { expect } from "vitest";
import { labMysqld } from "../../src/lab/lab-faults.js";
import { ensureLab, freshLab, LAB_INVENTORY, mmm, onHost, readOnly, sqlOn, until } from "./support.js";

export { readOnly, until };

/**
 * Shared pieces of the failover lab tests (test/lab/failover-*.test.ts): the cluster as
 * bootstrap leaves it, `mmm control` run inside the monitor host, what the hosts really hold
 * (VIPs on eth0, read_only), a write loop through the writer VIP with one client id per
 * attempt, and row checks on every host.
 */

export const BUNDLE = "/opt/mmm/mmm.cjs";
export const WRITER_VIP = "192.168.77.100";
export const DBS = ["db1", "db2", "db3", "db4"] as const;
export const MONITOR_LOG = "/var/log/mysql-mmm/mmm_mond.log";
export const AGENT_PID = "/run/mysql-mmm/mmm_agentd.pid";
export const MONITOR_PID = "/run/mysql-mmm/mmm_mond.pid";
const APP = "-u app -plab-app-pass";

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A bootstrapped lab with the runtime running. MMM_LAB_REUSE=1 keeps a lab that is up (bootstrap
 * is idempotent, then the cluster is restored), for quick iterations; by default the lab is fresh.
 */
export async function bootstrappedLab(inventory = LAB_INVENTORY): Promise<void> {
  if (process.env.MMM_LAB_REUSE === "1") await ensureLab();
  else await freshLab();
  const b = await mmm(["bootstrap", inventory]);
  expect(b.code, b.stdout + b.stderr).toBe(0);
  await restoreCluster();
}

export async function control(cmd: string, extra = ""): Promise<{ code: number; out: string }> {
  const r = await onHost("monitor", `node ${BUNDLE} control ${extra} ${cmd}`, 30_000);
  return { code: r.code, out: r.stdout + r.stderr };
}

export async function vipsOn(host: string): Promise<string[]> {
  const r = await onHost(host, "ip -4 -o addr show dev eth0");
  return [...r.stdout.matchAll(/inet (\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]!);
}

export async function readerVipsOn(host: string): Promise<string[]> {
  return (await vipsOn(host)).filter((ip) => /^192\.168\.77\.10[1-9]$/.test(ip));
}

export function hostLine(show: string, host: string): string {
  return show.split("\n").find((l) => l.startsWith(`  ${host}(`)) ?? "";
}

export async function show(): Promise<string> {
  return (await control("show")).out;
}

export async function writerOf(): Promise<string | null> {
  const s = await show();
  return DBS.find((h) => /writer\(192\.168\.77\.100\)/.test(hostLine(s, h))) ?? null;
}

async function serviceUp(host: string, service: string, pidFile: string): Promise<void> {
  const running = await onHost(host, `test -f ${pidFile} && kill -0 $(cat ${pidFile})`);
  if (running.code === 0) return;
  const r = await onHost(host, `service ${service} start`, 30_000);
  expect(r.code, `${host}: service ${service} start: ${r.stdout}${r.stderr}`).toBe(0);
}

/**
 * Back to what bootstrap leaves: every mysqld, agent and the monitor running, mode ACTIVE, every
 * host ONLINE with its replication running, the writer on db1 and writable, the others read_only.
 */
export async function restoreCluster(): Promise<void> {
  for (const h of DBS) {
    const up = await onHost(h, "mariadb-admin --connect-timeout=2 ping");
    if (up.code !== 0) await labMysqld(h, "start");
    await serviceUp(h, "mmm-agent", AGENT_PID);
  }
  await serviceUp("monitor", "mmm-monitor", MONITOR_PID);
  if ((await control("mode")).out.trim() !== "ACTIVE") await control("set_active");
  for (const h of DBS) await sqlOn(h, "START SLAVE").catch(() => undefined);
  for (const h of DBS) {
    await until(
      `${h} ONLINE`,
      async () => {
        const line = hostLine(await show(), h);
        if (!/\/ONLINE\./.test(line) && !/ADMIN_OFFLINE|HARD_OFFLINE/.test(line)) await control(`set_online ${h}`);
        if (/ADMIN_OFFLINE/.test(line)) await control(`set_online ${h}`);
        return line;
      },
      (l) => /\/ONLINE\./.test(l),
      90_000,
      500,
    );
  }
  if ((await writerOf()) !== "db1") {
    const r = await control("move_role writer db1");
    expect(r.out, r.out).toMatch(/^OK: /);
  }
  await until("db1 writable with the writer VIP", async () => (await vipsOn("db1")).includes(WRITER_VIP) && (await readOnly("db1")) === "0", (v) => v, 30_000);
  await until(
    "every host holds a reader VIP",
    async () => Promise.all(DBS.map(async (h) => (await readerVipsOn(h)).length)),
    (n) => n.every((x) => x >= 1),
    30_000,
  );
}

/** The test table: one row per client attempt, `cid` unique by construction but not by key, so a double apply shows. */
export async function createTestTable(table: string): Promise<void> {
  await sqlOn("db1", `CREATE DATABASE IF NOT EXISTS mmmtest; DROP TABLE IF EXISTS mmmtest.${table}; CREATE TABLE mmmtest.${table} (cid INT NOT NULL, at TIMESTAMP(6) DEFAULT CURRENT_TIMESTAMP(6), KEY (cid)) ENGINE=InnoDB`);
  for (const h of DBS) await until(`${h} has mmmtest.${table}`, () => onHost(h, `mariadb -N -e 'SELECT 1 FROM mmmtest.${table} LIMIT 0'`), (r) => r.code === 0, 30_000);
}

export interface Ack {
  readonly cid: number;
  /** Epoch ms on the lab's clock (every lab host shares the machine's clock). */
  readonly at: number;
}

export interface WriteLoop {
  /** Stops the loop and returns every acknowledged insert, in order. */
  stop(): Promise<Ack[]>;
}

/**
 * Inserts rows through the writer VIP from the monitor host, one new connection per insert (as a
 * client reconnecting after a failover would), each attempt with its own cid. Only inserts the
 * server acknowledged are reported: an attempt that failed or timed out may or may not be there.
 */
export function startWriteLoop(table: string, tag: string, firstCid = 1): WriteLoop {
  const stopFile = `/tmp/mmm-writes-${tag}.stop`;
  const run = onHost(
    "monitor",
    `rm -f ${stopFile}; i=${firstCid}; end=$(($(date +%s) + 240))
     while [ ! -f ${stopFile} ] && [ $(date +%s) -lt $end ]; do
       if timeout 2 mariadb -h ${WRITER_VIP} ${APP} --connect-timeout=1 -e "INSERT INTO mmmtest.${table} (cid) VALUES ($i)" 2>/dev/null; then
         echo "$i $(date +%s%N)"
       else sleep 0.02; fi
       i=$((i+1))
     done`,
    300_000,
  );
  return {
    async stop() {
      await onHost("monitor", `touch ${stopFile}`);
      const r = await run;
      return r.stdout
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => {
          const [cid, ns] = l.split(" ");
          return { cid: Number(cid), at: Math.round(Number(ns) / 1e6) };
        });
    },
  };
}

/** The longest time without an acknowledged write, and when it started. */
export function longestGap(acks: readonly Ack[], after = 0): { ms: number; from: number; to: number } {
  let best = { ms: 0, from: 0, to: 0 };
  for (let i = 1; i < acks.length; i++) {
    if (acks[i]!.at < after) continue;
    const ms = acks[i]!.at - acks[i - 1]!.at;
    if (ms > best.ms) best = { ms, from: acks[i - 1]!.at, to: acks[i]!.at };
  }
  return best;
}

/**
 * Waits until every host has as many rows as `reference`, then: no cid twice, every acknowledged
 * cid present. Both counts are read again until they agree: a client that gave up may still have
 * a commit under way on the reference (with semi-sync AFTER_SYNC a replica can even show it
 * before the reference does).
 */
export async function expectRows(table: string, acks: readonly Ack[], hosts: readonly string[], reference: string): Promise<Record<string, number>> {
  const count = async (h: string) => Number(await sqlOn(h, `SELECT COUNT(*) FROM mmmtest.${table}`));
  const counts: Record<string, number> = {};
  for (const h of hosts) {
    const both = async () => ({ want: await count(reference), got: await count(h) });
    const { want, got } = await until(`${h} has the rows of ${reference}`, both, (c) => c.got === c.want, 60_000).catch(both);
    counts[h] = got;
    const dups = await sqlOn(h, `SELECT cid, COUNT(*) FROM mmmtest.${table} GROUP BY cid HAVING COUNT(*) > 1 LIMIT 10`);
    expect(dups, `${h}: rows applied twice (cid, count)`).toBe("");
    const have = new Set((await sqlOn(h, `SELECT cid FROM mmmtest.${table}`)).split("\n").filter(Boolean).map(Number));
    const lost = acks.filter((a) => !have.has(a.cid)).map((a) => a.cid);
    expect(lost, `${h}: acknowledged inserts missing`).toEqual([]);
    expect(counts[h], `${h}: row count differs from ${reference}`).toBe(want);
  }
  return counts;
}

/**
 * A watcher inside `host`: resolves with the epoch ms at which it first holds the writer VIP and
 * is writable (`state` "writer"), or holds neither (`state` "fenced"). The lab hosts share one clock.
 */
/**
 * Polls `host` until it is the writer (the writer VIP and read_only=0) or fenced. Resolves with
 * when the poll that saw it started (`from`) and ended (`to`): the state was first seen between
 * them. A safety window must end at `from` (a poll's SELECT can take hundreds of ms on a loaded
 * machine, so writes the new writer took during it are legitimate); a timing is measured to `to`.
 */
export function watchHostSpan(host: string, state: "writer" | "fenced", seconds = 60): Promise<{ from: number; to: number }> {
  const cond =
    state === "writer"
      ? `ip -4 -o addr show dev eth0 | grep -q ' ${WRITER_VIP}/' && [ "$(mariadb -N -B -e 'SELECT @@GLOBAL.read_only')" = 0 ]`
      : `! ip -4 -o addr show dev eth0 | grep -q ' ${WRITER_VIP}/' && [ "$(mariadb -N -B -e 'SELECT @@GLOBAL.read_only' 2>/dev/null || echo down)" != 0 ]`;
  return onHost(
    host,
    `end=$(($(date +%s) + ${seconds})); while [ $(date +%s) -lt $end ]; do t=$(date +%s%N); if ${cond}; then echo "$t $(date +%s%N)"; exit 0; fi; sleep 0.03; done; exit 1`,
    (seconds + 30) * 1000,
  ).then((r) => {
    if (r.code !== 0) throw new Error(`${host} never became ${state} within ${seconds} s: ${r.stderr}`);
    const [from, to] = r.stdout.trim().split(" ").map((n) => Math.round(Number(n) / 1e6));
    return { from: from!, to: to! };
  });
}

/** When `host` was seen to be the writer or fenced (the end of the poll that saw it). */
export function watchHost(host: string, state: "writer" | "fenced", seconds = 60): Promise<number> {
  return watchHostSpan(host, state, seconds).then((s) => s.to);
}

export async function nowOn(host: string): Promise<number> {
  return Math.round(Number((await onHost(host, "date +%s%N")).stdout.trim()) / 1e6);
}

export function log(line: string): void {
  process.stdout.write(`${line}\n`);
}
