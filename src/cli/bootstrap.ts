import { Command } from "commander";
import { addConnectOptions, loadInventory, openFleet, selectHosts, type ConnectOptions } from "./common.js";
import { bootstrap } from "../provision/bootstrap.js";
import { BOOTSTRAP_STEPS } from "../provision/steps/index.js";
import { formatPlan } from "../provision/format-plan.js";
import { formatRecap } from "../provision/report.js";
import { inventorySecrets } from "../inventory/model.js";

interface Options extends ConnectOptions {
  readonly check?: boolean;
  readonly diff?: boolean;
  readonly json?: boolean;
  readonly force?: boolean;
}

export function bootstrapCommand(): Command {
  const cmd = new Command("bootstrap")
    .description("turn bare hosts into the tutorial's replicated, monitored cluster (idempotent)")
    .argument("<inventory>", "inventory file (YAML, Ansible style)")
    .option("-C, --check", "change nothing; report what would change")
    .option("-D, --diff", "show file diffs and the SQL to run (secrets as ***)")
    .option("--json", "print a JSON report instead of the task list")
    .option("--force", "replace a replica's own user data with a copy of the first master's");
  return addConnectOptions(cmd).action(async (file: string, opts: Options) => {
    const inventory = loadInventory(file);
    const hosts = selectHosts(inventory, opts.limit);
    const fleet = openFleet(inventory, opts);
    const secrets = inventorySecrets(inventory);
    const tty = process.stdout.isTTY === true && !process.env.CI;
    try {
      const report = await bootstrap({
        inventory,
        fleet,
        hosts,
        steps: BOOTSTRAP_STEPS,
        check: opts.check === true,
        force: opts.force === true,
        renderer: opts.json ? "silent" : tty ? "default" : "simple",
        parallel: Number(opts.forks ?? 10),
      });
      if (opts.json) {
        process.stdout.write(
          JSON.stringify(
            {
              check: opts.check === true,
              problems: report.problems,
              recap: report.recap,
              steps: report.outcomes.map((o) => ({
                host: o.host,
                step: o.step,
                status: o.status,
                reason: o.plan?.reason,
                changes: o.plan?.changes.map((c) => ({ kind: c.kind, ...(c.kind === "file" ? { path: c.path } : { summary: c.summary }) })),
                error: o.error,
                durationMs: o.durationMs,
              })),
            },
            null,
            2,
          ) + "\n",
        );
      } else {
        if (report.problems.length > 0) {
          process.stderr.write(`preflight found ${report.problems.length} problem(s); nothing was changed:\n`);
          for (const p of report.problems) process.stderr.write(`  ${p}\n`);
        }
        if ((opts.check || opts.diff) && report.outcomes.length > 0) {
          const plan = formatPlan(report.outcomes, opts.diff === true, secrets);
          process.stdout.write(`\n${plan || "nothing to change"}\n`);
        }
        for (const o of report.outcomes.filter((o) => o.status === "failed")) {
          process.stderr.write(`FAILED ${o.host} ${o.step}: ${o.error}\n`);
        }
        if (report.recap.length > 0) process.stdout.write(`\n${formatRecap(report.recap)}\n`);
      }
      const failed = report.problems.length > 0 || report.outcomes.some((o) => o.status === "failed");
      if (failed) process.exitCode = 1;
    } finally {
      fleet.close();
    }
  });
}
