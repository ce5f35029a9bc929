import { randomBytes } from "node:crypto";
import type { Transport } from "../remote/transport.js";
import { raw, sh, type ShellCommand } from "../remote/shell.js";
import { InternalError, RemoteError } from "../errors.js";
import type { Change } from "./change.js";
import type { HostContext } from "./context.js";

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

/** What one observation round trip saw: each command's stdout and exit code, and each file. */
export interface Observation {
  readonly outputs: ReadonlyMap<string, { readonly stdout: string; readonly code: number }>;
  readonly files: Map<string, ObservedFile>;
}

/**
 * One script that runs several read-only commands and reads several files, so that a step
 * observes a host in one SSH round trip: on a re-run nearly all of bootstrap's time is the
 * cost of starting remote commands. Each command runs in its own subshell (an `exit` in it ends
 * only that part) and its output is framed by lines carrying `token`, which the caller picks at
 * random so that no output can forge a frame. File contents travel as base64 (no frame can occur in it).
 */
export function observationScript(commands: ReadonlyMap<string, ShellCommand>, paths: readonly string[], token: string): ShellCommand {
  const mark = `@@mmm-${token}`;
  const parts = [...commands].map(
    ([name, command]) => sh`echo ${`${mark} cmd ${name}`}
( ${raw(command.text)}
)
printf '\n%s %s\n' ${`${mark} rc`} "$?"`.text,
  );
  if (paths.length > 0) {
    // A constant number of processes whatever the number of files (a stat and a base64 per
    // file cost about 15 ms of CPU each on a busy host): which files exist, then the mode and
    // owner of those, their sizes, and all their bytes as one base64 line, cut by the sizes.
    parts.push(
      sh`echo ${`${mark} files`}
set --
for f in ${paths}; do if [ -f "$f" ]; then set -- "$@" "$f"; echo 1; else echo 0; fi; done
echo ${`${mark} meta`}
if [ $# -gt 0 ]; then stat -c '%a %U:%G' -- "$@"; stat -L -c '%s' -- "$@"; fi
echo ${`${mark} data`}
if [ $# -gt 0 ]; then cat -- "$@" | base64 -w0; fi
echo`.text,
    );
  }
  return { text: parts.join("\n") };
}

/** Pure: the output of observationScript back into commands' outputs and files; null when it is not whole. */
export function parseObservation(
  text: string,
  commandNames: readonly string[],
  paths: readonly string[],
  token: string,
): Observation | null {
  const mark = `@@mmm-${token}`;
  const outputs = new Map<string, { stdout: string; code: number }>();
  let at = 0;
  for (const name of commandNames) {
    const head = `${mark} cmd ${name}\n`;
    if (!text.startsWith(head, at)) return null;
    const start = at + head.length;
    const rcAt = text.indexOf(`\n${mark} rc `, start);
    if (rcAt < 0) return null;
    const lineEnd = text.indexOf("\n", rcAt + 1 + mark.length + 4);
    if (lineEnd < 0) return null;
    const code = Number(text.slice(rcAt + 1 + mark.length + 4, lineEnd));
    if (!Number.isInteger(code)) return null;
    outputs.set(name, { stdout: text.slice(start, rcAt), code });
    at = lineEnd + 1;
  }
  const files = new Map<string, ObservedFile>();
  const rest = text.slice(at);
  if (paths.length === 0) return rest === "" ? { outputs, files } : null;
  const lines = rest.split("\n");
  if (lines[0] !== `${mark} files`) return null;
  const present = paths.filter((_, i) => lines[1 + i] === "1");
  if (paths.some((_, i) => lines[1 + i] !== "1" && lines[1 + i] !== "0")) return null;
  const n = present.length;
  const metaAt = 1 + paths.length;
  const dataAt = metaAt + 1 + 2 * n;
  // Every line in its place and nothing after: anything else was cut short (or is not ours).
  if (lines[metaAt] !== `${mark} meta` || lines[dataAt] !== `${mark} data`) return null;
  if (lines.length !== dataAt + 3 || lines[dataAt + 2] !== "") return null;
  const data = Buffer.from(lines[dataAt + 1]!, "base64");
  const sizes = present.map((_, i) => Number(lines[metaAt + 1 + n + i]));
  if (sizes.some((s) => !Number.isInteger(s) || s < 0)) return null;
  // A file that changed between stat and cat (or could not be read) does not add up.
  if (sizes.reduce((a, b) => a + b, 0) !== data.length) return null;
  let offset = 0;
  const seen = new Map<string, ObservedFile>();
  for (const [i, path] of present.entries()) {
    const m = /^([0-7]+) (\S+)$/.exec(lines[metaAt + 1 + i]!);
    if (!m) return null;
    seen.set(path, { content: data.subarray(offset, offset + sizes[i]!).toString("utf8"), mode: parseInt(m[1]!, 8), owner: m[2]! });
    offset += sizes[i]!;
  }
  for (const path of paths) files.set(path, seen.get(path) ?? { content: null });
  return { outputs, files };
}

/** A step's observation as data: what to run and read on a host, and what the answer means. */
export interface HostProbe<O> {
  readonly commands: Readonly<Record<string, ShellCommand>>;
  readonly files: readonly string[];
  read(o: Observation): O;
}

/**
 * Runs `commands` and reads `paths` on a host in one round trip. Like Transport.exec, a command
 * that exits non-zero is an error: a check whose failure is an answer ends with `; true`.
 */
export async function observeHost(
  transport: Transport,
  commands: Readonly<Record<string, ShellCommand>>,
  paths: readonly string[] = [],
): Promise<Observation> {
  const { observation, stderr } = await observeOnce(transport, commands, paths);
  const failed = failedCommand(observation);
  if (failed) throw commandFailed(transport, commands[failed.name]!, failed.code, stderr);
  return observation;
}

export async function runProbe<O>(transport: Transport, probe: HostProbe<O>): Promise<O> {
  return probe.read(await observeHost(transport, probe.commands, probe.files));
}

/** A step's probe and the observe that runs it alone: `...probed((ctx) => ({ commands, files, read }))`. */
export function probed<O>(probe: (ctx: HostContext) => HostProbe<O>): { probe: (ctx: HostContext) => HostProbe<O>; observe: (ctx: HostContext) => Promise<O> } {
  return { probe, observe: (ctx) => runProbe(ctx.transport, probe(ctx)) };
}

/**
 * Several steps' probes on one host in one round trip: each probe gets its own part of the
 * answer, read as it would be alone; a probe whose command failed gets that error, the others
 * are unaffected.
 */
export async function runProbes(
  transport: Transport,
  probes: ReadonlyMap<string, HostProbe<unknown>>,
): Promise<Map<string, Promise<unknown>>> {
  const merged = mergeProbes(probes);
  const { observation, stderr } = await observeOnce(transport, merged.commands, merged.files);
  const out = new Map<string, Promise<unknown>>();
  for (const [key, probe] of probes) {
    const value = (async () => {
      const part = probePart(observation, key, probe);
      const failed = failedCommand(part);
      if (failed) throw commandFailed(transport, probe.commands[failed.name]!, failed.code, stderr);
      return probe.read(part);
    })();
    value.catch(() => undefined);
    out.set(key, value);
  }
  return out;
}

/** Pure: probes as one, each command named `key/name`; a file several probes read is read once. */
export function mergeProbes(probes: ReadonlyMap<string, HostProbe<unknown>>): {
  commands: Record<string, ShellCommand>;
  files: string[];
} {
  const commands: Record<string, ShellCommand> = {};
  const files = new Set<string>();
  for (const [key, probe] of probes) {
    for (const [name, command] of Object.entries(probe.commands)) commands[`${key}/${name}`] = command;
    for (const f of probe.files) files.add(f);
  }
  return { commands, files: [...files] };
}

/** Pure: the part of a merged observation that belongs to one probe, as if it had run alone. */
export function probePart(merged: Observation, key: string, probe: HostProbe<unknown>): Observation {
  const outputs = new Map<string, { stdout: string; code: number }>();
  for (const name of Object.keys(probe.commands)) {
    const out = merged.outputs.get(`${key}/${name}`);
    if (!out) throw new InternalError(`no output for ${key}/${name} in a merged observation`);
    outputs.set(name, out);
  }
  const files = new Map<string, ObservedFile>();
  for (const f of probe.files) files.set(f, merged.files.get(f) ?? { content: null });
  return { outputs, files };
}

function failedCommand(o: Observation): { name: string; code: number } | undefined {
  for (const [name, out] of o.outputs) if (out.code !== 0) return { name, code: out.code };
  return undefined;
}

function commandFailed(transport: Transport, command: ShellCommand, code: number, stderr: string): RemoteError {
  return new RemoteError(transport.host, `command failed (exit ${code})`, {
    command: transport.display(command.text),
    exitCode: code,
    ...(stderr ? { stderr: transport.display(stderr) } : {}),
  });
}

async function observeOnce(
  transport: Transport,
  commands: Readonly<Record<string, ShellCommand>>,
  paths: readonly string[],
): Promise<{ observation: Observation; stderr: string }> {
  const token = randomBytes(6).toString("hex");
  const named = new Map(Object.entries(commands));
  const script = observationScript(named, paths, token);
  const r = await transport.exec(script);
  const observation = parseObservation(r.stdout, [...named.keys()], paths, token);
  if (!observation) {
    throw new RemoteError(transport.host, "the observation's output was cut short, or a file changed while it was read; run mmm bootstrap again (it only reads at this point)", {
      command: transport.display(script.text),
      ...(r.stderr ? { stderr: transport.display(r.stderr) } : {}),
    });
  }
  return { observation, stderr: r.stderr };
}

/** Reads several files in one round trip: content, mode and owner, or absent. */
export async function observeFiles(transport: Transport, paths: readonly string[]): Promise<Map<string, ObservedFile>> {
  if (paths.length === 0) return new Map();
  return (await observeHost(transport, {}, paths)).files;
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
