import { readFileSync, readdirSync, readlinkSync, statSync } from "node:fs";

/**
 * What the lab reads from /proc to know which processes are its own. A PID is only ever
 * signalled after these checks say it is a lab host's init (see isHostInit in lab-processes.ts).
 */

/** "net:[4026532245]" → 4026532245; anything else → null. */
export function parseNsLink(link: string): number | null {
  const m = /^\w+:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : null;
}

/** The NSpid line of /proc/PID/status: the PID in each PID namespace, outermost first. */
export function parseNsPids(status: string): number[] | null {
  const m = /^NSpid:\s*(.+)$/m.exec(status);
  if (!m || m[1] === undefined) return null;
  return m[1].trim().split(/\s+/).map(Number);
}

/** The State letter of /proc/PID/status ("Z" for a zombie). */
export function parseProcState(status: string): string | null {
  const m = /^State:\s*(\S)/m.exec(status);
  return m?.[1] ?? null;
}

/** /proc/PID/cmdline (NUL-separated) → argv. */
export function parseCmdline(raw: string): string[] {
  const parts = raw.split("\0");
  if (parts.at(-1) === "") parts.pop();
  return parts;
}

/** The options of the root ("/") mount in a /proc/PID/mountinfo text. */
export function parseRootMountOptions(mountinfo: string): string | null {
  for (const line of mountinfo.split("\n")) {
    const [left, right] = line.split(" - ");
    if (left === undefined || right === undefined) continue;
    const fields = left.split(" ");
    if (fields[4] !== "/") continue;
    return right.split(" ")[2] ?? "";
  }
  return null;
}

/** Mount points (unescaped) from a mountinfo text. */
export function parseMountPoints(mountinfo: string): string[] {
  const points: string[] = [];
  for (const line of mountinfo.split("\n")) {
    const point = line.split(" ")[4];
    if (point) points.push(point.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return points;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}

export function listPids(): number[] {
  return readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .map(Number);
}

/** The network namespace inode of a process; null when it is gone or a zombie. */
export function processNetns(pid: number): number | null {
  try {
    return parseNsLink(readlinkSync(`/proc/${pid}/ns/net`));
  } catch {
    return null;
  }
}

/** The inode of a named network namespace (/run/netns/NAME); null when it does not exist. */
export function namedNetnsInode(name: string): number | null {
  try {
    return statSync(`/run/netns/${name}`).ino;
  } catch {
    return null;
  }
}

export interface ProcInfo {
  readonly pid: number;
  readonly netns: number | null;
  readonly nsPids: readonly number[];
  readonly state: string | null;
  readonly cmdline: readonly string[];
}

export function readProc(pid: number): ProcInfo | null {
  const status = readOrNull(`/proc/${pid}/status`);
  if (status === null) return null;
  return {
    pid,
    netns: processNetns(pid),
    nsPids: parseNsPids(status) ?? [],
    state: parseProcState(status),
    cmdline: parseCmdline(readOrNull(`/proc/${pid}/cmdline`) ?? ""),
  };
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const status = readOrNull(`/proc/${pid}/status`);
  return status !== null && parseProcState(status) !== "Z";
}

export function rootMountOptions(pid: number): string | null {
  const text = readOrNull(`/proc/${pid}/mountinfo`);
  return text === null ? null : parseRootMountOptions(text);
}

export function ownMountPoints(): string[] {
  return parseMountPoints(readFileSync("/proc/self/mountinfo", "utf8"));
}
