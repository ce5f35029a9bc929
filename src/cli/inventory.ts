import { Command } from "commander";
import { describeInventory, formatInventoryReport } from "../inventory/describe.js";
import { loadInventory } from "../inventory/load.js";

export function inventoryCommand(): Command {
  const cmd = new Command("inventory").description("inspect an inventory");
  cmd
    .command("check")
    .description("validate an inventory and print its topology (every problem at once on stderr, exit 1)")
    .argument("<file>", "inventory file (Ansible YAML)")
    .option("--json", "print the topology as JSON (passwords as ***)")
    .action((file: string, opts: { json?: boolean }) => {
      const report = describeInventory(loadInventory(file));
      process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatInventoryReport(report, file));
    });
  return cmd;
}
