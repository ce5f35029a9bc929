import { maskSecrets, type Secret } from "../secret.js";
import { unifiedDiff } from "../util/diff.js";
import type { Change } from "./change.js";
import type { StepOutcome } from "./report.js";

/** One change as a human reads it under --check/--diff; secrets are *** everywhere. */
export function formatChange(change: Change, diff: boolean, secrets: readonly Secret[]): string {
  switch (change.kind) {
    case "file": {
      const mode = change.mode.toString(8).padStart(4, "0");
      const what =
        change.before === null
          ? `create ${change.path} (mode ${mode})`
          : change.before === change.after
            ? `set mode of ${change.path} to ${mode}${change.modeBefore !== undefined ? ` (was ${change.modeBefore.toString(8).padStart(4, "0")})` : ""}`
            : `update ${change.path}`;
      if (!diff || change.before === change.after) return what;
      return `${what}\n${indent(maskSecrets(unifiedDiff(change.before, change.after, change.path), secrets))}`;
    }
    case "sql":
      return diff
        ? `${change.summary}\n${indent(change.statements.map((s) => `${maskSecrets(s.display, secrets)};`).join("\n"))}`
        : change.summary;
    case "command":
    case "copy":
    case "upload":
      return change.summary;
  }
}

/** The plan of every step that changes something, host by host. */
export function formatPlan(outcomes: readonly StepOutcome[], diff: boolean, secrets: readonly Secret[]): string {
  const out: string[] = [];
  for (const o of outcomes) {
    if (!o.plan || o.plan.changes.length === 0) continue;
    out.push(`${o.host} ${o.step}:`);
    for (const c of o.plan.changes) out.push(indent(`- ${formatChange(c, diff, secrets)}`));
  }
  return out.join("\n");
}

function indent(text: string, by = "    "): string {
  return text
    .replace(/\n$/, "")
    .split("\n")
    .map((l) => (l ? by + l : l))
    .join("\n");
}
