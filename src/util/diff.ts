/**
 * A unified diff of two small texts (config files), for `--check --diff`. Plain LCS: the files
 * mmm manages are tens of lines, so O(n·m) is cheaper than being clever.
 */
export function unifiedDiff(before: string | null, after: string, path: string, context = 3): string {
  const a = before === null ? [] : splitLines(before);
  const b = splitLines(after);
  const ops = diffLines(a, b);
  if (ops.every((o) => o.op === "=")) return "";
  const header = [`--- ${before === null ? "/dev/null" : `${path} (current)`}`, `+++ ${path} (planned)`];
  const hunks: string[] = [];
  let i = 0;
  while (i < ops.length) {
    if (ops[i]!.op === "=") {
      i++;
      continue;
    }
    let start = Math.max(0, i - context);
    let end = i;
    // Extend the hunk while the next change is within 2*context lines.
    while (end < ops.length) {
      let j = end;
      while (j < ops.length && ops[j]!.op !== "=") j++;
      let k = j;
      while (k < ops.length && ops[k]!.op === "=" && k - j < 2 * context) k++;
      if (k < ops.length && ops[k]!.op !== "=" && k - j < 2 * context) end = k;
      else {
        end = Math.min(ops.length, j + context);
        break;
      }
    }
    const slice = ops.slice(start, end);
    const aStart = ops.slice(0, start).filter((o) => o.op !== "+").length;
    const bStart = ops.slice(0, start).filter((o) => o.op !== "-").length;
    const aLen = slice.filter((o) => o.op !== "+").length;
    const bLen = slice.filter((o) => o.op !== "-").length;
    hunks.push(`@@ -${aLen ? aStart + 1 : aStart},${aLen} +${bLen ? bStart + 1 : bStart},${bLen} @@`);
    for (const o of slice) hunks.push(`${o.op === "=" ? " " : o.op}${o.line}`);
    i = end;
    start = end;
  }
  return [...header, ...hunks].join("\n") + "\n";
}

type Op = { op: "=" | "-" | "+"; line: string };

function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      ops.push({ op: "=", line: a[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) {
      ops.push({ op: "-", line: a[i++]! });
    } else {
      ops.push({ op: "+", line: b[j++]! });
    }
  }
  while (i < n) ops.push({ op: "-", line: a[i++]! });
  while (j < m) ops.push({ op: "+", line: b[j++]! });
  return ops;
}
