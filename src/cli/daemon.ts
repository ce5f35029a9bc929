import { spawn } from "node:child_process";
import { setPriority } from "node:os";
import { closeSync, createWriteStream, existsSync, fstatSync, mkdirSync, openSync, readFileSync, readdirSync } from "node:fs";
import { dirname } from "node:path";
import { PlanError } from "../errors.js";

/** The pid in `file` when that process is alive; null otherwise (a stale file is ignored). */
export function livePid(file: string): number | null {
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

/**
 * Runs mmm again as `args` (which must include --foreground) in a new session (setsid), stdio on
 * the log file, so that the SSH session or terminal that started it can close. Returns once the
 * child wrote its pid file; fails with the log's last lines if it exited first or took over 10 s.
 */
export async function detachDaemon(name: string, args: readonly string[], logFile: string, pidFile: string): Promise<void> {
  const script = process.argv[1];
  if (!script) throw new PlanError("cannot tell which script runs mmm (process.argv[1] is empty)");
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, "a", 0o640);
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], { detached: true, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  let exited: number | null | undefined;
  child.on("exit", (code) => (exited = code));
  child.unref();
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (livePid(pidFile) === child.pid) {
      process.stdout.write(`mmm ${name} started (pid ${child.pid}); log: ${logFile}\n`);
      return;
    }
    if (exited !== undefined) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const tail = existsSync(logFile) ? readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-10).join("\n") : "";
  throw new PlanError(`mmm ${name} did not start${exited !== undefined ? ` (exit ${exited})` : " within 10 s"}; last lines of ${logFile}:\n${tail}`);
}

/**
 * The HA daemons' scheduling priority. Their latency is the failover's: a monitor cycle or an
 * agent's answer that waits behind a busy mysqld for CPU delays detection, fencing and the VIP
 * move. They use little CPU, so like corosync (which runs real-time) they go ahead of the
 * databases; nice -10 rather than real-time keeps a runaway daemon from locking up the host.
 */
export const DAEMON_NICE = -10;

export function raisePriority(log: (line: string) => void): void {
  try {
    // Linux keeps a nice value per thread: the threads Node already runs (libuv's pool, which
    // does the fsyncs; V8's) are raised one by one; threads started later inherit it.
    setPriority(DAEMON_NICE);
    for (const tid of threadIds()) setPriority(tid, DAEMON_NICE);
    log(`running at nice ${DAEMON_NICE} (ahead of the databases, so checks and role changes are not delayed by a busy host)`);
  } catch (err) {
    log(`could not raise the priority to nice ${DAEMON_NICE} (${(err as Error).message}); running at the default`);
  }
}

function threadIds(): number[] {
  try {
    return readdirSync("/proc/self/task").map(Number).filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return [];
  }
}

export interface DaemonLog {
  /** One timestamped line. */
  readonly log: (line: string) => void;
  /** Resolves once every line logged so far is written. */
  readonly flush: () => Promise<void>;
}

/**
 * The daemons' log, written without holding up the event loop. Detached, stdout is the log file,
 * and Node writes to a file synchronously: an append waits for its page while that page is under
 * writeback, which on a disk busy with the databases held the monitor's event loop for up to
 * 0.9 s in the lab — its timers then fired late, and checks, role moves and lease renewals with
 * them. So a file gets a stream of its own on fd 1, whose writes run in order on libuv's thread
 * pool; a terminal or a pipe (systemd) keeps process.stdout. Lines still queued when the process
 * dies are lost: the price of never blocking on the disk.
 */
export function daemonLog(): DaemonLog {
  let file = false;
  try {
    file = fstatSync(1).isFile();
  } catch {
    file = false;
  }
  const out: NodeJS.WritableStream = file ? createWriteStream("", { fd: 1, autoClose: false }) : process.stdout;
  // A full or failed log disk must not take the daemon down: its lines are lost instead.
  out.on("error", () => undefined);
  return {
    log: (line) => {
      out.write(`${new Date().toISOString()} ${line}\n`);
    },
    flush: () => new Promise<void>((resolve) => out.write("", () => resolve())),
  };
}
