import { spawn } from "node:child_process";
import { constants } from "node:os";
import { ConfigError, PlanError } from "../errors.js";
import { LAB_HOSTS, LAB_HOST_NAMES, LAB_STATE_FILE, type LabHost } from "./constants.js";
import { readLabState, verifyHostInit } from "./lab-processes.js";
import { hostState } from "./lab-state.js";
import { LAB_ENV, run, type RunOptions, type RunResult } from "./run.js";

export function labHost(name: string): LabHost {
  const host = LAB_HOSTS.find((h) => h.name === name);
  if (!host) throw new ConfigError(`unknown lab host "${name}": the lab's hosts are ${LAB_HOST_NAMES.join(", ")}`);
  return host;
}

/** Enters every namespace of the host (net, mount → its own root, UTS, IPC, PID). */
export function nsenterArgv(initPid: number, argv: readonly string[]): string[] {
  return ["nsenter", "--target", String(initPid), "--mount", "--uts", "--ipc", "--net", "--pid", "--", ...argv];
}

/** The host's init PID from state.json, verified against /proc; throws when the host is not up. */
export function hostInitPid(name: string): number {
  labHost(name);
  const read = readLabState();
  if (read.kind === "absent") throw new PlanError(`lab is not up (no ${LAB_STATE_FILE}): run \`mmm lab up\``);
  if (read.kind === "invalid") throw new PlanError(`${read.error}: run \`mmm lab up\` to rebuild the lab`);
  const h = hostState(read.state, name);
  if (!h) throw new PlanError(`${LAB_STATE_FILE} has no entry for ${name}: run \`mmm lab up\``);
  if (!verifyHostInit(h.initPid, name)) {
    throw new PlanError(`${name} is not running (PID ${h.initPid} in ${LAB_STATE_FILE} is no longer its init): run \`mmm lab up\``);
  }
  return h.initPid;
}

/**
 * Runs argv inside a lab host, as root, with a login-like environment, and collects the result.
 * A non-zero exit is a result, not an error; an unknown or stopped host throws.
 */
export async function labExec(host: string, argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(nsenterArgv(hostInitPid(host), argv), opts);
}

/** Runs argv inside a host with the caller's stdio (for `mmm lab exec`); resolves to its exit code. */
export function labExecInteractive(host: string, argv: readonly string[]): Promise<number> {
  const [cmd, ...args] = nsenterArgv(hostInitPid(host), argv);
  return new Promise((resolve, reject) => {
    const env = { ...LAB_ENV, ...(process.env.TERM ? { TERM: process.env.TERM } : {}) };
    const child = spawn(cmd as string, args, { stdio: "inherit", env });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve(code ?? (signal ? 128 + signalNumber(signal) : 1)));
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 1;
}
