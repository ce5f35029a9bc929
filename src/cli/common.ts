import { Option, type Command } from "commander";
import type { Inventory, InventoryHost } from "../inventory/model.js";
import { loadInventory } from "../inventory/load.js";
import { ConfigError } from "../errors.js";
import { Fleet } from "../remote/fleet.js";

/** Options every command that connects to hosts accepts. */
export interface ConnectOptions {
  readonly limit?: string;
  readonly acceptNewHostKeys?: boolean;
  readonly forks?: string;
}

export function addConnectOptions(cmd: Command): Command {
  return cmd
    .option("-l, --limit <hosts>", "only these hosts (comma-separated names, as Ansible's --limit)")
    .option("--accept-new-host-keys", "pin the SSH host keys of hosts missing from known_hosts")
    .addOption(new Option("-f, --forks <n>", "hosts contacted in parallel").default("10"));
}

/** The hosts named by --limit, in inventory order; unknown names are an error. */
export function selectHosts(inv: Inventory, limit: string | undefined): InventoryHost[] {
  if (!limit) return [...inv.hosts];
  const names = limit.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !inv.hosts.some((h) => h.name === n));
  if (unknown.length > 0) {
    throw new ConfigError(`--limit: no host ${unknown.join(", ")} in ${inv.file} (hosts: ${inv.hosts.map((h) => h.name).join(", ")})`);
  }
  return inv.hosts.filter((h) => names.includes(h.name));
}

export function openFleet(inv: Inventory, opts: ConnectOptions): Fleet {
  const parallel = Number(opts.forks ?? "10");
  if (!Number.isInteger(parallel) || parallel < 1) throw new ConfigError(`--forks: expected a positive whole number, got ${opts.forks}`);
  return new Fleet(inv, { acceptNewHostKeys: opts.acceptNewHostKeys === true, parallel });
}

export { loadInventory };
