import { spawn } from "node:child_process";
import { RemoteError } from "../errors.js";

export interface RunResult {
  /** Exit code; null when the process was ended by a signal (see `signal`) or timed out. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export interface RunOptions {
  /** Written to the process's stdin, which is then closed. Default: stdin is /dev/null. */
  readonly input?: string;
  /** The whole process group is killed (SIGKILL) after this long. Default 60 s. */
  readonly timeoutMs?: number;
  /** Replaces the environment (never merged with ours, so the controller's env does not leak). */
  readonly env?: NodeJS.ProcessEnv;
}

/** The environment of every command the lab runs: what a root login on Debian has. */
export const LAB_ENV: NodeJS.ProcessEnv = {
  PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
  HOME: "/root",
  LANG: "C.UTF-8",
  LC_ALL: "C.UTF-8",
};

/**
 * Runs argv (no shell) and collects its output. Runs in its own process group so a timeout also
 * ends whatever it started — that matters for nsenter, whose child lives in another PID namespace.
 */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error("run: empty argv");
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? LAB_ENV,
      stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      detached: true,
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout?.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr?.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    if (opts.input !== undefined) {
      child.stdin?.on("error", () => {});
      child.stdin?.end(opts.input);
    }
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child.pid);
    }, opts.timeoutMs ?? 60_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: timedOut ? null : code, signal, stdout, stderr, timedOut });
    });
  });
}

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** `argv` for error messages. Lab commands carry no secrets. */
export function showArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}

/** Runs argv and throws a RemoteError naming `where`, the command, exit code and stderr if it fails. */
export async function runChecked(where: string, argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(argv, opts);
  if (r.code !== 0) {
    const why = r.timedOut ? `timed out after ${opts.timeoutMs ?? 60_000} ms` : r.signal ? `killed by ${r.signal}` : "failed";
    throw new RemoteError(where, `command ${why}`, { command: showArgv(argv), exitCode: r.code, stderr: r.stderr || r.stdout });
  }
  return r;
}
