import { Command } from "commander";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { PlanError } from "../errors.js";
import { daemonLog, detachDaemon, livePid, raisePriority } from "./daemon.js";
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
      await detachDaemon(
        "monitor",
        ["monitor", "--foreground", "--config", opts.config, "--pid-file", opts.pidFile, "--log-file", opts.logFile],
        opts.logFile,
        opts.pidFile,
      );
    });
}

function refuseIfRunning(pidFile: string): void {
  const pid = livePid(pidFile);
  if (pid !== null && pid !== process.pid) throw new PlanError(`the monitor already runs (pid ${pid}, ${pidFile}); stop it first (kill ${pid})`);
}

async function runForeground(opts: MonitorOptions): Promise<void> {
  const { log, flush } = daemonLog();
  raisePriority(log);
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
  await flush();
}
