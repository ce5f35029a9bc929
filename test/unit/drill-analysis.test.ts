import { describe, expect, it } from "vitest";
import {
  buildTimeline,
  countRows,
  findViolations,
  formatOffset,
  parseSampleLine,
  spansWhere,
  stats,
  writeGap,
  writeId,
  type Ack,
  type RoleSample,
} from "../../src/drill/drill-analysis.js";
import { isTimelineWorthy, parseMonitorLine } from "../../src/drill/monitor-watch.js";
import { formatSummary } from "../../src/drill/format-drill.js";
import type { RoundResult } from "../../src/drill/run-drill.js";

const VIP = "192.168.77.100";

/** Samples every 100 ms from `from` to `to` (inclusive) on one host. */
function run(host: string, from: number, to: number, readOnly: boolean | null, ips: string[] = []): RoleSample[] {
  const out: RoleSample[] = [];
  for (let at = from; at <= to; at += 100) out.push({ host, at, readOnly, ips });
  return out;
}

describe("countRows", () => {
  const acked = new Set(["1:1", "1:2", "1:3", "2:1", "2:2"]);
  const unacked = new Set(["1:4", "2:3"]);

  it.each([
    { name: "every acknowledged row once", present: [["1:1", 1], ["1:2", 1], ["1:3", 1], ["2:1", 1], ["2:2", 1]], lost: [], dup: [], unackedPresent: 0, unknown: 0, rows: 5 },
    { name: "a missing acknowledged row is lost", present: [["1:1", 1], ["1:3", 1], ["2:1", 1], ["2:2", 1]], lost: ["1:2"], dup: [], unackedPresent: 0, unknown: 0, rows: 4 },
    { name: "a row applied twice is duplicated", present: [["1:1", 1], ["1:2", 2], ["1:3", 1], ["2:1", 1], ["2:2", 1]], lost: [], dup: [{ id: "1:2", copies: 2 }], unackedPresent: 0, unknown: 0, rows: 6 },
    { name: "an unacknowledged write that landed is neither", present: [["1:1", 1], ["1:2", 1], ["1:3", 1], ["1:4", 1], ["2:1", 1], ["2:2", 1]], lost: [], dup: [], unackedPresent: 1, unknown: 0, rows: 6 },
    { name: "a row nobody wrote is unknown", present: [["1:1", 1], ["1:2", 1], ["1:3", 1], ["2:1", 1], ["2:2", 1], ["9:9", 1]], lost: [], dup: [], unackedPresent: 0, unknown: 1, rows: 6 },
    { name: "lost and duplicated at once, sorted by client then sequence", present: [["1:1", 3], ["2:2", 2], ["1:3", 1]], lost: ["1:2", "2:1"], dup: [{ id: "1:1", copies: 3 }, { id: "2:2", copies: 2 }], unackedPresent: 0, unknown: 0, rows: 6 },
  ])("$name", ({ present, lost, dup, unackedPresent, unknown, rows }) => {
    const c = countRows("db2", acked, unacked, new Map(present as [string, number][]));
    expect(c).toEqual({ host: "db2", lost, duplicated: dup, unackedPresent, unknown, rows });
  });

  it("sorts ids numerically, not as text", () => {
    const c = countRows("db3", new Set([writeId(1, 10), writeId(1, 9), writeId(10, 1), writeId(2, 1)]), new Set(), new Map());
    expect(c.lost).toEqual(["1:9", "1:10", "2:1", "10:1"]);
  });
});

describe("parseSampleLine", () => {
  it.each([
    { line: "1795000000123456789 0 192.168.77.2,192.168.77.100,", want: { readOnly: false, ips: ["192.168.77.2", VIP], at: 1795000000123.456 } },
    { line: "1795000000123456789 1 192.168.77.3,", want: { readOnly: true, ips: ["192.168.77.3"], at: 1795000000123.456 } },
    { line: "1795000000123456789 - 192.168.77.2,", want: { readOnly: null, ips: ["192.168.77.2"], at: 1795000000123.456 } },
    { line: "1795000000123456789 1 ", want: { readOnly: true, ips: [], at: 1795000000123.456 } },
  ])("$line", ({ line, want }) => {
    const s = parseSampleLine("db1", line);
    expect(s).not.toBeNull();
    expect(s!.readOnly).toBe(want.readOnly);
    expect(s!.ips).toEqual(want.ips);
    expect(s!.at).toBeCloseTo(want.at, 3);
  });

  it("subtracts the host's clock offset", () => {
    expect(parseSampleLine("db1", "1795000000123000000 1 ", 23)!.at).toBeCloseTo(1795000000100, 3);
  });

  it.each(["", "17950000001 1 x", "1795000000123456789 2 ", "garbage", "1795000000123456789"])("rejects %j", (line) => {
    expect(parseSampleLine("db1", line)).toBeNull();
  });
});

describe("findViolations", () => {
  it("a clean handover (old writer read-only before the new one is writable) is no violation", () => {
    const samples = [
      ...run("db1", 0, 1000, false, [VIP]),
      ...run("db1", 1100, 3000, true, []),
      ...run("db2", 0, 1100, true, []),
      ...run("db2", 1200, 3000, false, [VIP]),
    ];
    expect(findViolations(samples, [VIP])).toEqual([]);
  });

  it("a change between two samples is not held against a host (only sampled spans count)", () => {
    // db1 last seen writable at 1000, read-only at 1100; db2 first seen writable at 1050.
    const samples = [...run("db1", 0, 1000, false), ...run("db1", 1100, 2000, true), ...run("db2", 50, 950, true), ...run("db2", 1050, 2050, false)];
    expect(findViolations(samples, [VIP])).toEqual([]);
  });

  it("both writable at sampled moments that overlap is a two-writers violation with its span", () => {
    const samples = [...run("db1", 0, 2000, false), ...run("db2", 0, 900, true), ...run("db2", 1000, 3000, false)];
    expect(findViolations(samples, [VIP])).toEqual([{ kind: "two-writers", hosts: ["db1", "db2"], from: 1000, to: 2000 }]);
  });

  it("one VIP on two hosts is its own violation, per IP", () => {
    const samples = [...run("db1", 0, 1500, true, [VIP, "192.168.77.101"]), ...run("db2", 1200, 2000, true, [VIP])];
    expect(findViolations(samples, [VIP, "192.168.77.101"])).toEqual([{ kind: "ip-on-two-hosts", hosts: ["db1", "db2"], ip: VIP, from: 1200, to: 1500 }]);
  });

  it("a server that does not answer is not writable", () => {
    const samples = [...run("db1", 0, 2000, null, []), ...run("db2", 0, 2000, false, [VIP])];
    expect(findViolations(samples, [VIP])).toEqual([]);
  });

  it("a sampling gap longer than the limit ends a span (a stalled loop proves nothing in between)", () => {
    const db1 = [...run("db1", 0, 500, false), ...run("db1", 3000, 3500, false)];
    expect(spansWhere(db1, (s) => s.readOnly === false, 1000)).toEqual([
      { host: "db1", from: 0, to: 500 },
      { host: "db1", from: 3000, to: 3500 },
    ]);
    const samples = [...db1, ...run("db2", 1000, 2500, false)];
    expect(findViolations(samples, [], 1000)).toEqual([]);
  });

  it("samples out of order are sorted per host first", () => {
    const samples = [...run("db1", 0, 1000, false)].reverse();
    expect(spansWhere(samples, (s) => s.readOnly === false, 1000)).toEqual([{ host: "db1", from: 0, to: 1000 }]);
  });
});

describe("writeGap", () => {
  const ack = (at: number, host: string, seq = at): Ack => ({ client: 1, seq, at, host });

  it("last write before the fault to the first on the new writer", () => {
    const acks = [ack(100, "db1"), ack(900, "db1"), ack(3100, "db2"), ack(3200, "db2")];
    expect(writeGap(acks, 1000, (a) => a.host !== "db1")).toEqual({ lastBefore: acks[1], firstAfter: acks[2], gapMs: 2200 });
  });

  it("an ack from the old writer after the fault (a clean stop's last moments) falls before the gap", () => {
    const acks = [ack(900, "db1"), ack(1200, "db1"), ack(3100, "db2")];
    expect(writeGap(acks, 1000, (a) => a.host !== "db1").gapMs).toBe(1900);
  });

  it("no write after the fault: no gap", () => {
    expect(writeGap([ack(900, "db1")], 1000, (a) => a.host !== "db1")).toEqual({ lastBefore: { client: 1, seq: 900, at: 900, host: "db1" }, firstAfter: null, gapMs: null });
  });
});

describe("timeline and figures", () => {
  it("orders events by time, relative to t0, keeping the input order for ties", () => {
    const t = buildTimeline(
      [
        { at: 2100, source: "clients", text: "first write on db2" },
        { at: 1000, source: "drill", text: "fault injected" },
        { at: 1900, source: "monitor", text: "a" },
        { at: 1900, source: "monitor", text: "b" },
        { at: 400, source: "drill", text: "load started" },
      ],
      1000,
    );
    expect(t.map((e) => `${formatOffset(e.offsetMs)} ${e.text}`)).toEqual(["t-0.600 load started", "t+0.000 fault injected", "t+0.900 a", "t+0.900 b", "t+1.100 first write on db2"]);
  });

  it.each([
    { values: [3, 1, 2], median: 2, max: 3, min: 1, n: 3 },
    { values: [4, 1, 3, 2], median: 2.5, max: 4, min: 1, n: 4 },
    { values: [null, 5, null], median: 5, max: 5, min: 5, n: 1 },
    { values: [], median: null, max: null, min: null, n: 0 },
  ])("stats of $values", ({ values, median, max, min, n }) => {
    expect(stats(values)).toEqual({ n, median, max, min });
  });
});

describe("monitor log lines", () => {
  it("reads the timestamp and MMM's state change sentence", () => {
    const l = parseMonitorLine("2026-11-24T09:41:03.083Z State of host 'db1' changed from ONLINE to HARD_OFFLINE (ping: OK, mysql: not OK)");
    expect(l).toEqual({
      at: Date.parse("2026-11-24T09:41:03.083Z"),
      text: "State of host 'db1' changed from ONLINE to HARD_OFFLINE (ping: OK, mysql: not OK)",
      state: { host: "db1", from: "ONLINE", to: "HARD_OFFLINE" },
    });
    expect(isTimelineWorthy(l!)).toBe(true);
  });

  it.each([
    { line: "2026-11-24T09:41:03.083Z promoting db2 to writer: db1 is fenced", worthy: true },
    { line: "2026-11-24T09:41:03.083Z writer on db1; all hosts ONLINE", worthy: false },
    { line: "2026-11-24T09:41:03.083Z renew-lease on db2 failed: timeout", worthy: false },
    { line: "2026-11-24T09:41:03.083Z slow cycle: 2418 ms", worthy: false },
  ])("$line → worthy $worthy", ({ line, worthy }) => {
    expect(isTimelineWorthy(parseMonitorLine(line)!)).toBe(worthy);
  });

  it("ignores lines without a timestamp and applies the offset", () => {
    expect(parseMonitorLine("node: warning")).toBeNull();
    expect(parseMonitorLine("2026-11-24T09:41:03.083Z x", 83)!.at).toBe(Date.parse("2026-11-24T09:41:03.000Z"));
  });
});

describe("formatSummary", () => {
  const round = (n: number, resumedMs: number, lost = 0, serverStopMs: number | null = null): RoundResult => ({
    round: n,
    mode: serverStopMs === null ? "kill" : "stop",
    oldWriter: "db1",
    newWriter: "db2",
    faultAt: 0,
    serverStopMs,
    detectionMs: 1000,
    resumedMs,
    unavailableMs: resumedMs + 100,
    vipMs: resumedMs - 200,
    writableMs: resumedMs - 300,
    oldFencedMs: 500,
    acked: 100,
    unacked: 2,
    counts: [],
    lost,
    duplicated: 0,
    violations: [],
    restore: null,
    timeline: [],
    problems: [],
  });

  it("one row per round, then median and max over rounds", () => {
    const text = formatSummary([round(1, 2000), round(2, 3000, 2), round(3, 2500)]);
    const lines = text.split("\n");
    expect(lines[0]).toMatch(/^round\s+writer\s+detected\s+resumed\s+unavailable/);
    expect(lines[1]).toMatch(/^1\s+db1 → db2\s+1\.0 s\s+2\.0 s\s+2\.1 s\s+1\.8 s\s+100\s+2\s+0\s+0\s+no$/);
    expect(lines[4]).toMatch(/^median\s+1\.0 s\s+2\.5 s\s+2\.6 s\s+2\.3 s$/);
    expect(lines[5]).toMatch(/^max\s+1\.0 s\s+3\.0 s\s+3\.1 s\s+2\.8 s\s+2\s+0\s+0$/);
  });

  it("a clean stop also reads resumed from the server's shutdown, in brackets, per round and in median and max", () => {
    const lines = formatSummary([round(1, 2400, 0, 1400), round(2, 1600, 0, 500), round(3, 1500, 0, 700)]).split("\n");
    expect(lines[1]).toMatch(/^1\s+db1 → db2\s+1\.0 s\s+2\.4 s \(1\.0 s\)\s+2\.5 s/);
    expect(lines[2]).toMatch(/^2\s+db1 → db2\s+1\.0 s\s+1\.6 s \(1\.1 s\)/);
    expect(lines[4]).toMatch(/^median\s+1\.0 s\s+1\.6 s \(1\.0 s\)/);
    expect(lines[5]).toMatch(/^max\s+1\.0 s\s+2\.4 s \(1\.1 s\)/);
  });
});
