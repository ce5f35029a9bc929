import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { quote } from "../remote/shell.js";

/**
 * Runs the daemons' short commands (ip, arping) through one small helper shell started once,
 * instead of forking the daemon for each. Forking copies the parent's page tables, and libuv
 * waits for the child's exec on the event loop thread: from the monitor (about 160 MB resident)
 * the nine arpings of its ARP check every 2 s held its event loop up to 0.9 s in the lab, and
 * every timer with it (checks, role moves, lease renewals). The shell forks in a fraction of
 * that, and its stalls hold up nobody.
 *
 * Each job runs in the background under `timeout`, its output goes to files in a private
 * directory, and the shell reports "ID EXIT" on one line when it ends (short enough to be
 * written atomically, whatever order jobs end in); a job whose output files cannot be created
 * reports too (exit 2, and the directory is made again for the next). The jobs are
 * double-forked, so the shell never accumulates children to reap: the host's init reaps them,
 * as on any host with systemd or sysvinit (a container needs an init, not node as PID 1). If
 * the shell dies, pending jobs fail at once and the next run starts a new one. The helper never
 * keeps a stopping daemon alive.
 */
export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The exit status `timeout` gives a command it had to stop. */
export const TIMED_OUT = 124;

const HELPER = `d=$1
while IFS=' ' read -r id secs cmd; do
  ( ( { eval "timeout -k 1 $secs $cmd"; } >"$d/$id.out" 2>"$d/$id.err" </dev/null; echo "$id $?" ) & )
done`;

interface Pending {
  readonly resolve: (r: { code: number }) => void;
  readonly reject: (e: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class Runner {
  #shell: ChildProcessWithoutNullStreams | null = null;
  #dir: string | null = null;
  #next = 0;
  readonly #pending = new Map<number, Pending>();

  /** `base`: where the job directory is made. */
  constructor(private readonly base: string = tmpdir()) {}

  /** Runs `file args…`; resolves with its exit status and output (124: stopped after timeoutMs). */
  async run(file: string, args: readonly string[], timeoutMs: number): Promise<RunResult> {
    // One job per line: an argument with a line break would split it (and the shell cuts one at a NUL).
    if ([file, ...args].some((a) => /[\n\r\0]/.test(a))) throw new Error(`${file}: an argument contains a line break or NUL`);
    const { shell, dir } = this.#ensure();
    const id = ++this.#next;
    const secs = Math.max(0.1, timeoutMs / 1000).toFixed(1);
    const done = new Promise<{ code: number }>((resolve, reject) => {
      // The shell's own bound: timeout kills the job, then -k 1 s later for good.
      // Left referenced: while a job runs it keeps the process alive (the helper's own handles do
      // not; an agent starting up, with nothing else to wait for yet, would exit mid-job).
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${file}: no exit status within ${timeoutMs + 3000} ms (command helper stuck)`));
      }, timeoutMs + 3000);
      this.#pending.set(id, { resolve, reject, timer });
    });
    shell.stdin.write(`${id} ${secs} ${[file, ...args].map(quote).join(" ")}\n`);
    try {
      const { code } = await done;
      try {
        const [stdout, stderr] = await Promise.all([readFile(join(dir, `${id}.out`), "utf8"), readFile(join(dir, `${id}.err`), "utf8")]);
        return { code, stdout, stderr };
      } catch (err) {
        // The directory is gone (a /tmp cleaner) or full: the job did not run. Start afresh.
        this.#restart();
        throw new Error(`${file}: could not run: ${(err as Error).message}`);
      }
    } finally {
      void rm(join(dir, `${id}.out`), { force: true }).catch(() => undefined);
      void rm(join(dir, `${id}.err`), { force: true }).catch(() => undefined);
    }
  }

  /** Stops the helper shell and removes its directory (jobs still running finish on their own). */
  close(): void {
    this.#restart("command helper closed");
  }

  #restart(why = "command helper restarted"): void {
    const shell = this.#shell;
    this.#shell = null;
    shell?.stdin.end();
    this.#fail(why);
    const dir = this.#dir;
    this.#dir = null;
    // Best effort, and never a throw on a daemon's way down: a job the shell is starting may
    // create its files while the directory is being removed.
    try {
      if (dir) rmSync(dir, { recursive: true, force: true, maxRetries: 3, retryDelay: 20 });
    } catch {
      // Left for the system's /tmp cleaning.
    }
  }

  #ensure(): { shell: ChildProcessWithoutNullStreams; dir: string } {
    this.#dir ??= mkdtempSync(join(this.base, "mmm-run-"));
    if (this.#shell === null) {
      const shell = spawn("/bin/sh", ["-c", HELPER, "mmm-run", this.#dir], { stdio: ["pipe", "pipe", "pipe"] });
      shell.stderr.resume();
      const gone = () => {
        if (this.#shell !== shell) return;
        this.#shell = null;
        this.#fail("command helper exited");
      };
      // A job written to a shell that is gone is failed now, not after its timeout.
      shell.stdin.on("error", gone);
      shell.on("error", gone);
      // After the last line is read (`exit` may come before it): every finished job is answered.
      createInterface({ input: shell.stdout })
        .on("line", (line) => {
          const [id, code] = line.split(" ").map(Number);
          const p = this.#pending.get(id!);
          if (!p) return;
          this.#pending.delete(id!);
          clearTimeout(p.timer);
          p.resolve({ code: code! });
        })
        .on("close", gone);
      // The idle helper must not keep a stopping daemon alive (a running job does: its timer).
      shell.unref();
      for (const stream of [shell.stdin, shell.stdout, shell.stderr]) (stream as unknown as { unref?: () => void }).unref?.();
      this.#shell = shell;
    }
    return { shell: this.#shell, dir: this.#dir };
  }

  #fail(why: string): void {
    for (const [id, p] of this.#pending) {
      clearTimeout(p.timer);
      p.reject(new Error(why));
      this.#pending.delete(id);
    }
  }
}

let shared: Runner | null = null;

/** This process's runner (daemons: one helper shell each). */
export function localRunner(): Runner {
  shared ??= new Runner();
  return shared;
}

/** Stops this process's helper shell, if it has one (a stopping daemon). */
export function closeLocalRunner(): void {
  shared?.close();
  shared = null;
}
