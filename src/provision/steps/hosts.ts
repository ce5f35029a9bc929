import { isIP } from "node:net";
import { sh } from "../../remote/shell.js";
import { replaceManagedBlock } from "../managed-block.js";
import { probed, planFiles, type ObservedFile } from "../files.js";
import { unchanged, type Change } from "../change.js";
import type { Step, PlanInput } from "../context.js";

interface Observed {
  readonly hostname: string;
  readonly files: Map<string, ObservedFile>;
}

export const HOSTS_FILE = "/etc/hosts";
export const HOSTNAME_FILE = "/etc/hostname";

/** The tutorial's first step: each host named as in the inventory, and every host in /etc/hosts. */
export const hostsStep: Step<Observed> = {
  id: "hosts",
  title: "hostname and /etc/hosts",
  appliesTo: () => true,
  ...probed(() => ({
    commands: { hostname: sh`hostname` },
    files: [HOSTS_FILE, HOSTNAME_FILE],
    read: (o) => ({ hostname: o.outputs.get("hostname")!.stdout.trim(), files: o.files }),
  })),
  plan(observed, input) {
    const changes: Change[] = [];
    const name = input.host.name;
    if (observed.hostname !== name) {
      const command =
        input.facts.init === "systemd" ? sh`hostnamectl set-hostname ${name}` : sh`hostname ${name}`;
      changes.push({ kind: "command", summary: `set hostname ${observed.hostname} → ${name}`, command });
    }
    const hostsNow = observed.files.get(HOSTS_FILE)?.content ?? "";
    const hostsMode = observed.files.get(HOSTS_FILE)?.mode ?? 0o644;
    changes.push(
      ...planFiles(observed.files, [
        { path: HOSTS_FILE, content: replaceManagedBlock(hostsNow, hostsLines(input)), mode: hostsMode },
        { path: HOSTNAME_FILE, content: `${name}\n`, mode: 0o644 },
      ]),
    );
    return changes.length ? { changes, reason: "" } : unchanged(`hostname is ${name}; /etc/hosts lists all ${input.inventory.hosts.length} hosts`);
  },
};

/** Hosts whose address is a name rather than an IP are left to DNS. */
export function hostsLines(input: Pick<PlanInput, "inventory">): string[] {
  const hosts = input.inventory.hosts.filter((h) => isIP(h.address) !== 0);
  const width = Math.max(0, ...hosts.map((h) => h.address.length));
  return hosts.map((h) => `${h.address.padEnd(width)} ${h.name}`);
}
