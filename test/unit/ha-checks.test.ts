import { describe, expect, it } from "vitest";
import { EMPTY_CHECKS, REFUSED_CONFIRM_MS, checkersToRestart, evaluateChecks, type ChecksState, type RawCheckResult } from "../../src/ha/index.js";
import { at, loadHaConfig } from "./ha-fixture.js";

const config = loadHaConfig("tutorial", {
  checks: {
    ping: { checkPeriodMs: 500, trapPeriodMs: 2000, timeoutMs: 1000, restartAfter: 3, maxBacklog: 60 },
    mysql: { checkPeriodMs: 500, trapPeriodMs: 1000, timeoutMs: 1000, restartAfter: 10000, maxBacklog: 60 },
    rep_threads: { checkPeriodMs: 1000, trapPeriodMs: 2000, timeoutMs: 1000, restartAfter: 10000, maxBacklog: 60 },
    rep_backlog: { checkPeriodMs: 1000, trapPeriodMs: 5000, timeoutMs: 1000, restartAfter: 10000, maxBacklog: 60 },
  },
});

const ok = (check: RawCheckResult["check"], s: number, extra: Partial<RawCheckResult> = {}): RawCheckResult => ({
  host: "db1",
  check,
  at: at(s),
  outcome: "ok",
  message: "OK",
  ...extra,
});
const err = (check: RawCheckResult["check"], s: number, cause = "connection refused"): RawCheckResult => ({
  host: "db1",
  check,
  at: at(s),
  outcome: "error",
  message: `ERROR: Connect error (host = 192.168.1.2:3306, user = mmm_monitor)! ${cause}`,
  cause,
});

function run(results: RawCheckResult[][], times: number[]): ChecksState {
  let s = EMPTY_CHECKS;
  results.forEach((batch, i) => (s = evaluateChecks(s, batch, at(times[i]!), config)));
  return s;
}

describe("evaluateChecks", () => {
  it("counts the very first result at once, OK or failed (MMM's initial checks)", () => {
    const s = evaluateChecks(EMPTY_CHECKS, [ok("ping", 0), err("mysql", 0)], at(0), config);
    expect(s.hosts.db1?.ping).toMatchObject({ ok: true, lastChange: at(0), message: "OK" });
    expect(s.hosts.db1?.mysql).toMatchObject({ ok: false, lastChange: at(0), failingSince: at(0), cause: "connection refused" });
  });

  it("ignores a failure shorter than trap_period", () => {
    const s = run([[ok("mysql", 0)], [err("mysql", 10)], [err("mysql", 10.5)], [ok("mysql", 11)]], [0, 10, 10.5, 11]);
    expect(s.hosts.db1?.mysql).toMatchObject({ ok: true, lastChange: at(0), failingSince: null, message: "OK" });
  });

  it("counts a failure once it lasted trap_period from its first error, and keeps when it began", () => {
    const s = run([[ok("mysql", 0)], [err("mysql", 10)], [err("mysql", 10.5)], [err("mysql", 11)]], [0, 10, 10.5, 11]);
    expect(s.hosts.db1?.mysql).toMatchObject({ ok: false, lastChange: at(11), failingSince: at(10), cause: "connection refused" });
    expect(s.hosts.db1?.mysql?.message).toContain("ERROR: Connect error");
  });

  it("shows the pending error while the check still counts as OK", () => {
    const s = run([[ok("mysql", 0)], [err("mysql", 10)]], [0, 10]);
    expect(s.hosts.db1?.mysql).toMatchObject({ ok: true, message: "OK", failingSince: at(10), cause: "connection refused" });
  });

  it("counts refusals alone at a second refusal REFUSED_CONFIRM_MS or more after the first, well before trap_period", () => {
    const refused = (s: number) => ({ ...err("mysql", s), refused: true });
    const confirm = REFUSED_CONFIRM_MS / 1000;
    expect(REFUSED_CONFIRM_MS).toBeLessThan(config.checks.mysql.trapPeriodMs);
    // One refusal alone never counts, however long nothing follows it.
    const one = run([[ok("mysql", 0)], [refused(10)]], [0, 10]);
    expect(one.hosts.db1?.mysql).toMatchObject({ ok: true, failingSince: at(10), refusedSince: at(10) });
    // Two at (nearly) the same moment are one connect's worth of evidence: not yet.
    const close = run([[ok("mysql", 0)], [refused(10)], [refused(10 + confirm / 2)]], [0, 10, 10 + confirm / 2]);
    expect(close.hosts.db1?.mysql).toMatchObject({ ok: true, failingSince: at(10), refusedSince: at(10) });
    // The next 100 ms cycle's refusal confirms it.
    const counted = run([[ok("mysql", 0)], [refused(10)], [refused(10 + confirm / 2)], [refused(10.1)]], [0, 10, 10 + confirm / 2, 10.1]);
    expect(counted.hosts.db1?.mysql).toMatchObject({ ok: false, lastChange: at(10.1), failingSince: at(10), cause: "connection refused" });
  });

  it("measures refusals from the first refusal after a timeout, and drops the shortcut when a timeout follows", () => {
    const refused = (s: number) => ({ ...err("mysql", s), refused: true });
    const timeout = (s: number) => err("mysql", s, "timeout after 1 s");
    // timeout at 10, refusals from 10.5: counts at 10.6 (the second refusal), not at 11.
    const after = run([[ok("mysql", 0)], [timeout(10)], [refused(10.5)], [refused(10.6)]], [0, 10, 10.5, 10.6]);
    expect(after.hosts.db1?.mysql).toMatchObject({ ok: false, lastChange: at(10.6), failingSince: at(10) });
    // refusals interrupted by a timeout start over: the refusal before it confirms nothing.
    const broken = run([[ok("mysql", 0)], [refused(10)], [timeout(10.2)], [refused(10.4)]], [0, 10, 10.2, 10.4]);
    expect(broken.hosts.db1?.mysql).toMatchObject({ ok: true, failingSince: at(10), refusedSince: at(10.4) });
    // one OK clears it all
    const cleared = run([[ok("mysql", 0)], [refused(10)], [ok("mysql", 10.2)], [refused(10.4)]], [0, 10, 10.2, 10.4]);
    expect(cleared.hosts.db1?.mysql).toMatchObject({ ok: true, failingSince: at(10.4), refusedSince: at(10.4) });
  });

  it("restarts the trap_period measurement on UNKNOWN (MMM: 'Too many connections' changes nothing)", () => {
    const unknown: RawCheckResult = { ...err("mysql", 10.6), outcome: "unknown", message: "UNKNOWN: Too many connections! …" };
    const s = run([[ok("mysql", 0)], [err("mysql", 10)], [unknown], [err("mysql", 11)], [err("mysql", 11.5)]], [0, 10, 10.6, 11, 11.5]);
    expect(s.hosts.db1?.mysql).toMatchObject({ ok: true, failingSince: at(11) });
  });

  it("turns rep_backlog lag into MMM's verdicts with max_backlog", () => {
    const mk = (s: number, backlog: number | null) => ok("rep_backlog", s, { backlog });
    expect(run([[mk(0, null)]], [0]).hosts.db1?.rep_backlog).toMatchObject({ ok: true, message: "OK: Backlog is null", backlog: null });
    expect(run([[mk(0, 12)]], [0]).hosts.db1?.rep_backlog).toMatchObject({ ok: true, message: "OK", backlog: 12 });
    const late = run([[mk(0, 0)], [mk(10, 75)], [mk(15, 80)]], [0, 10, 15]).hosts.db1?.rep_backlog;
    expect(late).toMatchObject({ ok: false, message: "ERROR: Backlog is too big", cause: "lag 80 s > max_backlog 60 s", failingSince: at(10), backlog: 80 });
  });

  it("treats a check silent for check_period + 2·timeout + 1 s as failing", () => {
    let s = evaluateChecks(EMPTY_CHECKS, [ok("ping", 0)], at(0), config);
    s = evaluateChecks(s, [], at(3.4), config);
    expect(s.hosts.db1?.ping).toMatchObject({ ok: true, failingSince: null });
    s = evaluateChecks(s, [], at(3.6), config);
    expect(s.hosts.db1?.ping).toMatchObject({ ok: true, failingSince: at(3.6), cause: "no result for 3.6 s" });
    s = evaluateChecks(s, [], at(5.6), config);
    expect(s.hosts.db1?.ping).toMatchObject({ ok: false, lastChange: at(5.6), message: "ERROR: no result for 5.6 s (check_period 0.5 s, timeout 1 s)" });
  });

  it("drops errors and infers nothing while the monitor itself has no network", () => {
    let s = evaluateChecks(EMPTY_CHECKS, [ok("mysql", 0)], at(0), config);
    s = evaluateChecks(s, [err("mysql", 10), err("mysql", 20)], at(20), config, { network: false });
    expect(s.hosts.db1?.mysql).toMatchObject({ ok: true, failingSince: null, lastResultAt: at(0) });
  });

  it("ignores results for unknown hosts and processes a batch in time order", () => {
    const s = evaluateChecks(EMPTY_CHECKS, [err("mysql", 2), ok("mysql", 1), { ...ok("ping", 1), host: "db9" }], at(2), config);
    expect(s.hosts.db9).toBeUndefined();
    expect(s.hosts.db1?.mysql).toMatchObject({ ok: true, failingSince: at(2) });
  });

  it("says when a checker reached restart_after runs", () => {
    const a = evaluateChecks(EMPTY_CHECKS, [ok("ping", 0), ok("ping", 1)], at(1), config);
    const b = evaluateChecks(a, [ok("ping", 2)], at(2), config);
    expect(checkersToRestart(EMPTY_CHECKS, a, config)).toEqual([]);
    expect(checkersToRestart(a, b, config)).toEqual(["ping"]);
  });
});
