import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { Command, Option } from "commander";
import { ConfigError } from "../errors.js";
import { DEFAULT_LEASE_TIMING } from "../ha/config.js";
import { startAgentDaemon } from "../agent/agent-daemon.js";
import { loadClusterSecret, loadMmmConfigFile } from "../agent/load-agent-config.js";

export const AGENT_CONFIG = "/etc/mysql-mmm/mmm_agent.conf";
export const AGENT_LOG = "/var/log/mysql-mmm/mmm_agentd.log";
export const AGENT_PID = "/run/mysql-mmm/mmm_agentd.pid";

interface AgentOptions {
  readonly config: string;
  readonly foreground?: boolean;
  readonly logFile: string;
}

export function agentCommand(): Command {
  return new Command("agent")
    .description("run the MMM agent of this DB host: VIPs, read_only and replication on the monitor's signed orders, with a writer lease")
    .option("-c, --config <file>", "mmm_agent.conf (includes mmm_common.conf)", AGENT_CONFIG)
    .option("--foreground", "stay attached and log to stdout (default: detach, log to --log-file)")
    .addOption(new Option("--log-file <file>", "log file when detached").default(AGENT_LOG))
    .action(async (opts: AgentOptions) => {
      const config = loadMmmConfigFile(opts.config, "agent");
      const secret = loadClusterSecret(config.clusterSecretFile);
      const self = config.hosts.find((h) => h.name === config.this);
      const pidFile = self?.pidPath ?? AGENT_PID;
      const running = runningPid(pidFile);
      if (running !== null) throw new ConfigError(`an agent already runs (pid ${running}, from ${pidFile}); stop it first (kill ${running})`);
      if (!opts.foreground) return detach(opts.logFile, pidFile);

      const log = (line: string): void => {
        process.stdout.write(`${new Date().toISOString()} ${line}\n`);
      };
      process.on("uncaughtException", (err) => log(`internal error (agent keeps running): ${err.stack ?? err.message}`));
      const daemon = await startAgentDaemon({ config, secret, timing: DEFAULT_LEASE_TIMING, log }, opts.config);
      mkdirSync(dirname(pidFile), { recursive: true });
      writeFileSync(pidFile, `${process.pid}\n`);
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        for (const s of ["SIGTERM", "SIGINT"] as const) process.once(s, () => resolve(s));
      });
      log(`${signal}: stopping`);
      await daemon.close();
      if (runningPid(pidFile) === process.pid) rmSync(pidFile, { force: true });
      log("stopped");
    });
}

/** The pid in `file` when that process is alive; null otherwise (a stale file is ignored). */
function runningPid(file: string): number | null {
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
 * Restarts this command with --foreground in a new session (setsid), stdio on the log file, so
 * that the SSH session or terminal that started it can close. Returns once the child wrote its
 * pid file, or fails with the log's last lines if it exited first.
 */
async function detach(logFile: string, pidFile: string): Promise<void> {
  mkdirSync(dirname(logFile), { recursive: true });
  const fd = openSync(logFile, "a", 0o640);
  const args = [...process.execArgv, process.argv[1]!, ...process.argv.slice(2), "--foreground"];
  const child = spawn(process.execPath, args, { detached: true, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  let exited: number | null | undefined;
  child.on("exit", (code) => (exited = code));
  child.unref();
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (runningPid(pidFile) === child.pid) {
      process.stdout.write(`mmm agent started (pid ${child.pid}); log: ${logFile}\n`);
      return;
    }
    if (exited !== undefined) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const tail = existsSync(logFile) ? readFileSync(logFile, "utf8").trim().split("\n").slice(-5).join("\n") : "";
  throw new ConfigError(`mmm agent did not start${exited !== undefined ? ` (exit ${exited})` : " within 10 s"}; last lines of ${logFile}:\n${tail}`);
}
