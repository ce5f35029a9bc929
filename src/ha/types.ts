import type { CheckName } from "../mmm-config/model.js";
import type { ChecksState } from "./checks.js";
import type { HaConfig } from "./config.js";
import type { MonitorState } from "./state.js";

/**
 * The vocabulary of the HA core: MMM's words (host states, modes, checks) plus the situations,
 * actions and decisions the monitor and agent daemons are written against. All times are epoch
 * milliseconds passed in by the caller; nothing here reads a clock.
 */

export { CHECK_NAMES, type CheckName } from "../mmm-config/model.js";

export const HOST_STATES = [
  "ONLINE",
  "ADMIN_OFFLINE",
  "HARD_OFFLINE",
  "AWAITING_RECOVERY",
  "REPLICATION_DELAY",
  "REPLICATION_FAIL",
] as const;
export type HostState = (typeof HOST_STATES)[number];

export const MONITOR_MODES = ["ACTIVE", "MANUAL", "WAIT", "PASSIVE"] as const;
export type MonitorMode = (typeof MONITOR_MODES)[number];

/**
 * What a cycle found, orchestrator-style (AnalysisCode). Each one has exactly one handler in
 * decide.ts (`Record<Situation, Handler>`), so adding a name without handling it does not compile.
 */
export const SITUATIONS = [
  /** Every host ONLINE (or deliberately ADMIN_OFFLINE) and the writer in place. */
  "Healthy",
  /** The monitor reaches none of ping_ips: it is the one cut off, so it changes nothing. */
  "NoNetwork",
  /** PASSIVE mode: host states are tracked, roles never change. */
  "PassiveMode",
  /** MANUAL mode: roles move only by command. */
  "ManualMode",
  /** WAIT mode: like MANUAL until both masters are ONLINE or wait_for_other_master passed. */
  "WaitMode",
  /** The writer's mysqld stopped answering while its host answers ping. */
  "WriterDead",
  /** The writer's host does not answer ping: maybe only the monitor's path to it is cut. */
  "WriterUnreachable",
  /** No host holds the writer role and one can take it. */
  "NoWriter",
  /** No host can take the writer role. */
  "BothMastersDown",
  /** A writer move is under way; the old writer is neither confirmed fenced nor past its lease. */
  "AwaitingFence",
  /** The old writer is fenced; the candidate is still applying what it received (within the deadline). */
  "AwaitingCatchup",
  /** The candidate missed max_catchup_wait: writes stay refused until it catches up or `move_role --force`. */
  "CatchupTimedOut",
  /** The old writer is fenced (or its lease expired) and the candidate caught up: it becomes writer now. */
  "WriterFenced",
  /** The other master of the pair is HARD_OFFLINE; the writer is fine. */
  "CoMasterDead",
  /** A host holds transactions the writer lacks: it is REPLICATION_FAIL until repaired. */
  "ErrantTransactions",
  /** A slave is HARD_OFFLINE. */
  "ReplicaDead",
  /** A host's replication threads stopped (REPLICATION_FAIL): its reader IPs left it. */
  "ReplicaBroken",
  /** A host lags more than max_backlog (REPLICATION_DELAY): its reader IPs left it. */
  "ReplicaLagging",
  /** A host went down more than flap_count times within flap_duration: it stays AWAITING_RECOVERY. */
  "FlappingHost",
  /** A host is AWAITING_RECOVERY (auto_set_online or `set_online` will bring it back). */
  "HostRecovering",
] as const;
export type Situation = (typeof SITUATIONS)[number];

export interface RoleIp {
  readonly role: string;
  readonly ip: string;
}

/**
 * What the daemons do, as data. Agent-directed actions are idempotent; the monitor executes them
 * in list order and never needs them to succeed for safety: every promotion is decided on the
 * next observation (fence confirmed, or lease provably expired), never on an action's result.
 */
export type Action =
  /** Old writer: drop the writer VIP(s), read_only=1 (super_read_only on MySQL 8), kill client connections. */
  | { readonly kind: "fence"; readonly host: string; readonly ips: readonly string[]; readonly reason: string }
  /** Extend the agent's lease on what it holds (VIPs, writability) by leaseMs from receipt. */
  | { readonly kind: "renew-lease"; readonly host: string; readonly leaseMs: number }
  /** read_only=0 (and super_read_only=0). Only ever for the one writer. */
  | { readonly kind: "set-writable"; readonly host: string }
  /** read_only=1 on a host that is writable but must not be. */
  | { readonly kind: "set-read-only"; readonly host: string }
  /** Configure the VIP on cluster_interface and announce it (gratuitous ARP). */
  | { readonly kind: "add-vip"; readonly host: string; readonly role: string; readonly ip: string }
  | { readonly kind: "remove-vip"; readonly host: string; readonly role: string; readonly ip: string }
  /** The monitor's ARP check saw another MAC for the VIP: announce again (issue 4, point 7). */
  | { readonly kind: "announce-vip"; readonly host: string; readonly ip: string }
  /**
   * Poll the candidate until it has applied `gtid` (and its whole relay log), never past
   * `deadline` — e.g. MASTER_GTID_WAIT with a timeout. Only speeds up the next cycle.
   */
  | { readonly kind: "wait-catchup"; readonly host: string; readonly deadline: number; readonly gtid?: string }
  /** CHANGE MASTER to `source` with GTID auto-positioning, so nothing is applied twice or skipped. */
  | { readonly kind: "repoint-replica"; readonly host: string; readonly source: string }
  /** Run MMM's kill_host_bin: the host answers ping but its agent cannot be told anything. */
  | { readonly kind: "kill-host"; readonly host: string }
  | { readonly kind: "alert"; readonly situation: Situation; readonly message: string };

export type ActionKind = Action["kind"];

export interface Decision {
  readonly code: Situation;
  /** One sentence: what the monitor does and why. Logged once per cycle that changes something. */
  readonly reason: string;
  readonly actions: readonly Action[];
  /** The state to persist (status_path) before executing the actions. */
  readonly next: MonitorState;
  /** MMM-style log lines for state changes this cycle ("State of host 'db1' changed from …"). */
  readonly events: readonly string[];
  /** Something changed (state, roles, situation, or an action beyond lease renewal and ARP). */
  readonly changed: boolean;
}

/** What the monitor learned about one host this cycle. `null`: not observed (down, unreachable, timed out). */
export interface HostObservation {
  readonly agent: AgentObservation | null;
  readonly mysql: MysqlObservation | null;
  /**
   * A request granting this host a VIP or write access may still land after its agent answered
   * (it was queued behind a slow one): the answer shows what the host holds, not what it may
   * soon hold, so it proves no grant void.
   */
  readonly grantsPending?: boolean;
}

/** The agent's own report (MMM's GET_SYSTEM_STATUS plus uptime). */
export interface AgentObservation {
  /** VIPs configured on the host right now. */
  readonly vips: readonly string[];
  /** read_only=0 on the local mysqld; null when mysqld is down (it cannot take writes then). */
  readonly writable: boolean | null;
  /** Seconds the host has been up (MMM's UP: field); used for "down for only N seconds". */
  readonly uptime?: number;
}

/** The monitor's own look at mysqld (read the writer's GTID set after the others', see ha/index.ts). */
export interface MysqlObservation {
  readonly readOnly: boolean;
  /** gtid_executed (MySQL) / gtid_current_pos (MariaDB), in the server's own syntax. */
  readonly gtidExecuted?: string;
  /** null: the host replicates from nobody. */
  readonly replication: ReplicationObservation | null;
}

export interface ReplicationObservation {
  /** The source, mapped from Master_Host to a host name (undefined: not one of ours). */
  readonly source?: string;
  readonly ioRunning: boolean;
  readonly sqlRunning: boolean;
  readonly secondsBehind: number | null;
  /** Retrieved_Gtid_Set (MySQL) / gtid_io_pos (MariaDB): what the relay log received. */
  readonly retrievedGtid?: string;
  /** Read/Exec positions equal: every event received has been applied (works without GTID). */
  readonly relayLogApplied?: boolean;
  /** Auto-positioned by GTID (MASTER_AUTO_POSITION=1 / MASTER_USE_GTID=slave_pos). */
  readonly usingGtid?: boolean;
}

/** Everything decide() needs, gathered by the monitor's observe step. */
export interface Snapshot {
  readonly config: HaConfig;
  readonly state: MonitorState;
  readonly checks: ChecksState;
  readonly observed: Readonly<Record<string, HostObservation>>;
  /** The monitor reaches at least one of ping_ips (MMM's NetworkChecker). */
  readonly network: boolean;
  /** Optional ARP check from the monitor: which host answered for each VIP (null: nobody). */
  readonly arp?: Readonly<Record<string, string | null>>;
}

export const NOT_OBSERVED: HostObservation = { agent: null, mysql: null };

export function isCheckName(s: string): s is CheckName {
  return s === "ping" || s === "mysql" || s === "rep_threads" || s === "rep_backlog";
}
