import { Command } from "commander";
import { LAB_DIR, LAB_HOST_NAMES, LAB_SSH_CONFIG } from "../lab/constants.js";
import { labDown } from "../lab/lab-down.js";
import { labExecInteractive, labHost } from "../lab/lab-exec.js";
import { labMysqld, labNet, parseMysqldAction, parseNetAction } from "../lab/lab-faults.js";
import { formatStatus, gatherStatus, isLabHealthy, labProblems } from "../lab/lab-status.js";
import { labUp } from "../lab/lab-up.js";
import { checkPreflight } from "../lab/preflight.js";

const say = (line: string) => process.stdout.write(`${line}\n`);

export function labCommand(): Command {
  const lab = new Command("lab")
    .description(`the local lab: ${LAB_HOST_NAMES.join(", ")} as network namespaces with their own root, sshd and MariaDB (needs root)`)
    // Needed by exec's passThroughOptions: options after the host belong to the command.
    .enablePositionalOptions();

  lab
    .command("up")
    .description("bring the five hosts up (no-op when already healthy; rebuilds a partial or crashed lab)")
    .action(async () => {
      await labUp({ log: say });
    });

  lab
    .command("down")
    .description("remove everything `up` made: host processes, namespaces, mounts, per-host files")
    .option("--purge", `also remove the lab key and the datadir template (all of ${LAB_DIR})`)
    .action(async (opts: { purge?: boolean }) => {
      checkPreflight();
      const r = await labDown({ log: say, purge: opts.purge === true });
      say(r.killed.length === 0 && r.namespaces.length === 0 ? "lab: nothing was running" : "lab: down");
    });

  lab
    .command("status")
    .description("per host: namespace, init, address, cable, sshd, mysqld; exit 1 if not healthy")
    .option("--json", "print JSON")
    .action(async (opts: { json?: boolean }) => {
      checkPreflight();
      const s = await gatherStatus();
      const healthy = isLabHealthy(s);
      if (opts.json) say(JSON.stringify({ healthy, problems: labProblems(s), ...s }, null, 2));
      else process.stdout.write(formatStatus(s));
      if (!healthy) process.exitCode = 1;
    });

  lab
    .command("exec")
    .description(`run a command inside a host as root, e.g. \`mmm lab exec db1 -- mariadb -e 'select 1'\` (or: ssh -F ${LAB_SSH_CONFIG} db1)`)
    .argument("<host>", LAB_HOST_NAMES.join("|"))
    .argument("<command...>", "the command and its arguments (after --)")
    // The root program does not use positional options, so the command's own options reach
    // exec as "unknown" ones; `--` is still the safe form (mmm's own -h/-V would be taken).
    .passThroughOptions()
    .allowUnknownOption()
    .action(async (host: string, command: string[]) => {
      checkPreflight();
      labHost(host);
      process.exitCode = await labExecInteractive(host, command);
    });

  lab
    .command("mysqld")
    .description("failure injection: stop (clean), start (and wait until it answers), kill (SIGKILL, stays down)")
    .argument("<host>", "db1|db2|db3|db4")
    .argument("<action>", "stop|start|kill")
    .action(async (host: string, action: string) => {
      checkPreflight();
      say(await labMysqld(host, parseMysqldAction(action)));
    });

  lab
    .command("net")
    .description("failure injection: cut or restore a host's cable (its port on the lab switch)")
    .argument("<host>", LAB_HOST_NAMES.join("|"))
    .argument("<action>", "cut|restore")
    .action(async (host: string, action: string) => {
      checkPreflight();
      say(await labNet(host, parseNetAction(action)));
    });

  return lab;
}
