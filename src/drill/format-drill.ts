import { formatTable } from "../util/table.js";
import { buildTimeline, formatOffset, stats, type Violation } from "./drill-analysis.js";
import type { DrillReport, RoundResult } from "./run-drill.js";

/** Seconds with one decimal place for a table cell, "-" when not measured. */
export function seconds(ms: number | null): string {
  return ms === null ? "-" : `${(ms / 1000).toFixed(1)} s`;
}

export function formatTimeline(r: RoundResult): string {
  return buildTimeline(r.timeline, r.faultAt)
    .map((e) => `  ${formatOffset(e.offsetMs).padStart(9)}  ${e.source.padEnd(8)} ${e.text}`)
    .join("\n");
}

function violationText(v: Violation, t0: number): string {
  const what = v.kind === "two-writers" ? `${v.hosts[0]} and ${v.hosts[1]} both writable` : `${v.ip} on ${v.hosts[0]} and ${v.hosts[1]}`;
  return `${what} from ${formatOffset(v.from - t0)} to ${formatOffset(v.to - t0)}`;
}

const HEADER = ["round", "writer", "detected", "resumed", "unavailable", "VIP moved", "acked", "unacked", "lost", "duplicated", "two writers"];

/** The server closed its listener → writes resumed (clean stop only): the init system's own time left out. */
export function resumedAfterListenerMs(r: RoundResult): number | null {
  return r.serverStopMs === null || r.resumedMs === null ? null : r.resumedMs - r.serverStopMs;
}

/** A clean stop has two readings of "resumed": from the stop command and from the server's shutdown. */
function resumedCell(r: RoundResult): string {
  const after = resumedAfterListenerMs(r);
  return after === null ? seconds(r.resumedMs) : `${seconds(r.resumedMs)} (${seconds(after)})`;
}

function row(r: RoundResult): string[] {
  return [
    String(r.round),
    `${r.oldWriter} → ${r.newWriter ?? "none"}`,
    seconds(r.detectionMs),
    resumedCell(r),
    seconds(r.unavailableMs),
    seconds(r.vipMs),
    String(r.acked),
    String(r.unacked),
    String(r.lost),
    String(r.duplicated),
    r.violations.length === 0 ? "no" : `YES (${r.violations.length})`,
  ];
}

export function formatSummary(rounds: readonly RoundResult[]): string {
  const rows = rounds.map(row);
  if (rounds.length > 1) {
    const agg = (pick: (r: RoundResult) => number | null, which: "median" | "max") => seconds(stats(rounds.map(pick))[which]);
    const stopped = rounds.some((r) => r.serverStopMs !== null);
    for (const which of ["median", "max"] as const) {
      rows.push([
        which,
        "",
        agg((r) => r.detectionMs, which),
        agg((r) => r.resumedMs, which) + (stopped ? ` (${agg(resumedAfterListenerMs, which)})` : ""),
        agg((r) => r.unavailableMs, which),
        agg((r) => r.vipMs, which),
        "",
        "",
        which === "max" ? String(Math.max(...rounds.map((r) => r.lost))) : "",
        which === "max" ? String(Math.max(...rounds.map((r) => r.duplicated))) : "",
        which === "max" ? String(rounds.reduce((n, r) => n + r.violations.length, 0)) : "",
      ]);
    }
  }
  return formatTable(HEADER, rows);
}

export function formatRound(r: RoundResult): string {
  const out = [`round ${r.round} (${r.mode}): timeline, t+0 = ${r.mode === "move" ? "move_role sent" : "fault injected"}`, formatTimeline(r), ""];
  out.push("  rows on each host:");
  out.push(
    formatTable(
      ["host", "rows", "lost", "duplicated", "unacked present"],
      r.counts.map((c) => [c.host, String(c.rows), String(c.lost.length), String(c.duplicated.length), String(c.unackedPresent)]),
    )
      .split("\n")
      .map((l) => `    ${l}`)
      .join("\n"),
  );
  for (const c of r.counts) {
    if (c.lost.length) out.push(`  LOST on ${c.host}: ${c.lost.slice(0, 20).join(", ")}${c.lost.length > 20 ? ", …" : ""}`);
    if (c.duplicated.length) out.push(`  DUPLICATED on ${c.host}: ${c.duplicated.slice(0, 20).map((d) => `${d.id} ×${d.copies}`).join(", ")}`);
  }
  for (const v of r.violations) out.push(`  VIOLATION: ${violationText(v, r.faultAt)}`);
  for (const p of r.problems) out.push(`  PROBLEM: ${p}`);
  if (r.restore) out.push(`  restore: ${r.oldWriter} ONLINE after ${seconds(r.restore.onlineMs)}, writes through it again after ${seconds(r.restore.backMs)}`);
  return out.join("\n");
}

export function formatReport(rep: DrillReport): string {
  const parts = rep.rounds.map(formatRound);
  parts.push("", `summary (${rep.mode}, ${rep.clients} clients through ${rep.writerVip}; detected = the monitor's log, resumed = fault → first write on the new writer${rep.rounds.some((r) => r.serverStopMs !== null) ? " (in brackets from when mysqld closed its listener: indicative, the server stops taking writes a little earlier)" : ""}, unavailable = last write before → first after):`);
  parts.push(formatSummary(rep.rounds));
  parts.push(
    "",
    rep.ok
      ? "OK: no acknowledged write lost, none duplicated, never two writers"
      : "FAILED: " +
          [
            rep.rounds.some((r) => r.lost > 0) ? "acknowledged writes lost" : "",
            rep.rounds.some((r) => r.duplicated > 0) ? "writes duplicated" : "",
            rep.rounds.some((r) => r.violations.length > 0) ? "two writers (or one VIP on two hosts) seen" : "",
            rep.rounds.some((r) => r.problems.length > 0) ? "problems above" : "",
            rep.aborted ?? "",
          ]
            .filter(Boolean)
            .join(", "),
  );
  return parts.join("\n");
}
