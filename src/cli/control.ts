import { Command } from "commander";
import { ConfigError, RemoteError } from "../errors.js";
import { ControlResponseSchema } from "../protocol/agent-messages.js";
import { request } from "../protocol/wire.js";
import { loadClusterSecret, loadMmmConfigFile } from "../mmm-config-files.js";
import { CONTROL_PEER, DEFAULT_MONITOR_CONFIG, MONITOR_PEER } from "../monitor/monitor-daemon.js";

interface ControlOptions {
  readonly config: string;
  readonly json?: boolean;
  readonly timeout: string;
}

export function controlCommand(): Command {
  return new Command("control")
    .description("send one MMM control command to the monitor (show, checks, set_online, move_role, …; `help` lists them)")
    .argument("[command...]", "the command and its arguments, e.g. show, checks all, move_role writer db2", ["show"])
    .option("-c, --config <file>", "monitor configuration (MMM format)", DEFAULT_MONITOR_CONFIG)
    .option("--json", "print the answer and the hosts' states as JSON")
    .option("--timeout <ms>", "how long to wait for the monitor", "10000")
    .allowUnknownOption()
    .action(async (words: string[], opts: ControlOptions) => {
      const mmm = loadMmmConfigFile(opts.config, "control");
      const mon = mmm.monitor;
      if (!mon) throw new ConfigError(`${opts.config}: no <monitor> section (ip and port of the monitor)`);
      const secret = loadClusterSecret(mmm.clusterSecretFile);
      const timeout = Number(opts.timeout);
      if (!Number.isInteger(timeout) || timeout <= 0) throw new ConfigError(`--timeout: expected milliseconds, got ${opts.timeout}`);
      const line = words.join(" ");
      let raw: unknown;
      try {
        raw = await request({ name: CONTROL_PEER, secret }, MONITOR_PEER, mon.ip, mon.port, { kind: "command", line, sentAt: Date.now() }, timeout);
      } catch (err) {
        throw new RemoteError(mon.ip, `cannot reach the monitor at ${mon.ip}:${mon.port}: ${(err as Error).message}; is \`mmm monitor\` running?`, {});
      }
      const r = ControlResponseSchema.safeParse(raw);
      if (!r.success) throw new RemoteError(mon.ip, `the monitor at ${mon.ip}:${mon.port} sent an answer that is not a control response`, {});
      if (opts.json) {
        const status = (raw as { status?: unknown }).status;
        process.stdout.write(JSON.stringify({ command: line, output: r.data.output, exitCode: r.data.exitCode, ...(status ? { status } : {}) }, null, 2) + "\n");
      } else {
        process.stdout.write(r.data.output.endsWith("\n") ? r.data.output : `${r.data.output}\n`);
      }
      process.exitCode = r.data.exitCode;
    });
}
