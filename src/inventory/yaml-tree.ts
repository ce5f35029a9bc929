import { LineCounter, parseDocument, isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node as YamlNode } from "yaml";
import type { Pos, Problem } from "./problem.js";

/**
 * The inventory YAML as a small tree whose every node and key knows its line and column, so
 * each problem can point at the text the user wrote. Aliases are followed and YAML 1.1 merge
 * keys (`<<: *base`) are applied here, as PyYAML does for Ansible.
 */
export type YNode = YMap | YSeq | YScalar;

export interface YMap {
  readonly kind: "map";
  readonly pos: Pos;
  readonly entries: readonly YEntry[];
}
export interface YEntry {
  readonly key: string;
  readonly keyPos: Pos;
  readonly value: YNode;
}
export interface YSeq {
  readonly kind: "seq";
  readonly pos: Pos;
  readonly items: readonly YNode[];
}
export interface YScalar {
  readonly kind: "scalar";
  readonly pos: Pos;
  /** string | number | boolean | null, or a Date for YAML 1.1 timestamps. */
  readonly value: unknown;
}

export interface YamlTree {
  readonly root?: YNode;
  readonly problems: readonly Problem[];
}

/**
 * Parses with the YAML 1.1 schema because Ansible reads inventories with PyYAML (YAML 1.1):
 * `no` is false there, and it must be false here too.
 */
export function readYamlTree(text: string): YamlTree {
  const lines = new LineCounter();
  const doc = parseDocument(text, { version: "1.1", lineCounter: lines, prettyErrors: false });
  const problems: Problem[] = [];
  for (const e of doc.errors) {
    const at = lines.linePos(e.pos[0]);
    problems.push({ pos: { line: at.line, col: at.col }, path: "", message: `YAML: ${firstLine(e.message)}` });
  }
  if (problems.length > 0) return { problems };
  if (doc.contents === null) return { problems };
  const at = (offset: number | undefined): Pos => {
    const p = lines.linePos(offset ?? 0);
    return { line: p.line, col: p.col };
  };
  return { root: convert(doc, doc.contents, at, problems, new Set()), problems };
}

function firstLine(message: string): string {
  return (message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "").trim();
}

function convert(doc: Document, node: unknown, at: (o: number | undefined) => Pos, problems: Problem[], active: Set<unknown>): YNode {
  if (isAlias(node)) {
    const target = node.resolve(doc);
    const pos = at(node.range?.[0]);
    if (!target || active.has(target)) {
      problems.push({ pos, path: "", message: `YAML: alias *${node.source} cannot be resolved (undefined or recursive)` });
      return { kind: "scalar", pos, value: null };
    }
    active.add(target);
    const v = convert(doc, target, at, problems, active);
    active.delete(target);
    return v;
  }
  if (isMap(node)) {
    const entries: YEntry[] = [];
    const merged: YEntry[] = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as YamlNode | null;
      const keyPos = at(keyNode?.range?.[0] ?? node.range?.[0]);
      const value: YNode = pair.value == null ? { kind: "scalar", pos: keyPos, value: null } : convert(doc, pair.value, at, problems, active);
      if (isScalar(keyNode) && typeof keyNode.value === "symbol") {
        // `<<: *base` or `<<: [*a, *b]`: earlier sources win, explicit keys win over all.
        const sources = value.kind === "seq" ? value.items : [value];
        for (const s of sources) {
          if (s.kind !== "map") {
            problems.push({ pos: s.pos, path: "", message: "YAML: a merge key (<<) needs a mapping or a list of mappings" });
            continue;
          }
          for (const e of s.entries) if (!merged.some((m) => m.key === e.key)) merged.push(e);
        }
        continue;
      }
      entries.push({ key: keyText(keyNode), keyPos, value });
    }
    for (const m of merged) if (!entries.some((e) => e.key === m.key)) entries.push(m);
    return { kind: "map", pos: at(node.range?.[0]), entries };
  }
  if (isSeq(node)) {
    return { kind: "seq", pos: at(node.range?.[0]), items: node.items.map((i) => convert(doc, i, at, problems, active)) };
  }
  if (isScalar(node)) return { kind: "scalar", pos: at(node.range?.[0]), value: node.value };
  return { kind: "scalar", pos: at(undefined), value: null };
}

/**
 * Keys are names (groups, hosts, variables): take the text as written, so a host called `on`
 * is not turned into `true` by YAML 1.1 boolean resolution.
 */
function keyText(key: YamlNode | null): string {
  if (key === null) return "";
  if (isScalar(key)) return typeof key.source === "string" ? key.source : String(key.value);
  return String(key);
}

/** The plain JavaScript value of a node (for vars we pass through without interpreting). */
export function toPlain(node: YNode): unknown {
  switch (node.kind) {
    case "scalar":
      return node.value;
    case "seq":
      return node.items.map(toPlain);
    case "map":
      return Object.fromEntries(node.entries.map((e) => [e.key, toPlain(e.value)]));
  }
}

export function describeNode(node: YNode): string {
  if (node.kind === "map") return "a mapping";
  if (node.kind === "seq") return "a list";
  const v = node.value;
  if (v === null) return "nothing";
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  if (v instanceof Date) return "a date";
  return `${typeof v} ${String(v)}`;
}
