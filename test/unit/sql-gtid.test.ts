import { describe, expect, it } from "vitest";
import {
  errantGtids,
  formatMariaGaps,
  formatMariaGtidList,
  formatMysqlGtidSet,
  GtidParseError,
  gtidContains,
  gtidCount,
  gtidEquals,
  gtidSubtract,
  gtidUnion,
  mariaGtidContains,
  mariaGtidMissing,
  mariaGtidPosition,
  parseGtidSet,
  parseMariaGtidList,
  parseMysqlGtidSet,
} from "../../src/sql/gtid.js";

const A = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
const B = "8b7c2a10-0d2e-11ef-8e1c-0242ac120002";
const S = (t: string) => parseMysqlGtidSet(t);
const F = (t: string) => formatMysqlGtidSet(S(t));

describe("MariaDB GTID lists", () => {
  it("parses and formats domain-server-seq lists", () => {
    expect(parseMariaGtidList("0-1-100, 1-2-7")).toEqual([
      { domain: 0, server: 1, seq: 100 },
      { domain: 1, server: 2, seq: 7 },
    ]);
    expect(parseMariaGtidList("")).toEqual([]);
    expect(parseMariaGtidList("  ")).toEqual([]);
    expect(formatMariaGtidList(parseMariaGtidList("1-2-7,0-1-100"))).toBe("0-1-100,1-2-7");
  });

  it.each(["0-1", "0-1-x", "a-b-c", "0-1-2-3", "0-1-99999999999999999999", "0-1-1') OR 1=1 --"])("refuses %j", (t) => {
    expect(() => parseMariaGtidList(t)).toThrow(GtidParseError);
  });

  it("reduces a binlog state to a position", () => {
    expect(formatMariaGtidList(mariaGtidPosition(parseMariaGtidList("0-1-105,0-2-50,1-3-9")))).toBe("0-1-105,1-3-9");
  });

  it("compares positions per domain", () => {
    const a = parseMariaGtidList("0-1-100,1-2-7");
    expect(mariaGtidContains(a, parseMariaGtidList("0-2-90"))).toBe(true);
    expect(mariaGtidContains(a, parseMariaGtidList("0-1-100,1-2-7"))).toBe(true);
    expect(mariaGtidContains(a, parseMariaGtidList("0-1-101"))).toBe(false);
    expect(mariaGtidContains(a, parseMariaGtidList("2-1-1"))).toBe(false);
    expect(mariaGtidContains(a, [])).toBe(true);
    expect(mariaGtidMissing(a, parseMariaGtidList("0-1-103,2-5-4"))).toEqual([
      { domain: 0, server: 1, from: 101, to: 103 },
      { domain: 2, server: 5, from: 1, to: 4 },
    ]);
  });

  it("finds an old master's errant transactions by domain and server after a failover", () => {
    // db1 wrote 0-1-101..105 that never reached db2; db2, promoted at 0-1-100, wrote 0-2-101..103.
    const writer = parseMariaGtidList("0-1-100,0-2-103");
    const oldMaster = parseMariaGtidList("0-1-105,0-2-50");
    expect(mariaGtidMissing(writer, oldMaster, "domain-server")).toEqual([{ domain: 0, server: 1, from: 101, to: 105 }]);
    // Per domain, seq 105 vs 103 would wrongly report only two transactions:
    expect(mariaGtidMissing(writer, oldMaster, "domain")).toEqual([{ domain: 0, server: 1, from: 104, to: 105 }]);
    expect(formatMariaGaps(mariaGtidMissing(writer, oldMaster, "domain-server"))).toBe("0-1-101..105");
    expect(errantGtids("mariadb", "0-1-100,0-2-103", "0-1-105,0-2-50")).toBe("0-1-101..105");
    expect(errantGtids("mariadb", "0-1-100,0-2-103", "0-1-100,0-2-90")).toBe("");
  });
});

describe("MySQL GTID sets", () => {
  it("parses what SHOW REPLICA STATUS prints, newlines and all", () => {
    const text = `${A.toUpperCase()}:1-5:7-9,\n${B}:1-3`;
    expect(formatMysqlGtidSet(S(text))).toBe(`${A}:1-5:7-9,${B}:1-3`);
    expect(S("").size).toBe(0);
  });

  it("merges adjacent and overlapping intervals and sorts uuids", () => {
    expect(F(`${B}:3,${A}:4-6:1-3:8,${A}:7`)).toBe(`${A}:1-8,${B}:3`);
  });

  it("keeps tagged GTIDs (MySQL 8.3+) apart from untagged ones", () => {
    expect(F(`${A}:1-5:Batch_1:1-2:3`)).toBe(`${A}:1-5:batch_1:1-3`);
    expect(gtidContains(S(`${A}:1-5`), S(`${A}:batch:1`))).toBe(false);
  });

  it.each(["nope:1-2", `${A}`, `${A}:0-3`, `${A}:5-3`, `${A}:1-x`, `${A}:1-2'); DROP`, `${A}:1-99999999999999999999`])("refuses %j", (t) => {
    expect(() => S(t)).toThrow(GtidParseError);
  });

  it("unions", () => {
    expect(formatMysqlGtidSet(gtidUnion(S(`${A}:1-5`), S(`${A}:6-8,${B}:1`)))).toBe(`${A}:1-8,${B}:1`);
  });

  it("subtracts, splitting intervals", () => {
    expect(formatMysqlGtidSet(gtidSubtract(S(`${A}:1-10,${B}:1-3`), S(`${A}:3-4:8,${B}:1-3`)))).toBe(`${A}:1-2:5-7:9-10`);
    expect(formatMysqlGtidSet(gtidSubtract(S(`${A}:1-10`), S(`${A}:1-10`)))).toBe("");
    expect(formatMysqlGtidSet(gtidSubtract(S(`${A}:5-6`), S(`${A}:1-3:8-9`)))).toBe(`${A}:5-6`);
  });

  it("tests containment", () => {
    expect(gtidContains(S(`${A}:1-10`), S(`${A}:3-4`))).toBe(true);
    expect(gtidContains(S(`${A}:1-10`), S(`${A}:3-11`))).toBe(false);
    expect(gtidContains(S(`${A}:1-10`), S(`${B}:1`))).toBe(false);
    expect(gtidContains(S(`${A}:1-10`), S(""))).toBe(true);
  });

  it("compares and counts", () => {
    expect(gtidEquals(S(`${A}:1-3:4-5`), S(`${A}:1-5`))).toBe(true);
    expect(gtidCount(S(`${A}:1-5:7,${B}:1-10`))).toBe(16);
  });

  it("names errant transactions of a host against the writer", () => {
    expect(errantGtids("mysql", `${A}:1-100`, `${A}:1-100,${B}:1-2`)).toBe(`${B}:1-2`);
    expect(errantGtids("mysql", `${A}:1-100`, `${A}:1-90`)).toBe("");
  });
});

describe("parseGtidSet", () => {
  it("normalizes either flavor", () => {
    expect(parseGtidSet("mariadb", "1-1-2, 0-1-1").text).toBe("0-1-1,1-1-2");
    expect(parseGtidSet("mysql", `${A.toUpperCase()}:2:1`).text).toBe(`${A}:1-2`);
  });
});
