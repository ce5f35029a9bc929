import { existsSync, readdirSync, rmSync, rmdirSync } from "node:fs";
import { InternalError, PlanError } from "../errors.js";
import {
  LAB_DIR,
  LAB_HOSTS,
  LAB_HOSTS_DIR,
  LAB_INIT_SCRIPT,
  LAB_KNOWN_HOSTS,
  LAB_SSH_CONFIG,
  LAB_STATE_FILE,
  SWITCH_NETNS,
  hostNetns,
} from "./constants.js";
import { withLabLock } from "./lab-lock.js";
import { findHostInits, processesInNetns, readLabState, verifyHostInit } from "./lab-processes.js";
import { hostState } from "./lab-state.js";
import { isAlive, namedNetnsInode, ownMountPoints } from "./proc.js";
import { run, runChecked } from "./run.js";

export interface DownOptions {
  /** Also remove the lab key and the datadir template (the whole of LAB_DIR). */
  readonly purge?: boolean;
  readonly log?: (line: string) => void;
}

export interface DownReport {
  /** Init PIDs that were killed. */
  readonly killed: readonly number[];
  /** Network namespaces deleted. */
  readonly namespaces: readonly string[];
  /** Processes still inside a lab namespace after the hosts died (not ours to kill; reported). */
  readonly stragglers: readonly number[];
}

const LAB_NETNS_NAMES = [SWITCH_NETNS, ...LAB_HOSTS.map((h) => hostNetns(h.name))];

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

/** Pure: the mount points at or under `dir` (the lab must not remove a directory with any). */
export function mountsUnder(points: readonly string[], dir: string): string[] {
  return points.filter((p) => p === dir || p.startsWith(`${dir}/`));
}

/**
 * Removes everything `up` made — host inits (and with them each host's PID and mount
 * namespace), network namespaces, per-host directories, state — and keeps the key and the
 * datadir template unless `purge`. Safe on a half-made or crashed lab and when nothing exists.
 */
export async function labDown(opts: DownOptions = {}): Promise<DownReport> {
  return withLabLock("take the lab down", () => teardownLab(opts));
}

/** labDown without the lock, for `up` (which holds it) to clear a partial lab. */
export async function teardownLab(opts: DownOptions = {}): Promise<DownReport> {
  const log = opts.log ?? (() => {});
  const read = readLabState();
  const state = read.kind === "ok" ? read.state : null;

  // 1. Kill each host's init: the kernel then kills every process of its PID namespace, and
  //    its mount namespace (overlay, datadir bind) goes with the last process.
  const killed: number[] = [];
  for (const h of LAB_HOSTS) {
    const fromState = hostState(state, h.name)?.initPid;
    const pids = new Set(findHostInits(h.name));
    if (fromState !== undefined && verifyHostInit(fromState, h.name)) pids.add(fromState);
    for (const pid of pids) {
      if (!verifyHostInit(pid, h.name)) continue;
      try {
        process.kill(pid, "SIGKILL");
        killed.push(pid);
        log(`${h.name}: stopped (init PID ${pid})`);
      } catch {
        // exited between the check and the kill
      }
    }
  }
  if (!(await waitUntil(() => killed.every((pid) => !isAlive(pid)), 10_000))) {
    throw new InternalError(`lab down: init PIDs ${killed.filter(isAlive).join(", ")} survived SIGKILL for 10 s`);
  }

  // 2. Wait for the hosts' processes to be gone from the lab's network namespaces.
  const inodes = new Set(LAB_NETNS_NAMES.map(namedNetnsInode).filter((i): i is number => i !== null));
  await waitUntil(() => processesInNetns(inodes).length === 0, 5_000);
  const stragglers = processesInNetns(inodes);
  if (stragglers.length > 0) {
    log(`warning: processes not started by the lab are still inside its namespaces, left alone: PIDs ${stragglers.join(", ")}`);
  }

  // 3. Network namespaces (their veths and the bridge go with them).
  const namespaces: string[] = [];
  for (const name of LAB_NETNS_NAMES) {
    if (namedNetnsInode(name) === null) continue;
    await runChecked("lab", ["ip", "netns", "del", name]);
    namespaces.push(name);
  }
  if (namespaces.length > 0) log(`namespaces removed: ${namespaces.join(", ")}`);
  await unmountEmptyNetnsDir();

  // 4. Files. Nothing may be mounted below what is removed: a bind of / there would make
  //    rm delete the machine's files. Hosts' mounts live in their own (now dead) namespaces.
  const mounted = mountsUnder(ownMountPoints(), LAB_DIR);
  if (mounted.length > 0) {
    throw new PlanError(
      `refusing to remove ${LAB_DIR}: still mounted there: ${mounted.join(", ")}; unmount them (umount PATH) and run \`mmm lab down\` again`,
    );
  }
  if (opts.purge) {
    await removeTree(LAB_DIR);
    log(`removed ${LAB_DIR}`);
  } else {
    await removeTree(LAB_HOSTS_DIR);
    for (const f of [LAB_STATE_FILE, LAB_KNOWN_HOSTS, LAB_SSH_CONFIG, LAB_INIT_SCRIPT]) rmSync(f, { force: true });
  }
  return { killed, namespaces, stragglers };
}

/**
 * `ip netns add` makes /run/netns a mount point of its own; once no namespace is left in it,
 * the lab puts the machine back as it found it.
 */
async function unmountEmptyNetnsDir(): Promise<void> {
  if (!existsSync("/run/netns") || readdirSync("/run/netns").length > 0) return;
  while (ownMountPoints().includes("/run/netns")) {
    const r = await run(["umount", "/run/netns"]);
    if (r.code !== 0) return;
  }
  try {
    rmdirSync("/run/netns");
  } catch {
    // not empty after all, or already gone: leave it
  }
}

/** rm -rf that never crosses into another filesystem (a mount we failed to see). */
async function removeTree(dir: string): Promise<void> {
  if (!existsSync(dir)) return;
  await runChecked("lab", ["rm", "-rf", "--one-file-system", "--", dir]);
}
