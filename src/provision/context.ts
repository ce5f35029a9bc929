import type { Inventory, InventoryHost } from "../inventory/model.js";
import type { HostFacts } from "../facts/parse.js";
import type { Transport } from "../remote/transport.js";
import type { MysqlSession } from "../remote/mysql.js";
import type { StepPlan } from "./change.js";
import type { HostProbe } from "./files.js";

/** Everything a planner may look at: data only, so plans are pure functions of it. */
export interface PlanInput {
  readonly inventory: Inventory;
  readonly host: InventoryHost;
  readonly facts: HostFacts;
  /** Facts of every host in this run (a slave's plan needs its master's). */
  readonly allFacts: ReadonlyMap<string, HostFacts>;
  /** Values decided once per run for the whole cluster (e.g. the cluster secret). */
  readonly cluster: ClusterValues;
  /** Hosts that failed an earlier step of this run. */
  readonly failedHosts: ReadonlySet<string>;
}

export interface ClusterValues {
  /** Hex; read from the monitor when it already has one, generated otherwise. */
  readonly clusterSecret: string;
  /** --force: a replica's own user data may be replaced by the first master's. */
  readonly force: boolean;
}

export interface HostContext extends PlanInput {
  readonly transport: Transport;
  /** The admin MySQL session, opened on first use and closed by the runner. */
  readonly mysql: () => Promise<MysqlSession>;
  /** Admin sessions to other hosts (replication setup reads a master's state). */
  readonly mysqlOf: (host: string) => Promise<MysqlSession>;
  /** SSH to another host of the inventory (a copy streams from its source). */
  readonly transportOf: (host: string) => Transport;
  /** Whether a host holds a seeded copy (SEED_MARKER), read once per run until something changes. */
  readonly isSeeded: (host: string) => Promise<boolean>;
}

/**
 * One bootstrap step: observe (IO) → plan (pure) → apply (IO, exactly the plan).
 * A step that needs no custom apply leaves it out and gets the generic one.
 */
export interface Step<O = unknown> {
  readonly id: string;
  readonly title: string;
  appliesTo(host: InventoryHost): boolean;
  /** Facts are gathered again on hosts this step changed (e.g. after installing a package). */
  readonly refreshesFacts?: boolean;
  observe(ctx: HostContext): Promise<O>;
  /**
   * The same observation as data, when it is only commands and files: observations made ahead
   * (prefetch) then share one round trip per host. observe must equal runProbe(probe(ctx)).
   */
  probe?(ctx: HostContext): HostProbe<O>;
  plan(observed: O, input: PlanInput): StepPlan;
  apply?(ctx: HostContext, plan: StepPlan): Promise<void>;
}
