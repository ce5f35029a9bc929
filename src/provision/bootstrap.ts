import { randomBytes } from "node:crypto";
import type { Inventory, InventoryHost } from "../inventory/model.js";
import { inventorySecrets } from "../inventory/model.js";
import type { Fleet } from "../remote/fleet.js";
import { sh } from "../remote/shell.js";
import { gatherFacts } from "../facts/gather.js";
import type { HostFacts } from "../facts/parse.js";
import { errorMessage } from "../errors.js";
import { maskSecrets } from "../secret.js";
import { runSteps } from "./apply.js";
import type { ClusterValues, Step } from "./context.js";
import { foreignVips, preflightProblems } from "./preflight.js";
import { recap, type HostRecap, type StepOutcome } from "./report.js";
import { CLUSTER_KEY_FILE } from "./steps/mmm-config.js";

export interface BootstrapOptions {
  readonly inventory: Inventory;
  readonly fleet: Fleet;
  /** The hosts to change (--limit); facts are gathered from every host, as plans need them. */
  readonly hosts: readonly InventoryHost[];
  readonly steps: readonly Step[];
  readonly check: boolean;
  /** Replace a replica's own user data with the first master's (never without it). */
  readonly force?: boolean;
  readonly renderer: "default" | "simple" | "silent";
  readonly parallel: number;
}

export interface BootstrapReport {
  /** Non-empty: bootstrap stopped before changing anything. */
  readonly problems: readonly string[];
  readonly outcomes: readonly StepOutcome[];
  readonly recap: readonly HostRecap[];
  readonly facts: ReadonlyMap<string, HostFacts>;
}

export async function bootstrap(opts: BootstrapOptions): Promise<BootstrapReport> {
  const inv = opts.inventory;
  const secrets = inventorySecrets(inv);
  // The VIP probe and the cluster secret do not depend on facts: overlap them with gathering.
  const vipProbe = probeVips(opts.fleet, inv).catch(() => null);
  const clusterRead = clusterSecret(opts.fleet, inv).catch(() => null);
  const settled = await opts.fleet.each(inv.hosts, (_h, t) => gatherFacts(t));
  const facts = new Map<string, HostFacts>();
  const unreachable = new Map<string, string>();
  settled.forEach((s, i) => {
    const h = inv.hosts[i]!;
    if (s.ok) facts.set(h.name, s.value);
    else unreachable.set(h.name, maskSecrets(errorMessage(s.error).replace(/^[^:]+: /, ""), secrets));
  });

  const vipsAnswering = foreignVips((await vipProbe) ?? [], facts);
  const problems = preflightProblems({ inventory: inv, hosts: inv.hosts, facts, unreachable, vipsAnswering });
  if (problems.length > 0) return { problems, outcomes: [], recap: [], facts };

  const secret = (await clusterRead) ?? (await clusterSecret(opts.fleet, inv));
  const cluster: ClusterValues = { clusterSecret: secret, force: opts.force === true };
  const outcomes = await runSteps({
    inventory: inv,
    fleet: opts.fleet,
    hosts: opts.hosts,
    facts,
    cluster,
    steps: opts.steps,
    check: opts.check,
    renderer: opts.renderer,
    parallel: opts.parallel,
  });
  return { problems: [], outcomes, recap: recap(opts.hosts.map((h) => h.name), outcomes), facts };
}

/**
 * Pings every VIP from the monitor; an answer leaves the answering MAC in the monitor's neighbour
 * table, which tells whose it is (a VIP on the monitor itself answers without one).
 */
async function probeVips(fleet: Fleet, inv: Inventory): Promise<{ ip: string; mac: string | null }[]> {
  const vips = inv.roles.flatMap((r) => r.ips);
  if (vips.length === 0) return [];
  const r = await fleet.get(inv.monitor.name).exec(
    sh`for ip in ${vips}; do ( ping -c 1 -W 0.5 "$ip" >/dev/null 2>&1 && echo "$ip $(ip neigh show "$ip" 2>/dev/null | sed -n 's/.* lladdr \([0-9a-f:]*\).*/\1/p')" ) & done; wait`,
    { check: false },
  );
  return parseVipAnswers(r.stdout);
}

/** "IP [MAC]" lines, sorted by IP. */
export function parseVipAnswers(text: string): { ip: string; mac: string | null }[] {
  return text
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((w) => w[0])
    .map((w) => ({ ip: w[0]!, mac: w[1] ? w[1].toLowerCase() : null }))
    .sort((a, b) => a.ip.localeCompare(b.ip));
}

/** The cluster secret: the monitor's when it has one (so re-runs change nothing), else new. */
async function clusterSecret(fleet: Fleet, inv: Inventory): Promise<string> {
  const current = await fleet.get(inv.monitor.name).readFile(CLUSTER_KEY_FILE);
  const text = current?.toString("utf8").trim() ?? "";
  return /^[0-9a-f]{64}$/.test(text) ? text : randomBytes(32).toString("hex");
}
