import { Command, Option } from "commander";
import { loadInventory, openFleet } from "./common.js";
import { ConfigError } from "../errors.js";
import { DRILL_MODES, parseDrillMode } from "../drill/faults.js";
import { runDrill } from "../drill/run-drill.js";
import { formatReport } from "../drill/format-drill.js";

interface DrillCliOptions {
  readonly mode: string;
  readonly clients: string;
  readonly rounds: string;
  readonly restore?: boolean;
  readonly json?: boolean;
  readonly interval: string;
  readonly resumeTimeout: string;
  readonly acceptNewHostKeys?: boolean;
}

function positive(name: string, value: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name}: expected a whole number ≥ ${min}, got "${value}"`);
  return n;
}

export function drillCommand(): Command {
  return new Command("failover-drill")
    .description("fail the writer under a write load and measure detection, write unavailability, lost and duplicated rows, and two-writer moments")
    .argument("<inventory>", "inventory file (YAML, Ansible style)")
    .addOption(new Option("--mode <mode>", "how to fail the writer (move: mmm control move_role writer PEER)").choices([...DRILL_MODES]).default("kill"))
    .option("--clients <n>", "clients writing through the writer VIP", "4")
    .option("--rounds <n>", "rounds (above 1 needs --restore)", "1")
    .option("--restore", "bring the old writer back, wait until ONLINE, move the writer back")
    .option("--interval <ms>", "pause between one client's writes", "20")
    .option("--resume-timeout <s>", "a round fails when writes have not resumed after this long", "60")
    .option("--json", "print the report as JSON (progress still goes to stderr)")
    .option("--accept-new-host-keys", "pin the SSH host keys of hosts missing from known_hosts")
    .action(async (file: string, opts: DrillCliOptions) => {
      const inv = loadInventory(file);
      const mode = parseDrillMode(opts.mode);
      const options = {
        mode,
        clients: positive("--clients", opts.clients),
        rounds: positive("--rounds", opts.rounds),
        restore: opts.restore === true,
        intervalMs: positive("--interval", opts.interval, 0),
        resumeTimeoutMs: positive("--resume-timeout", opts.resumeTimeout) * 1000,
      };
      const fleet = openFleet(inv, { acceptNewHostKeys: opts.acceptNewHostKeys });
      try {
        const report = await runDrill(inv, fleet, options, { progress: (line) => process.stderr.write(`${line}\n`) });
        process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : `\n${formatReport(report)}\n`);
        if (!report.ok) process.exitCode = 1;
      } finally {
        fleet.close();
      }
    });
}
