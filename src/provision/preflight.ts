import type { Inventory, InventoryHost } from "../inventory/model.js";
import type { HostFacts } from "../facts/parse.js";

/** Largest clock offset bootstrap accepts when it may not fix clocks itself. */
export const MAX_CLOCK_OFFSET_MS = 500;

export interface PreflightInput {
  readonly inventory: Inventory;
  readonly hosts: readonly InventoryHost[];
  readonly facts: ReadonlyMap<string, HostFacts>;
  /** Hosts that could not be reached or probed, with why. */
  readonly unreachable: ReadonlyMap<string, string>;
  /** VIPs that answered a ping although none of our hosts holds them. */
  readonly vipsAnswering: readonly string[];
}

/**
 * Everything that must hold before bootstrap changes anything, one line per problem.
 * Pure: an empty list means go.
 */
export function preflightProblems(p: PreflightInput): string[] {
  const problems: string[] = [];
  for (const [host, why] of p.unreachable) problems.push(`${host}: ${why}`);
  const flavors = new Set<string>();
  for (const h of p.hosts) {
    const f = p.facts.get(h.name);
    if (!f) continue;
    if (!f.root) problems.push(`${h.name}: commands do not run as root (ansible_user ${h.ssh.user}${h.ssh.become ? " with sudo" : ""}); give the user passwordless sudo`);
    const iface = f.interfaces.find((i) => i.name === h.clusterInterface);
    if (!iface) {
      problems.push(
        `${h.name}: no interface ${h.clusterInterface} (has ${f.interfaces.map((i) => i.name).filter((n) => n !== "lo").join(", ") || "none"}); set mmm_cluster_interface`,
      );
    } else if (!iface.addresses.some((a) => a.address === h.address)) {
      problems.push(
        `${h.name}: ${h.clusterInterface} does not hold ${h.address} (it has ${iface.addresses.map((a) => `${a.address}/${a.prefix}`).join(", ") || "no address"}); fix ansible_host or mmm_cluster_interface`,
      );
    }
    if (h.kind !== "monitor") {
      if (!f.mysql && !f.packageManager) {
        problems.push(`${h.name}: no MySQL or MariaDB server installed, and no apt-get, dnf or yum to install one; install the server package and re-run`);
      }
      if (f.mysql) {
        flavors.add(f.mysql.flavor === "percona" ? "mysql" : f.mysql.flavor);
        const unsupported = unsupportedVersion(f.mysql.flavor, f.mysql.version);
        if (unsupported) problems.push(`${h.name}: ${unsupported}`);
      }
    }
    if (!p.inventory.settings.ntpAdjustClock && Math.abs(f.clock.offsetMs) >= MAX_CLOCK_OFFSET_MS) {
      problems.push(
        `${h.name}: clock is ${Math.round(f.clock.offsetMs)} ms off the controller's and mmm_ntp_adjust_clock is false; fix the clock first`,
      );
    }
  }
  if (flavors.size > 1) problems.push(`hosts run different server flavors (${[...flavors].join(" and ")}); mmm replicates between one flavor only`);
  for (const vip of p.vipsAnswering) {
    problems.push(`VIP ${vip} already answers on the network but none of the inventory's hosts holds it; pick a free address`);
  }
  return problems;
}

function unsupportedVersion(flavor: string, version: string): string | null {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  if (flavor === "mariadb" && (major < 10 || (major === 10 && minor < 5))) return `MariaDB ${version} is not supported (10.5 or later)`;
  if (flavor !== "mariadb" && (major < 5 || (major === 5 && minor < 7))) return `MySQL ${version} is not supported (5.7 or later)`;
  return null;
}

/** Every address our hosts hold: a VIP among them belongs to us (the runtime put it there). */
/**
 * The VIPs that answered and are none of our hosts': held by none of them in the facts and not
 * answering from one of their MACs (a VIP the monitor moved between the ping and the facts).
 */
export function foreignVips(answers: readonly { ip: string; mac: string | null }[], facts: ReadonlyMap<string, HostFacts>): string[] {
  const held = heldAddresses(facts);
  const ours = new Set([...facts.values()].flatMap((f) => f.interfaces.flatMap((i) => (i.mac ? [i.mac.toLowerCase()] : []))));
  return answers.filter((v) => !held.has(v.ip) && !(v.mac !== null && ours.has(v.mac))).map((v) => v.ip);
}

function heldAddresses(facts: ReadonlyMap<string, HostFacts>): Set<string> {
  const held = new Set<string>();
  for (const f of facts.values()) for (const i of f.interfaces) for (const a of i.addresses) held.add(a.address);
  return held;
}
