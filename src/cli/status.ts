import { Command } from "commander";
import { ConfigError } from "../errors.js";
import { formatMmmTime } from "../ha/format.js";
import { DEFAULT_MONITOR_CONFIG } from "../monitor/monitor-daemon.js";
import { formatStatus } from "../status/format-status.js";
import { gatherStatus, inventoryStatusSource, localStatusSource, type StatusSource } from "../status/gather-status.js";
import { loadInventory, openFleet } from "./common.js";

interface StatusOptions {
  readonly json?: boolean;
  readonly watch?: string | true;
  readonly config: string;
  readonly acceptNewHostKeys?: boolean;
  readonly forks?: string;
}

export function statusCommand(): Command {
  return new Command("status")
    .description(
      "the cluster at a glance: per host its state and roles (the monitor's word), VIPs on its interface, replication, GTID, read_only; " +
        "exit 1 when a host is not ONLINE, a role is unassigned, a VIP is misplaced or the monitor does not answer",
    )
    .argument("[inventory]", "inventory file; without it, run on the monitor host (reads --config)")
    .option("--json", "print the same data as JSON (with --watch: one JSON document per line)")
    .option("-w, --watch [seconds]", "redraw every N seconds (default 2) until Ctrl-C")
    .option("-c, --config <file>", "without an inventory: the monitor's configuration (MMM format)", DEFAULT_MONITOR_CONFIG)
    .option("--accept-new-host-keys", "pin the SSH host keys of hosts missing from known_hosts")
    .option("-f, --forks <n>", "hosts contacted in parallel", "10")
    .action(async (file: string | undefined, opts: StatusOptions) => {
      const interval = opts.watch === undefined ? null : opts.watch === true ? 2 : Number(opts.watch);
      if (interval !== null && !(Number.isFinite(interval) && interval >= 0.5)) {
        throw new ConfigError(`--watch: expected seconds (at least 0.5), got ${String(opts.watch)}`);
      }
      const inv = file ? loadInventory(file) : null;
      const source: StatusSource = inv ? inventoryStatusSource(inv, openFleet(inv, opts)) : localStatusSource(opts.config);
      try {
        if (interval === null) {
          const s = await gatherStatus(source);
          process.stdout.write(opts.json ? JSON.stringify(s, null, 2) + "\n" : formatStatus(s));
          process.exitCode = s.ok ? 0 : 1;
          return;
        }
        process.exitCode = await watch(source, interval, opts.json === true, file ?? opts.config);
      } finally {
        source.close();
      }
    });
}

/**
 * Redraws until SIGINT; the exit code is the last refresh's. A refresh in flight finishes
 * (every probe is bounded) so connections close cleanly.
 */
async function watch(source: StatusSource, seconds: number, json: boolean, what: string): Promise<number> {
  let stopped = false;
  let wake: (() => void) | null = null;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  const tty = process.stdout.isTTY === true && !json;
  let code = 0;
  try {
    while (!stopped) {
      const s = await gatherStatus(source);
      code = s.ok ? 0 : 1;
      if (json) process.stdout.write(JSON.stringify(s) + "\n");
      else {
        const head = `Every ${seconds} s: mmm status ${what}  ${formatMmmTime(s.at)}  (Ctrl-C to stop)\n\n`;
        process.stdout.write((tty ? "\x1b[H\x1b[2J" : "") + head + formatStatus(s) + (tty ? "" : "\n"));
      }
      if (!stopped) await new Promise<void>((r) => ((wake = r), setTimeout(r, seconds * 1000)));
    }
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
  return code;
}
