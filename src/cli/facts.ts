import { Command } from "commander";
import { addConnectOptions, loadInventory, openFleet, selectHosts, type ConnectOptions } from "./common.js";
import { gatherFacts } from "../facts/gather.js";
import { formatFacts } from "../facts/format.js";
import { errorMessage } from "../errors.js";

export function factsCommand(): Command {
  const cmd = new Command("facts")
    .description("gather what each host is: OS, init system, MySQL/MariaDB flavor and version, include dirs, interfaces, clock offset")
    .argument("<inventory>", "inventory file (YAML, Ansible style)")
    .option("--json", "print JSON");
  return addConnectOptions(cmd).action(async (file: string, opts: ConnectOptions & { json?: boolean }) => {
    const inv = loadInventory(file);
    const hosts = selectHosts(inv, opts.limit);
    const fleet = openFleet(inv, opts);
    try {
      const settled = await fleet.each(hosts, (_h, t) => gatherFacts(t));
      const results = settled.map((s, i) =>
        s.ok ? { host: hosts[i]!.name, facts: s.value } : { host: hosts[i]!.name, error: errorMessage(s.error).replace(/^[^:]+: /, "") },
      );
      process.stdout.write(opts.json ? JSON.stringify(results, null, 2) + "\n" : formatFacts(results) + "\n");
      if (results.some((r) => "error" in r)) process.exitCode = 1;
    } finally {
      fleet.close();
    }
  });
}
