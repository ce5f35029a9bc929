import { describe, expect, it } from "vitest";
import { checksumSql, compareChecksums, type ChunkSum, type TableShape } from "../../src/verify/checksum.js";
import { diagnoseVerify, type VerifyHost, type VerifyObservations } from "../../src/verify/diagnose-verify.js";
import { formatVerify } from "../../src/verify/format-verify.js";
import { parseTableNames } from "../../src/verify/run-verify.js";
import { parseReplicaStatusRow } from "../../src/sql/status.js";

const T: TableShape = { schema: "mmm_verify", table: "marker", columns: ["id", "token", "written_at"], intKey: "id" };
const SUMS: ChunkSum[] = [
  { chunk: 0, rows: 1000, crc: "111" },
  { chunk: 1, rows: 1000, crc: "222" },
  { chunk: 2, rows: 10, crc: "333" },
];

describe("verify: chunked checksums", () => {
  it("builds one query per table: chunks by key range, NULLs marked, every identifier quoted", () => {
    expect(checksumSql(T)).toBe(
      "SELECT FLOOR((`id` - 1) / 1000) AS chunk, COUNT(*) AS `rows`, COALESCE(BIT_XOR(CRC32(CONCAT_WS('#', `id`, `token`, `written_at`, CONCAT(ISNULL(`id`), ISNULL(`token`), ISNULL(`written_at`))))), 0) AS crc FROM `mmm_verify`.`marker` GROUP BY chunk ORDER BY chunk",
    );
    expect(checksumSql({ ...T, table: "we`ird", intKey: null })).toContain("SELECT 0 AS chunk");
    expect(checksumSql({ ...T, table: "we`ird", intKey: null })).toContain("`mmm_verify`.`we``ird`");
  });

  const cases: { name: string; got: ChunkSum[]; shape?: TableShape; ref?: ChunkSum[]; problems: string[] }[] = [
    { name: "identical", got: SUMS, problems: [] },
    {
      name: "one chunk's content differs",
      got: [SUMS[0]!, { chunk: 1, rows: 1000, crc: "999" }, SUMS[2]!],
      problems: ["db4: table mmm_verify.marker chunk 2 (id 1001–2000) differs from the writer db1 (same row count 1000, different content)"],
    },
    {
      name: "a row missing",
      got: [SUMS[0]!, SUMS[1]!, { chunk: 2, rows: 9, crc: "334" }],
      problems: ["db4: table mmm_verify.marker chunk 3 (id 2001–3000) differs from the writer db1 (9 rows, the writer 10)"],
    },
    {
      name: "a chunk only the replica has",
      got: [...SUMS, { chunk: 5, rows: 1, crc: "5" }],
      problems: ["db4: table mmm_verify.marker chunk 6 (id 5001–6000) differs from the writer db1 (1 rows, the writer 0)"],
    },
    {
      name: "an unchunked table",
      shape: { ...T, intKey: null },
      ref: [SUMS[0]!],
      got: [{ chunk: 0, rows: 3, crc: "1" }],
      problems: ["db4: table mmm_verify.marker differs from the writer db1 (3 rows, the writer 1000)"],
    },
  ];
  for (const c of cases) {
    it(`compares chunks: ${c.name}`, () => {
      expect(compareChecksums(c.shape ?? T, "db1", c.ref ?? SUMS, "db4", c.got)).toEqual(c.problems);
    });
  }

  it("reads --tables", () => {
    expect(parseTableNames(["app.users", " shop.orders "])).toEqual([
      { schema: "app", table: "users" },
      { schema: "shop", table: "orders" },
    ]);
    expect(() => parseTableNames(["users"])).toThrow(/not schema\.table/);
  });
});

function rep(source: string, over: Record<string, unknown> = {}) {
  return parseReplicaStatusRow({ Master_Host: source, Slave_IO_Running: "Yes", Slave_SQL_Running: "Yes", Seconds_Behind_Master: 0, Using_Gtid: "Slave_Pos", Gtid_IO_Pos: "", ...over });
}

const ADDR = { "10.0.0.2": "db1", "10.0.0.3": "db2", "10.0.0.4": "db3", "10.0.0.5": "db4" };
const sums = { "mmm_verify.marker": [{ chunk: 0, rows: 3, crc: "42" }] };
function host(name: string, over: Partial<VerifyHost> = {}): VerifyHost {
  const n = Number(name.slice(2));
  return {
    name,
    mode: n <= 2 ? "master" : "slave",
    serverId: n,
    readOnly: name !== "db1",
    autoIncrement: n <= 2 ? { increment: 2, offset: n } : { increment: 2, offset: 1 },
    replica: rep(name === "db1" ? "10.0.0.3" : "10.0.0.2"),
    gtidState: "0-1-100",
    arrivalMs: name === "db1" ? 0 : 20,
    checksums: sums,
    ...over,
  };
}
function observations(over: Partial<Record<string, Partial<VerifyHost>>> = {}, rest: Partial<VerifyObservations> = {}): VerifyObservations {
  return {
    family: "mariadb",
    writer: "db1",
    writerVip: "10.0.0.100",
    writerAnswered: "db1",
    marker: { table: "mmm_verify.marker", token: "0123456789abcdef0123456789abcdef", id: 3 },
    timeoutMs: 10_000,
    hosts: ["db1", "db2", "db3", "db4"].map((h) => host(h, over[h] ?? {})),
    readers: [{ role: "reader", ip: "10.0.0.101", host: "db3", found: true }],
    tables: [{ schema: "mmm_verify", table: "marker", columns: ["id", "token", "written_at"], intKey: "id" }],
    addresses: ADDR,
    ...rest,
  };
}

describe("verify: diagnosis", () => {
  const cases: { name: string; obs: VerifyObservations; problems: string[] }[] = [
    { name: "a healthy cluster passes every check", obs: observations(), problems: [] },
    {
      name: "a stopped SQL thread, with its error",
      obs: observations({
        db3: { replica: rep("10.0.0.2", { Slave_SQL_Running: "No", Last_SQL_Errno: 1062, Last_SQL_Error: "Duplicate entry '3' for key 'PRIMARY'" }), arrivalMs: null, arrivalError: "replication wait: timeout" },
      }),
      problems: [
        "db3: marker not applied within 10 s (replication wait: timeout)",
        "db3: SQL thread stopped (source db1): Error 1062: Duplicate entry '3' for key 'PRIMARY'",
      ],
    },
    {
      name: "an IO thread still connecting",
      obs: observations({ db4: { replica: rep("10.0.0.2", { Slave_IO_Running: "Connecting", Last_IO_Errno: 2003, Last_IO_Error: "error connecting to master" }) } }),
      problems: ["db4: IO thread connecting (source db1): Error 2003: error connecting to master"],
    },
    {
      name: "a writable non-writer",
      obs: observations({ db3: { readOnly: false } }),
      problems: ["db3: writable (read_only=OFF) but not the writer db1: SET GLOBAL read_only=1 there"],
    },
    { name: "a read-only writer", obs: observations({ db1: { readOnly: true } }), problems: ["db1: read_only is ON on the writer: applications cannot write"] },
    { name: "duplicate server ids", obs: observations({ db4: { serverId: 3 } }), problems: ["db3 and db4: same server_id 3"] },
    {
      name: "the same auto_increment_offset on both masters",
      obs: observations({ db2: { autoIncrement: { increment: 2, offset: 1 } } }),
      problems: ["db1 and db2: same auto_increment_offset 1: keys generated on both masters collide"],
    },
    {
      name: "auto_increment_increment 1 on a master",
      obs: observations({ db2: { autoIncrement: { increment: 1, offset: 2 } } }),
      problems: ["db2: auto_increment_increment=1: both masters can generate the same keys (set 2)"],
    },
    {
      name: "errant transactions on a replica",
      obs: observations({ db4: { gtidState: "0-1-100,0-4-7" } }),
      problems: ["db4: errant transactions 0-4-1..7 (not on the writer db1)"],
    },
    {
      name: "a row changed on one replica only",
      obs: observations({ db4: { checksums: { "mmm_verify.marker": [{ chunk: 0, rows: 3, crc: "43" }] } } }),
      problems: ["db4: table mmm_verify.marker chunk 1 (id 1–1000) differs from the writer db1 (same row count 3, different content)"],
    },
    {
      name: "the writer VIP answering from the wrong host",
      obs: observations({}, { writerAnswered: "db2" }),
      problems: ["writer VIP 10.0.0.100 answered from db2, but the monitor's writer is db1"],
    },
    {
      name: "a reader VIP without the marker and one that refuses",
      obs: observations({}, { readers: [{ role: "reader", ip: "10.0.0.101", host: "db3", found: false }, { role: "reader", ip: "10.0.0.102", host: null, found: false, error: "connect ECONNREFUSED" }] }),
      problems: ["reader VIP 10.0.0.101 (db3): marker not readable", "reader VIP 10.0.0.102: connect ECONNREFUSED"],
    },
    {
      name: "an unreachable host",
      obs: observations({ db2: { error: "SSH connection timed out", serverId: null, replica: null } }),
      problems: ["db2: SSH connection timed out"],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = diagnoseVerify(c.obs);
      expect(r.problems).toEqual(c.problems);
      expect(r.ok).toBe(c.problems.length === 0);
    });
  }

  it("text and JSON say the same: latencies, checks, problems", () => {
    const r = diagnoseVerify(observations({ db3: { readOnly: false } }));
    const text = formatVerify(r);
    const json = JSON.parse(JSON.stringify(r)) as typeof r;
    for (const h of json.observations.hosts) {
      const line = text.split("\n").find((l) => l.startsWith(`${h.name} `))!;
      expect(line).toMatch(h.name === "db1" ? /0 ms \(writer\)$/ : new RegExp(`${h.arrivalMs} ms$`));
    }
    for (const c of json.checks) {
      const line = text.split("\n").find((l) => l.startsWith(`${c.name}  `))!;
      expect(line.endsWith(c.problems.length ? `FAIL (${c.problems.length})` : `ok (${c.detail})`)).toBe(true);
    }
    expect(text).toContain(`problems (1)\n  ${json.problems[0]}`);
    expect(text).not.toContain(json.observations.marker.token); // only a prefix is shown
  });
});
