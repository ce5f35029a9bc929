import { formatTable } from "../util/table.js";
import type { VerifyReport } from "./diagnose-verify.js";

/**
 * The text of `mmm verify`: where the marker went and how fast, what each reader VIP answered,
 * then one line per check (ok, or FAIL followed by its diagnoses). All from the VerifyReport
 * that --json prints.
 */
export function formatVerify(r: VerifyReport): string {
  const o = r.observations;
  const out: string[] = [];
  out.push(
    o.marker.error
      ? `marker: NOT written through the writer VIP ${o.writerVip}: ${o.marker.error}`
      : `marker ${o.marker.table} id ${o.marker.id} (token ${o.marker.token.slice(0, 8)}…) written through the writer VIP ${o.writerVip} on ${o.writerAnswered}`,
    "",
  );
  out.push(
    formatTable(
      ["host", "server_id", "read_only", "marker applied"],
      o.hosts.map((h) => [
        h.name,
        h.serverId === null ? "?" : String(h.serverId),
        h.readOnly === null ? "?" : h.readOnly ? "ON" : "OFF",
        h.error ? `? (${h.error})` : h.name === o.writer ? "0 ms (writer)" : h.arrivalMs === null ? `NOT within ${o.timeoutMs / 1000} s` : `${h.arrivalMs} ms`,
      ]),
    ),
    "",
  );
  if (o.readers.length > 0) {
    out.push(
      formatTable(
        ["reader VIP", "answered by", "marker"],
        o.readers.map((x) => [x.ip, x.host ?? "-", x.error ? `error: ${x.error}` : x.found ? "read" : "MISSING"]),
      ),
      "",
    );
  }
  out.push(
    formatTable(
      ["check", "result"],
      r.checks.map((c) => [c.name, c.problems.length === 0 ? `ok${c.detail ? ` (${c.detail})` : ""}` : `FAIL (${c.problems.length})`]),
    ),
    "",
  );
  if (r.ok) out.push("verify: ok");
  else out.push(`problems (${r.problems.length})`, ...r.problems.map((p) => `  ${p}`));
  return out.join("\n") + "\n";
}
