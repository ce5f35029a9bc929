import type { StepPlan } from "./change.js";

export type StepStatus = "unchanged" | "changed" | "would-change" | "failed" | "skipped";

export interface StepOutcome {
  readonly step: string;
  readonly host: string;
  readonly status: StepStatus;
  readonly plan?: StepPlan;
  readonly error?: string;
  readonly durationMs: number;
}

export interface HostRecap {
  readonly host: string;
  readonly ok: number;
  readonly changed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly unreachable: number;
}

/**
 * Ansible's PLAY RECAP counting: `ok` counts every step that succeeded (changed ones too),
 * `changed` those that changed something (or would, under --check), `skipped` steps not run
 * because an earlier one failed on that host.
 */
export function recap(hosts: readonly string[], outcomes: readonly StepOutcome[], unreachable: ReadonlySet<string> = new Set()): HostRecap[] {
  return hosts.map((host) => {
    const mine = outcomes.filter((o) => o.host === host);
    const count = (...s: StepStatus[]) => mine.filter((o) => s.includes(o.status)).length;
    return {
      host,
      ok: count("unchanged", "changed", "would-change"),
      changed: count("changed", "would-change"),
      failed: count("failed"),
      skipped: count("skipped"),
      unreachable: unreachable.has(host) ? 1 : 0,
    };
  });
}

export function formatRecap(rows: readonly HostRecap[]): string {
  const width = Math.max(...rows.map((r) => r.host.length), 4) + 2;
  const cell = (k: string, v: number) => `${k}=${v}`.padEnd(k.length + 6);
  const lines = rows.map(
    (r) =>
      `${r.host.padEnd(width)}: ${cell("ok", r.ok)}${cell("changed", r.changed)}${cell("unreachable", r.unreachable)}${cell("failed", r.failed)}${cell("skipped", r.skipped)}`.trimEnd(),
  );
  return [`PLAY RECAP ${"*".repeat(69)}`, ...lines].join("\n");
}
