import { Command } from "commander";
import { ConfigError } from "../errors.js";
import { formatVerify } from "../verify/format-verify.js";
import { DEFAULT_VERIFY_TIMEOUT_S, runVerify } from "../verify/run-verify.js";
import { loadInventory, openFleet } from "./common.js";

interface VerifyCliOptions {
  readonly json?: boolean;
  readonly tables?: string;
  readonly timeout: string;
  readonly acceptNewHostKeys?: boolean;
  readonly forks?: string;
}

export function verifyCommand(): Command {
  return new Command("verify")
    .description(
      "prove the cluster replicates: a marker row written through the writer VIP as the app account must reach every host " +
        "and every reader VIP; replication threads, unique server ids, read_only, auto_increment, GTID sets and chunked " +
        "checksums are compared across hosts; exit 1 with one diagnosis per failure",
    )
    .argument("<inventory>", "inventory file (YAML, Ansible style)")
    .option("--json", "print the observations, checks and problems as JSON")
    .option("--tables <list>", "also checksum these tables (comma-separated schema.table)")
    .option("--timeout <seconds>", "how long each host may take to apply the marker", String(DEFAULT_VERIFY_TIMEOUT_S))
    .option("--accept-new-host-keys", "pin the SSH host keys of hosts missing from known_hosts")
    .option("-f, --forks <n>", "hosts contacted in parallel", "10")
    .action(async (file: string, opts: VerifyCliOptions) => {
      const timeoutS = Number(opts.timeout);
      if (!Number.isFinite(timeoutS) || timeoutS <= 0) throw new ConfigError(`--timeout: expected seconds, got ${opts.timeout}`);
      const tables = opts.tables ? opts.tables.split(",").map((t) => t.trim()).filter(Boolean) : [];
      const inv = loadInventory(file);
      const fleet = openFleet(inv, opts);
      try {
        const report = await runVerify(inv, fleet, { timeoutS, tables });
        process.stdout.write(opts.json ? JSON.stringify(report, null, 2) + "\n" : formatVerify(report));
        process.exitCode = report.ok ? 0 : 1;
      } finally {
        fleet.close();
      }
    });
}
