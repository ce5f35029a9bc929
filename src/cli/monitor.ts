import { Command } from "commander";
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { PlanError } from "../errors.js";
import { DEFAULT_MONITOR_CONFIG, startMonitor } from "../monitor/monitor-daemon.js";

export const MONITOR_PID_FILE = "/run/mysql-mmm/mmm_mond.pid";
export const MONITOR_LOG_FILE = "/var/log/mysql-mmm/mmm_mond.log";

interface MonitorOptions {
  readonly config: string;
  readonly foreground?: boolean;
  readonly pidFile: string;
  readonly logFile: string;
}

export function monitorCommand(): Command {
  return new Command("monitor")
    .description("run the MMM monitor daemon (checks, decisions, role moves) and its control server")
    .option("-c, --config <file>", "monitor configuration (MMM format)", DEFAULT_MONITOR_CONFIG)
    .option("--foreground", "stay attached and log to stdout (for systemd or a terminal)")
    .option("--pid-file <file>", "pid file", MONITOR_PID_FILE)
    .option("--log-file <file>", "log file when detached", MONITOR_LOG_FILE)
    .action(async (opts: MonitorOptions) => {
      refuseIfRunning(opts.pidFile);
      if (opts.foreground) return runForeground(opts);
      await detach(opts);
    });
}

function livePid(pidFile: string): number | null {
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

function refuseIfRunning(pidFile: string): void {
  const pid = livePid(pidFile);
  if (pid !== null && pid !== process.pid) throw new PlanError(`the monitor already runs (pid ${pid}, ${pidFile}); stop it first (kill ${pid})`);
}

async function runForeground(opts: MonitorOptions): Promise<void> {
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`);
  const monitor = await startMonitor({ configFile: opts.config, log });
  mkdirSync(dirname(opts.pidFile), { recursive: true });
  writeFileSync(opts.pidFile, `${process.pid}\n`);
  const stop = (signal: string) => {
    log(`${signal}: stopping`);
    void monitor.stop();
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
  await monitor.done;
  if (livePid(opts.pidFile) === process.pid) rmSync(opts.pidFile, { force: true });
  log("monitor stopped");
}

/**
 * Starts the monitor as its own session leader (setsid) with stdio on the log file, so the
 * shell or SSH session that ran `mmm monitor` may close; returns once it wrote its pid file.
 */
async function detach(opts: MonitorOptions): Promise<void> {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  const fd = openSync(opts.logFile, "a", 0o640);
  const script = process.argv[1];
  if (!script) throw new PlanError("cannot tell which script runs mmm (process.argv[1] is empty)");
  const child = spawn(
    process.execPath,
    [script, "monitor", "--foreground", "--config", opts.config, "--pid-file", opts.pidFile, "--log-file", opts.logFile],
    { detached: true, stdio: ["ignore", fd, fd] },
  );
  closeSync(fd);
  let exited: number | null = null;
  child.once("exit", (code) => (exited = code ?? 1));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (exited !== null) throw new PlanError(`the monitor exited at startup (code ${exited}); see ${opts.logFile}:\n${tail(opts.logFile)}`);
    if (livePid(opts.pidFile) === child.pid) {
      child.unref();
      process.stdout.write(`mmm monitor started (pid ${child.pid}), logging to ${opts.logFile}\n`);
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.unref();
  throw new PlanError(`the monitor (pid ${child.pid}) did not write ${opts.pidFile} within 10 s; see ${opts.logFile}`);
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-10).join("\n");
  } catch {
    return "";
  }
}
