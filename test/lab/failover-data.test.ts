import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { labMysqld } from "../../src/lab/lab-faults.js";
import { onHost, sqlOn } from "./support.js";
import {
  DBS,
  WRITER_VIP,
  bootstrappedLab,
  control,
  createTestTable,
  expectRows,
  hostLine,
  log,
  nowOn,
  readOnly,
  readerVipsOn,
  restoreCluster,
  show,
  sleep,
  startWriteLoop,
  until,
  vipsOn,
  watchHostSpan,
  writerOf,
} from "./failover-support.js";

/**
 * What MMM got wrong with data, on the lab (issue 4): the tutorial's LOCK TABLES test under a
 * write load (no duplicate, no loss, bounded catch-up), an errant transaction on the passive
 * master detected end to end, and reader VIPs leaving a slave whose replication stopped.
 * One bootstrapped lab for the file; the cluster is restored (writer on db1, all ONLINE) after.
 * Run: npm run build && flock /run/mmm-lab-usage.lock npx vitest run test/lab/failover-data.test.ts
 */

async function slaveStatus(host: string): Promise<string> {
  return (await onHost(host, "mariadb -e 'SHOW SLAVE STATUS\\G'")).stdout;
}

/** Seconds the rendered max_catchup_wait allows (bootstrap keeps MMM's default of the extra: 10). */
const CATCHUP_S = 10;

/** Until every one of db3's former reader VIPs is up on another host; the others' reader VIPs then. */
function db3VipsElsewhere(mine: readonly string[]): Promise<Record<string, string[]>> {
  return until(
    "db3's reader VIPs on other hosts",
    async () => Object.fromEntries(await Promise.all(["db1", "db2", "db4"].map(async (h) => [h, await readerVipsOn(h)] as const))),
    (m) => mine.every((ip) => Object.values(m).some((v) => v.includes(ip))),
    30_000,
    100,
  );
}

describe("data safety on failover, on the lab", () => {
  beforeAll(async () => {
    await bootstrappedLab();
  }, 600_000);

  afterAll(async () => {
    await restoreCluster();
  }, 300_000);

  it("the tutorial's LOCK TABLES test under load: bounded catch-up, writes refused past the deadline, then no duplicate and no lost row", async () => {
    await createTestTable("tut");
    // 1. A read lock on db2 (the passive master): its SQL thread blocks on the next row.
    const lock = onHost("db2", "mariadb -N -e 'LOCK TABLES mmmtest.tut READ; SELECT SLEEP(200); UNLOCK TABLES'", 260_000);
    await until("db2 holds the lock", () => sqlOn("db2", "SELECT COUNT(*) FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(200)%'"), (n) => n === "1", 10_000);
    // 2. Rows through the writer (db1).
    const w = startWriteLoop("tut", "tut");
    await until("db2's SQL thread waits for the lock", () => sqlOn("db2", "SELECT COUNT(*) FROM information_schema.processlist WHERE state LIKE '%metadata lock%' OR state LIKE '%table lock%'"), (n) => n !== "0", 20_000);
    await sleep(2_000);
    // 3. The writer stopped (its mysqld, cleanly, as the tutorial's `service mysqld stop`).
    const stopAt = await nowOn("db1");
    await labMysqld("db1", "stop");
    // 4. While the lock holds: the monitor answers, nobody is writer, db2 stays read_only.
    const t0 = Date.now();
    const during = await control("show");
    const showMs = Date.now() - t0;
    expect(during.code).toBe(0);
    expect(hostLine(during.out, "db1")).toMatch(/HARD_OFFLINE|ONLINE/);
    await until("the catch-up deadline passes", async () => (await control("why writer")).out, (s) => /writes refused/.test(s), (CATCHUP_S + 20) * 1000, 1000);
    const why = (await control("why writer")).out;
    log(`LOCK TABLES: \`why writer\` while db2 cannot catch up:\n${why.trimEnd()}`);
    expect(why).toMatch(/moving from db1 to db2/);
    expect(why).toMatch(/writes refused: db2 has not applied .* relay log/);
    expect(why).toMatch(/max_catchup_wait deadline passed/);
    expect(why).toMatch(/move_role --force writer db2/);
    const refusedAt = await nowOn("monitor");
    for (const h of DBS) expect(await vipsOn(h), `${h} holds the writer VIP while writes are refused`).not.toContain(WRITER_VIP);
    expect(await readOnly("db2")).toBe("1");
    const mon = (await onHost("monitor", "cat /var/log/mysql-mmm/mmm_mond.log")).stdout;
    expect(mon).toMatch(/refusing writes: db2 did not catch up within max_catchup_wait 10 s/);
    // 5. The lock released: the promotion completes by itself.
    const promoted = watchHostSpan("db2", "writer", 60);
    const releaseAt = await nowOn("db2");
    const id = await sqlOn("db2", "SELECT id FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(200)%' LIMIT 1");
    await sqlOn("db2", `KILL ${id}`);
    await lock;
    const seen = await promoted;
    const p = seen.to;
    await sleep(2_000);
    const acks = await w.stop();
    const beforeStop = acks.filter((a) => a.at < stopAt).length;
    const refusedWrites = acks.filter((a) => a.at > stopAt + 5_000 && a.at < seen.from);
    expect(refusedWrites, "writes acknowledged while no writer was allowed").toEqual([]);
    const firstAfter = acks.find((a) => a.at >= p - 50);
    log(
      `LOCK TABLES: ${beforeStop} rows acknowledged by db1 before its stop; \`mmm control show\` answered in ${showMs} ms during the lock; ` +
        `writes refused past the ${CATCHUP_S} s deadline (seen ${refusedAt - stopAt} ms after the stop); db2 writable with the VIP ${p - releaseAt} ms after the lock was released, ` +
        `first write through the VIP ${firstAfter ? firstAfter.at - releaseAt : "none"} ms after`,
    );
    expect(firstAfter).toBeDefined();
    // 6. No duplicate, no lost acknowledged row on any surviving host; slaves follow db2 by GTID.
    const counts = await expectRows("tut", acks, ["db2", "db3", "db4"], "db2");
    log(`LOCK TABLES: rows per host ${JSON.stringify(counts)}, ${acks.length} acknowledged, none twice, none missing`);
    for (const h of ["db3", "db4"]) {
      const st = await until(`${h} replicates from db2`, () => slaveStatus(h), (s) => /Master_Host: 192\.168\.77\.3/.test(s) && /Slave_SQL_Running: Yes/.test(s), 30_000);
      expect(st).toMatch(/Using_Gtid: Slave_Pos/);
      expect(st).toMatch(/Slave_IO_Running: Yes/);
    }
    // The old writer comes back with exactly the same rows.
    await labMysqld("db1", "start");
    await expectRows("tut", acks, ["db1"], "db2");
  }, 300_000);

  it("an errant transaction on the passive master: db2 REPLICATION_FAIL, checks and why name the GTID, no promotion; applying it on the writer brings db2 back", async () => {
    await restoreCluster();
    await createTestTable("errant");
    // db1 stops reading from db2, then root (which bypasses read_only) writes on db2 with the binlog on.
    await sqlOn("db1", "STOP SLAVE");
    const at = await nowOn("db2");
    await sqlOn("db2", "SET SESSION sql_log_bin = 1; INSERT INTO mmmtest.errant (cid) VALUES (-1)");
    const gtid = await sqlOn("db2", "SELECT @@GLOBAL.gtid_binlog_pos");
    const line = await until("db2 REPLICATION_FAIL", async () => hostLine(await show(), "db2"), (l) => /REPLICATION_FAIL/.test(l), 20_000, 200);
    log(`errant transaction ${gtid} on db2: REPLICATION_FAIL after ${(await nowOn("monitor")) - at} ms (${line.trim()})`);
    expect(line).toMatch(/^  db2\(192\.168\.77\.3\) master\/REPLICATION_FAIL\. Roles: $/);
    expect(await readerVipsOn("db2")).toEqual([]);
    // MariaDB positions keep only the last seq_no per domain: the set is named as a range ending there.
    const last = gtid.split(",").find((g) => g.startsWith("0-"))!.split("-")[2]!;
    const named = new RegExp(`0-2-(\\d+\\.\\.)?${last}\\b`);
    const checks = (await control("checks db2")).out;
    expect(checks).toMatch(/^db2\s+errant\s+\[last change: .+\]  ERROR: transactions not on db1: /m);
    expect(checks).toMatch(named);
    const why = (await control("why db2")).out;
    expect(why).toMatch(/errant transactions/);
    expect(why).toMatch(named);
    const move = await control("move_role writer db2");
    expect(move.out).toMatch(/^ERROR: .*(REPLICATION_FAIL|transactions the writer lacks)/);
    expect(await writerOf()).toBe("db1");
    expect(await readOnly("db2")).toBe("1");
    log(`errant: checks db2 → ${checks.trim().split("\n").join(" | ")}\nerrant: move_role refused → ${move.out.trim()}`);
    // The documented repair "apply them on the writer": db1 reads from db2 again and applies it.
    await sqlOn("db1", "START SLAVE");
    const back = await until("db2 ONLINE again", async () => hostLine(await show(), "db2"), (l) => /master\/ONLINE\./.test(l), 60_000, 500);
    expect(await sqlOn("db1", "SELECT COUNT(*) FROM mmmtest.errant WHERE cid = -1")).toBe("1");
    await until("db2 gets a reader VIP back", () => readerVipsOn("db2"), (v) => v.length > 0, 30_000);
    log(`errant: repaired, db2 back: ${back.trim()}`);
  }, 180_000);

  it("a slave whose replication stops loses its reader VIP to ONLINE hosts, and gets one back after recovery", async () => {
    await restoreCluster();
    const before = Object.fromEntries(await Promise.all(DBS.map(async (h) => [h, await readerVipsOn(h)] as const)));
    const mine = before.db3!;
    expect(mine.length).toBeGreaterThan(0);
    const at = await nowOn("db3");
    await sqlOn("db3", "STOP SLAVE SQL_THREAD");
    await until("db3 holds no reader VIP", () => readerVipsOn("db3"), (v) => v.length === 0, 30_000, 100);
    const goneAt = await nowOn("db3");
    const moved = await db3VipsElsewhere(mine);
    const movedAt = await nowOn("monitor");
    const all = Object.values(moved).flat();
    expect(new Set(all).size, "a reader VIP on two hosts").toBe(all.length);
    expect(hostLine(await show(), "db3")).toMatch(/slave\/REPLICATION_FAIL\. Roles: $/);
    log(`rebalance: db3's SQL thread stopped → its reader VIP ${mine.join(",")} left db3 after ${goneAt - at} ms and was up on another host after ${movedAt - at} ms (${JSON.stringify(moved)})`);
    const back = await nowOn("db3");
    await sqlOn("db3", "START SLAVE SQL_THREAD");
    await until("db3 holds a reader VIP again", () => readerVipsOn("db3"), (v) => v.length === 1, 60_000, 200);
    const after = Object.fromEntries(await Promise.all(DBS.map(async (h) => [h, await readerVipsOn(h)] as const)));
    log(`rebalance: db3 recovered → a reader VIP back on it after ${(await nowOn("db3")) - back} ms (${JSON.stringify(after)})`);
    for (const h of DBS) expect(after[h], `${h}: one reader VIP each after rebalancing`).toHaveLength(1);
  }, 180_000);

  it("a slave that lags past max_backlog goes REPLICATION_DELAY and loses its reader VIP; caught up, it gets one back", async () => {
    await restoreCluster();
    // max_backlog 3 s instead of 60 for this test, so a lag builds up in seconds.
    const conf = "/etc/mysql-mmm/mmm_mon.conf";
    const setBacklog = async (s: number) => {
      const r = await onHost("monitor", `sed -i 's/^\\(\\s*max_backlog\\s*\\).*/\\1${s}/' ${conf} && grep -c 'max_backlog *${s}$' ${conf} && service mmm-monitor restart`, 60_000);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    };
    await createTestTable("lag");
    await setBacklog(3);
    try {
      await until("db3 ONLINE after the monitor restart", async () => hostLine(await show(), "db3"), (l) => /\/ONLINE\./.test(l), 30_000, 250);
      const mine = await readerVipsOn("db3");
      expect(mine.length).toBeGreaterThan(0);
      // db3 applies what it gets 120 s late: Seconds_Behind_Master grows from the next write on.
      // (Lag is not judged within 60 s of a new writer, which restoreCluster may just have made.)
      await sqlOn("db3", "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=120; START SLAVE");
      await sqlOn("db1", "INSERT INTO mmmtest.lag (cid) VALUES (1)");
      const at = await nowOn("db3");
      const line = await until("db3 REPLICATION_DELAY", async () => hostLine(await show(), "db3"), (l) => /REPLICATION_DELAY/.test(l), 100_000, 250);
      expect(line).toMatch(/slave\/REPLICATION_DELAY\. Roles: $/);
      const checks = (await control("checks db3 rep_backlog")).out;
      expect(checks).toMatch(/db3\s+rep_backlog\s+\[last change: [^\]]+\]\s+ERROR: Backlog is too big/);
      const moved = await db3VipsElsewhere(mine);
      expect(await readerVipsOn("db3")).toEqual([]);
      const all = Object.values(moved).flat();
      expect(new Set(all).size, "a reader VIP on two hosts").toBe(all.length);
      log(`rebalance: db3 lagging (MASTER_DELAY 120, max_backlog 3) → REPLICATION_DELAY and its reader VIP ${mine.join(",")} moved ${(await nowOn("db3")) - at} ms after the write (${JSON.stringify(moved)})`);
      // Caught up: back to ONLINE with a reader VIP of its own.
      await sqlOn("db3", "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=0; START SLAVE");
      await until("db3 ONLINE again", async () => hostLine(await show(), "db3"), (l) => /\/ONLINE\./.test(l), 60_000, 250);
      await until("db3 holds a reader VIP again", () => readerVipsOn("db3"), (v) => v.length === 1, 60_000, 200);
      expect(await sqlOn("db3", "SELECT COUNT(*) FROM mmmtest.lag")).toBe("1");
    } finally {
      await sqlOn("db3", "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=0; START SLAVE").catch(() => undefined);
      await setBacklog(60);
    }
  }, 300_000);
});
