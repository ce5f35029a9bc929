import { formatMmmTime } from "../ha/format.js";
import { formatTable } from "../util/table.js";
import type { ClusterStatus, HostStatus } from "./cluster-status.js";

/**
 * The text of `mmm status`: one line about the monitor, a table with a row per database host,
 * then one line per problem. Every cell comes from the ClusterStatus that --json prints.
 */

export const STATUS_HEADER = ["host", "address", "mode", "state", "roles", "VIPs on host", "source", "IO", "SQL", "lag", "GTID", "read_only", "last change"] as const;

const dash = "-";

/** "ok" when the host holds exactly the IPs the monitor assigns, else what it holds, flagged with "!". */
export function vipCell(h: HostStatus): string {
  if (h.vips === null) return "?";
  if (h.vipMismatch === false) return "ok";
  const list = h.vips.length ? h.vips.join(", ") : "none";
  return h.vipMismatch ? `! ${list}` : list;
}

export function hostCells(h: HostStatus): string[] {
  const change = h.since !== null ? `${formatMmmTime(h.since)} ${h.reason ?? ""}`.trim() : (h.reason ?? dash) || dash;
  return [
    h.name,
    h.address,
    h.mode,
    h.state ?? "?",
    h.roles.length ? h.roles.map((r) => `${r.role}(${r.ip})`).join(", ") : dash,
    vipCell(h),
    h.source ?? dash,
    h.io ?? dash,
    h.sql === null ? dash : h.sql ? "yes" : "no",
    h.lag === null ? (h.source ? "null" : dash) : String(h.lag),
    h.gtid || dash,
    h.readOnly === null ? "?" : h.readOnly ? "ON" : "OFF",
    change,
  ];
}

export function formatMonitorLine(s: ClusterStatus): string {
  const m = s.monitor;
  const where = `monitor ${m.name} (${m.address})`;
  switch (m.source) {
    case "live":
      return `${where}: mode ${m.mode}`;
    case "stored":
      return `${where}: NO ANSWER; last stored state ${m.storedAt !== null ? formatMmmTime(m.storedAt) : "?"} (mode ${m.mode})`;
    case "none":
      return `${where}: NO ANSWER and no stored state`;
  }
}

export function formatStatus(s: ClusterStatus): string {
  const lines = [formatMonitorLine(s), "", formatTable([...STATUS_HEADER], s.hosts.map(hostCells)), ""];
  if (s.problems.length === 0) lines.push("ok: every host ONLINE, every role assigned, VIPs where the monitor put them");
  else lines.push(`problems (${s.problems.length})`, ...s.problems.map((p) => `  ${p}`));
  return lines.join("\n") + "\n";
}
