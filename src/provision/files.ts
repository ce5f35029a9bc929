import type { Transport } from "../remote/transport.js";
import { sh } from "../remote/shell.js";
import type { Change } from "./change.js";

export interface ObservedFile {
  readonly content: string | null;
  readonly mode?: number;
  readonly owner?: string;
}

export interface DesiredFile {
  readonly path: string;
  readonly content: string;
  readonly mode: number;
  readonly owner?: string;
}

/** Reads several files in one round trip: content, mode and owner, or absent. */
export async function observeFiles(transport: Transport, paths: readonly string[]): Promise<Map<string, ObservedFile>> {
  const out = new Map<string, ObservedFile>();
  if (paths.length === 0) return out;
  const r = await transport.exec(
    sh`for f in ${paths}; do
  if [ -f "$f" ]; then echo "@@ $(stat -c '%a %U:%G' "$f")"; base64 -w0 < "$f"; echo; else echo "@@ absent"; echo; fi
done`,
  );
  const lines = r.stdout.split("\n");
  paths.forEach((path, i) => {
    const head = lines[i * 2] ?? "";
    const body = lines[i * 2 + 1] ?? "";
    const m = /^@@ ([0-7]+) (\S+)$/.exec(head);
    out.set(path, m ? { content: Buffer.from(body, "base64").toString("utf8"), mode: parseInt(m[1]!, 8), owner: m[2]! } : { content: null });
  });
  return out;
}

/** File changes needed to reach `desired` from `observed` (content, mode or owner). */
export function planFiles(observed: ReadonlyMap<string, ObservedFile>, desired: readonly DesiredFile[]): Change[] {
  const changes: Change[] = [];
  for (const d of desired) {
    const o = observed.get(d.path) ?? { content: null };
    const ownerDiffers = d.owner !== undefined && o.owner !== undefined && !ownerMatches(o.owner, d.owner);
    if (o.content === d.content && o.mode === d.mode && !ownerDiffers) continue;
    changes.push({
      kind: "file",
      path: d.path,
      before: o.content,
      after: d.content,
      mode: d.mode,
      ...(o.mode !== undefined ? { modeBefore: o.mode } : {}),
      ...(d.owner ? { owner: d.owner } : {}),
    });
  }
  return changes;
}

function ownerMatches(actual: string, wanted: string): boolean {
  return wanted.includes(":") ? actual === wanted : actual.split(":")[0] === wanted;
}
