import type { ShellCommand } from "../remote/shell.js";

/** A statement as src/sql builders return it: `display` has secrets as ***. */
export interface Statement {
  readonly sql: string;
  readonly params?: readonly unknown[];
  readonly display: string;
}

/**
 * A plan is data: what one step would change on one host. `--check` prints it and stops;
 * apply executes exactly it. An empty change list always carries the reason nothing is needed.
 */
export type Change =
  | {
      readonly kind: "file";
      readonly path: string;
      readonly before: string | null;
      readonly after: string;
      readonly mode: number;
      readonly modeBefore?: number;
      readonly owner?: string;
    }
  | { readonly kind: "sql"; readonly summary: string; readonly statements: readonly Statement[] }
  | { readonly kind: "command"; readonly summary: string; readonly command: ShellCommand; readonly timeoutMs?: number }
  /** A binary file (the runtime bundle, a Node.js binary): compared by checksum, never diffed. */
  | { readonly kind: "upload"; readonly summary: string; readonly path: string; readonly content: Buffer; readonly mode: number }
  /** Data streamed from another host (only the seed step applies it). */
  | { readonly kind: "copy"; readonly summary: string; readonly from: string; readonly schemas: readonly string[] };

export interface StepPlan {
  readonly changes: readonly Change[];
  /** Why nothing changes ("server-id 1, GTID and read_only already in 99-mmm.cnf"), or what will. */
  readonly reason: string;
}

export const unchanged = (reason: string): StepPlan => ({ changes: [], reason });
