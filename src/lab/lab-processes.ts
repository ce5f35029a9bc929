import { existsSync, readFileSync } from "node:fs";
import { LAB_INIT_SCRIPT, LAB_STATE_FILE, hostDir, hostNetns } from "./constants.js";
import { parseLabState, type LabState } from "./lab-state.js";
import { listPids, namedNetnsInode, readProc, rootMountOptions, type ProcInfo } from "./proc.js";

/**
 * Which processes belong to the lab. The lab signals a PID only when these checks say it is the
 * init of one of its hosts, so a recycled PID or someone else's process is never touched.
 */

export interface InitEvidence {
  /** Inode of /run/netns/mmm-<host>, null when that namespace is gone. */
  readonly netnsInode: number | null;
  /** Options of the process's root mount (/proc/PID/mountinfo), null if unreadable. */
  readonly rootOptions: string | null;
}

/** A process is the init of a new PID namespace when its innermost PID is 1. */
export function isPidNamespaceInit(p: ProcInfo): boolean {
  return p.nsPids.length >= 2 && p.nsPids.at(-1) === 1;
}

/**
 * Pure: is `p` the init of lab host `host`? It must be PID 1 of its own PID namespace and either
 * live in the host's named network namespace, or have the host's overlay as its root, or still
 * be running our init script for that host (before it pivots).
 */
export function isHostInit(p: ProcInfo, host: string, ev: InitEvidence): boolean {
  if (!isPidNamespaceInit(p)) return false;
  if (ev.netnsInode !== null && p.netns === ev.netnsInode) return true;
  if (ev.rootOptions !== null && ev.rootOptions.split(",").includes(`upperdir=${hostDir(host)}/upper`)) return true;
  return p.cmdline[1] === LAB_INIT_SCRIPT && p.cmdline[2] === host;
}

/** Every live init of `host` on the machine (normally one; more after a crash). */
export function findHostInits(host: string): number[] {
  const netnsInode = namedNetnsInode(hostNetns(host));
  const found: number[] = [];
  for (const pid of listPids()) {
    if (pid === process.pid) continue;
    const p = readProc(pid);
    if (!p || p.state === "Z" || !isPidNamespaceInit(p)) continue;
    if (isHostInit(p, host, { netnsInode, rootOptions: rootMountOptions(pid) })) found.push(pid);
  }
  return found;
}

/** Re-checks a PID (e.g. from state.json) right before it is used or signalled. */
export function verifyHostInit(pid: number, host: string): boolean {
  const p = readProc(pid);
  if (!p || p.state === "Z") return false;
  return isHostInit(p, host, { netnsInode: namedNetnsInode(hostNetns(host)), rootOptions: rootMountOptions(pid) });
}

/** PIDs of live processes inside any of the given network namespaces. */
export function processesInNetns(inodes: ReadonlySet<number>): number[] {
  const found: number[] = [];
  for (const pid of listPids()) {
    const p = readProc(pid);
    if (p && p.state !== "Z" && p.netns !== null && inodes.has(p.netns)) found.push(pid);
  }
  return found;
}

export type StateRead = { kind: "absent" } | { kind: "invalid"; error: string } | { kind: "ok"; state: LabState };

export function readLabState(file: string = LAB_STATE_FILE): StateRead {
  if (!existsSync(file)) return { kind: "absent" };
  const parsed = parseLabState(readFileSync(file, "utf8"), file);
  return parsed.ok ? { kind: "ok", state: parsed.state } : { kind: "invalid", error: parsed.error };
}
