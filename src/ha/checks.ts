import { CHECK_NAMES, type CheckName } from "../mmm-config/model.js";
import type { HaConfig } from "./config.js";

/**
 * Check results → check states, with MMM's semantics (lib/Monitor/Checker.pm, ChecksStatus.pm):
 * - an OK result makes the check OK at once;
 * - an ERROR counts only once errors have lasted trap_period, measured from the first error of
 *   the run (so a check failing for less than trap_period never changes anything);
 * - an UNKNOWN result (e.g. "Too many connections") restarts that measurement and changes nothing;
 * - the very first result of a check counts at once, OK or not (MMM's initial checks);
 * - rep_backlog compares the lag with max_backlog here, producing MMM's messages.
 * mmm adds one backstop: a check with no result for check_period + 2·timeout + 1 s counts as
 * failing ("no result for …"), so a hung checker cannot keep a dead host ONLINE.
 * And one shortcut: errors that are all refusals (the host's kernel answered and nothing listens,
 * or mysqld answered that it is shutting down) count at the second refusal, REFUSED_CONFIRM_MS or
 * more after the first, when that comes before trap_period ends. trap_period exists to ride out
 * silence — a network hiccup, a stalled server — which times out; a refusal is an answer, and a
 * hiccup cannot produce one. The second one only rules out acting on a single connect.
 */

/**
 * How far apart the first and the confirming refusal must be: far enough for two separate
 * connects, short enough that the next cycle confirms (cycles run every 100 ms while a check is
 * failing). Every 100 ms of it is 100 ms more of refused writes when the writer's mysqld stops.
 */
export const REFUSED_CONFIRM_MS = 50;

export interface RawCheckResult {
  readonly host: string;
  readonly check: CheckName;
  /** When the run finished. */
  readonly at: number;
  readonly outcome: "ok" | "error" | "unknown";
  /** MMM-style text: "OK", "ERROR: Connect error (host = …)! …", "UNKNOWN: Too many connections! …". */
  readonly message: string;
  /** Short cause for one-sentence reasons: "connection refused", "timeout after 1 s". */
  readonly cause?: string;
  /** An error that is an answer: connection refused (nothing listens) or mysqld saying it shuts down. */
  readonly refused?: boolean;
  /** rep_backlog: Seconds_Behind_Master (null when NULL). Given with outcome "ok". */
  readonly backlog?: number | null;
}

export interface CheckStatus {
  /** The counted state (a failure only after trap_period). */
  readonly ok: boolean;
  /** When `ok` last changed (MMM's "last change"). */
  readonly lastChange: number;
  /** The message of the latest result agreeing with `ok` (what `mmm control checks` shows). */
  readonly message: string;
  /** First error of the current run of errors, counted or not; null while results are OK. */
  readonly failingSince: number | null;
  /** First of the refusals ending the current run of errors (see REFUSED_CONFIRM_MS); absent or null otherwise. */
  readonly refusedSince?: number | null;
  /** Latest error message and cause while failing (counted or still within trap_period). */
  readonly lastError: string | null;
  readonly cause: string | null;
  /** rep_backlog: the latest lag seen. */
  readonly backlog?: number | null;
  readonly lastResultAt: number;
}

export interface ChecksState {
  readonly hosts: Readonly<Record<string, Readonly<Partial<Record<CheckName, CheckStatus>>>>>;
  /** Runs per check since the monitor started (MMM restarts a checker every restart_after runs). */
  readonly runs: Readonly<Record<CheckName, number>>;
}

export const EMPTY_CHECKS: ChecksState = { hosts: {}, runs: { ping: 0, mysql: 0, rep_threads: 0, rep_backlog: 0 } };

export interface EvaluateOptions {
  /**
   * false when the monitor itself is cut off (no ping_ips answer): like MMM's checkers, errors
   * then prove nothing about the hosts and are dropped, and no staleness is inferred.
   */
  readonly network?: boolean;
}

export function evaluateChecks(
  prev: ChecksState,
  raw: readonly RawCheckResult[],
  now: number,
  config: HaConfig,
  options: EvaluateOptions = {},
): ChecksState {
  const network = options.network ?? true;
  const hosts: Record<string, Partial<Record<CheckName, CheckStatus>>> = {};
  for (const [h, checks] of Object.entries(prev.hosts)) hosts[h] = { ...checks };
  const runs = { ...prev.runs };

  const sorted = [...raw].sort((a, b) => a.at - b.at);
  for (const r0 of sorted) {
    if (!config.hosts.some((h) => h.name === r0.host)) continue;
    const r = applyBacklog(r0, config);
    if (!network && r.outcome !== "ok") continue;
    runs[r.check] = (runs[r.check] ?? 0) + 1;
    const byHost = (hosts[r.host] ??= {});
    byHost[r.check] = step(byHost[r.check], r, config);
  }

  if (network) {
    for (const h of config.hosts) {
      const byHost = hosts[h.name];
      if (!byHost) continue;
      for (const c of CHECK_NAMES) {
        const s = byHost[c];
        if (!s) continue;
        const k = config.checks[c];
        const limit = k.checkPeriodMs + 2 * k.timeoutMs + 1000;
        const silent = now - s.lastResultAt;
        if (silent <= limit) continue;
        const secs = (silent / 1000).toFixed(1);
        const synthetic: RawCheckResult = {
          host: h.name,
          check: c,
          at: now,
          outcome: "error",
          message: `ERROR: no result for ${secs} s (check_period ${k.checkPeriodMs / 1000} s, timeout ${k.timeoutMs / 1000} s)`,
          cause: `no result for ${secs} s`,
        };
        byHost[c] = { ...step(s, synthetic, config), lastResultAt: s.lastResultAt };
      }
    }
  }
  return { hosts, runs };
}

/** MMM's rep_backlog verdicts: NULL or 0 is "Backlog is null", above max_backlog an error. */
function applyBacklog(r: RawCheckResult, config: HaConfig): RawCheckResult {
  if (r.check !== "rep_backlog" || r.outcome !== "ok" || r.backlog === undefined) return r;
  const max = config.checks.rep_backlog.maxBacklog;
  if (r.backlog === null || r.backlog === 0) return { ...r, message: "OK: Backlog is null" };
  if (r.backlog > max) {
    return { ...r, outcome: "error", message: "ERROR: Backlog is too big", cause: `lag ${r.backlog} s > max_backlog ${max} s` };
  }
  return { ...r, message: "OK" };
}

function step(prev: CheckStatus | undefined, r: RawCheckResult, config: HaConfig): CheckStatus {
  const backlog = r.backlog !== undefined ? { backlog: r.backlog } : {};
  const cause = r.cause ?? r.message.replace(/^(ERROR|UNKNOWN):\s*/, "");
  if (!prev) {
    const ok = r.outcome === "ok";
    return {
      ok,
      lastChange: r.at,
      message: r.message,
      failingSince: ok ? null : r.at,
      refusedSince: !ok && r.refused ? r.at : null,
      lastError: ok ? null : r.message,
      cause: ok ? null : cause,
      lastResultAt: r.at,
      ...backlog,
    };
  }
  const base = { ...prev, lastResultAt: r.at, ...backlog };
  const cleared = { failingSince: null, refusedSince: null, lastError: null, cause: null };
  switch (r.outcome) {
    case "ok":
      return prev.ok ? { ...base, message: r.message, ...cleared } : { ...base, ok: true, lastChange: r.at, message: r.message, ...cleared };
    case "unknown":
      // MMM restarts the trap_period measurement on UNKNOWN; a counted failure stays counted.
      return prev.ok ? { ...base, ...cleared } : base;
    case "error": {
      const since = prev.failingSince ?? r.at;
      const refusedSince = r.refused ? (prev.refusedSince ?? r.at) : null;
      const failing = { failingSince: since, refusedSince, lastError: r.message, cause };
      if (!prev.ok) return { ...base, message: r.message, ...failing };
      const lasted = r.at - since >= config.checks[r.check].trapPeriodMs;
      const refusedLong = refusedSince !== null && r.at - refusedSince >= REFUSED_CONFIRM_MS;
      if (lasted || refusedLong) return { ...base, ok: false, lastChange: r.at, message: r.message, ...failing };
      return { ...base, ...failing };
    }
  }
}

/** Checks whose checker reached another restart_after runs between two states. */
export function checkersToRestart(prev: ChecksState, next: ChecksState, config: HaConfig): CheckName[] {
  return CHECK_NAMES.filter((c) => {
    const every = config.checks[c].restartAfter;
    return every > 0 && Math.floor((next.runs[c] ?? 0) / every) > Math.floor((prev.runs[c] ?? 0) / every);
  });
}

export function checkStatus(checks: ChecksState, host: string, check: CheckName): CheckStatus | undefined {
  return checks.hosts[host]?.[check];
}

/** "mysql: connection refused for 1.2 s" — the failing check behind a state, for reasons. */
export function describeFailure(checks: ChecksState, host: string, check: CheckName, now: number): string {
  const s = checkStatus(checks, host, check);
  if (!s) return `${check}: no result yet`;
  if (s.ok && s.failingSince === null) return `${check}: OK`;
  const cause = s.cause ?? s.message.replace(/^(ERROR|UNKNOWN):\s*/, "");
  const since = s.failingSince ?? s.lastChange;
  return `${check}: ${cause} for ${formatSeconds(now - since)}`;
}

export function formatSeconds(ms: number): string {
  return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
}
