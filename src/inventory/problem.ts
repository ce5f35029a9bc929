/**
 * A validation problem, located in the inventory file. Every check reports these and keeps
 * going, so the user sees every problem of a file in one run.
 */
export interface Pos {
  readonly line: number;
  readonly col: number;
}

export interface Problem {
  readonly pos: Pos;
  /** Dotted YAML path of the offending node, e.g. all.children.mmm_masters.hosts.db1.mmm_peer. */
  readonly path: string;
  readonly message: string;
}

export const START: Pos = { line: 1, col: 1 };

/** Extends a dotted path; keys that would make it ambiguous are quoted. */
export function joinPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  const part = /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
  return parent === "" ? part : `${parent}.${part}`;
}

export function sortProblems(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return [...problems]
    .sort((a, b) => a.pos.line - b.pos.line || a.pos.col - b.pos.col || a.message.localeCompare(b.message))
    .filter((p) => {
      // Rules that look at every host can meet the same definition more than once.
      const k = `${p.pos.line}:${p.pos.col}:${p.path}:${p.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
}

/** `file:line:col  path  message`: the one format every inventory problem is printed in. */
export function formatProblem(file: string, p: Problem): string {
  return `${file}:${p.pos.line}:${p.pos.col}  ${p.path || "(document)"}  ${p.message}`;
}
