import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { Command, Option } from "commander";
import { ConfigError } from "../errors.js";
import { daemonLog, detachDaemon, livePid, raisePriority } from "./daemon.js";
import { DEFAULT_LEASE_TIMING } from "../ha/config.js";
import { startAgentDaemon } from "../agent/agent-daemon.js";
import { loadClusterSecret, loadMmmConfigFile } from "../mmm-config-files.js";

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
      const running = livePid(pidFile);
      if (running !== null) throw new ConfigError(`an agent already runs (pid ${running}, from ${pidFile}); stop it first (kill ${running})`);
      if (!opts.foreground) return detachDaemon("agent", [...process.argv.slice(2), "--foreground"], opts.logFile, pidFile);

      const { log, flush } = daemonLog();
      process.on("uncaughtException", (err) => log(`internal error (agent keeps running): ${err.stack ?? err.message}`));
      raisePriority(log);
      const daemon = await startAgentDaemon({ config, secret, timing: DEFAULT_LEASE_TIMING, log }, opts.config);
      mkdirSync(dirname(pidFile), { recursive: true });
      writeFileSync(pidFile, `${process.pid}\n`);
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        for (const s of ["SIGTERM", "SIGINT"] as const) process.once(s, () => resolve(s));
      });
      log(`${signal}: stopping`);
      await daemon.close();
      if (livePid(pidFile) === process.pid) rmSync(pidFile, { force: true });
      log("stopped");
      await flush();
    });
}
