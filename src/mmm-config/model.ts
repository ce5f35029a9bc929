import type { Secret } from "../secret.js";

/**
 * The typed form of MMM 2.2's configuration (mmm_common.conf + mmm_agent.conf / mmm_mon.conf),
 * after `include`, `<host default>` / `<check default>` inheritance and MMM's own defaults.
 * Field names are camelCase; the file keys are MMM's snake_case (see keys.ts for the mapping).
 *
 * Two sets of defaults exist on purpose:
 * - MMM_DEFAULTS: what a key means when a file leaves it out. They are MMM 2.2's values
 *   (lib/Common/Config.pm RULESET), so a real MMM file means the same thing to us as to MMM.
 * - RECOMMENDED_* : what `mmm bootstrap` writes explicitly, tuned for the failover targets of
 *   issue 4 (a killed mysqld is replaced within ~2 s; a 1 s network hiccup moves nothing).
 */

export const CHECK_NAMES = ["ping", "mysql", "rep_threads", "rep_backlog"] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export type HostMode = "master" | "slave";
export type RoleMode = "exclusive" | "balanced";
export type MonitorStartMode = "active" | "manual" | "wait" | "passive";
export type SocketType = "plain" | "ssl";
export type MmmProgram = "agent" | "monitor" | "control";

export interface MmmHost {
  readonly name: string;
  readonly ip: string;
  readonly mode: HostMode;
  /** Masters: the other master. */
  readonly peer?: string;
  readonly pidPath?: string;
  readonly binPath?: string;
  readonly agentPort: number;
  readonly clusterInterface?: string;
  readonly mysqlPort: number;
  readonly mysqlPidfile: string;
  readonly mysqlRcscript: string;
  readonly mysqlCnf: string;
  readonly agentUser?: string;
  readonly agentPassword?: Secret;
  readonly monitorUser?: string;
  readonly monitorPassword?: Secret;
  readonly replicationUser?: string;
  readonly replicationPassword?: Secret;
  /**
   * MMM tools keys (ssh_user, backup_dir, lvm_* …): accepted so real MMM files load, kept
   * verbatim so they render back, never used by mmm.
   */
  readonly tools: Readonly<Record<string, string | Secret>>;
}

export interface MmmRole {
  readonly name: string;
  readonly mode: RoleMode;
  readonly hosts: readonly string[];
  readonly ips: readonly string[];
  /** Exclusive roles only: the host that gets the role when it is unassigned. */
  readonly prefer?: string;
}

export interface MmmMonitor {
  readonly ip: string;
  readonly port: number;
  readonly pidPath?: string;
  readonly binPath?: string;
  readonly statusPath?: string;
  /** Seconds between network checks of ping_ips. */
  readonly pingInterval: number;
  readonly pingIps: readonly string[];
  /** Seconds: a host going down more than flapCount times within this window is flapping. */
  readonly flapDuration: number;
  readonly flapCount: number;
  /** Seconds in AWAITING_RECOVERY after which a host is set ONLINE by itself; 0 = never. */
  readonly autoSetOnline: number;
  readonly killHostBin: string;
  readonly carefulStartup: boolean;
  readonly mode: MonitorStartMode;
  /** Seconds WAIT mode waits for the second master before switching to ACTIVE; 0 = forever. */
  readonly waitForOtherMaster: number;
  /**
   * mmm extra (`max_catchup_wait`, seconds): how long a new writer may take to apply what it
   * received before the monitor alerts. Writes stay refused past it unless `move_role --force`.
   */
  readonly maxCatchupWait: number;
}

export interface MmmCheck {
  /** Seconds between two runs of the check on one host. */
  readonly checkPeriod: number;
  /** Seconds a failure must persist before it counts. */
  readonly trapPeriod: number;
  /** Seconds before one run is given up as failed. */
  readonly timeout: number;
  /** Restart the checker after this many runs. */
  readonly restartAfter: number;
  /** rep_backlog: seconds of replication lag still OK. */
  readonly maxBacklog: number;
}

export interface MmmSocket {
  readonly type: SocketType;
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly caFile?: string;
}

export interface MmmConfig {
  readonly activeMasterRole: string;
  readonly debug: boolean;
  readonly maxKillRetries: number;
  /** mmm_agent.conf: the host this agent runs on. */
  readonly this?: string;
  /** In file order, without the `default` template. */
  readonly hosts: readonly MmmHost[];
  readonly roles: readonly MmmRole[];
  /** Absent in an agent's view (mmm_agent.conf does not include a <monitor> section). */
  readonly monitor?: MmmMonitor;
  readonly checks: Readonly<Record<CheckName, MmmCheck>>;
  readonly socket: MmmSocket;
  /**
   * mmm extra (`lease`, seconds): an agent that hears nothing from the monitor for this long
   * drops its VIPs and sets read_only by itself.
   */
  readonly lease: number;
  /** mmm extra (`cluster_secret_file`): the shared secret authenticating monitor↔agent↔control. */
  readonly clusterSecretFile: string;
}

/** MMM 2.2's defaults (lib/Common/Config.pm), plus the defaults of mmm's extra keys. */
export const MMM_DEFAULTS = {
  debug: false,
  maxKillRetries: 10,
  host: {
    agentPort: 9989,
    mysqlPort: 3306,
    mysqlPidfile: "/var/run/mysqld/mysqld.pid",
    mysqlRcscript: "/etc/init.d/mysql",
    mysqlCnf: "/etc/my.cnf",
  },
  monitor: {
    port: 9988,
    pingInterval: 1,
    flapDuration: 3600,
    flapCount: 3,
    autoSetOnline: 0,
    killHostBin: "kill_host",
    carefulStartup: true,
    mode: "active" as MonitorStartMode,
    waitForOtherMaster: 120,
    maxCatchupWait: 10,
  },
  check: { checkPeriod: 5, trapPeriod: 10, timeout: 2, restartAfter: 10000, maxBacklog: 60 } satisfies MmmCheck,
  socket: { type: "plain" as SocketType },
  lease: 3,
  clusterSecretFile: "/etc/mysql-mmm/cluster.key",
} as const;

/**
 * Check settings `mmm bootstrap` renders. A mysqld that refuses connections is seen within
 * check_period and counts after trap_period; one network hiccup of 1 s yields at most one
 * timed-out run (timeout 1 s, next run 0.5 s later succeeds), which never lasts trap_period.
 * ping gets a longer trap_period: an unreachable writer is replaced only after its lease
 * anyway, so there is nothing to gain from trapping it sooner.
 */
export const RECOMMENDED_CHECKS: Readonly<Record<CheckName, MmmCheck>> = {
  ping: { checkPeriod: 0.5, trapPeriod: 2, timeout: 1, restartAfter: 10000, maxBacklog: 60 },
  mysql: { checkPeriod: 0.5, trapPeriod: 1, timeout: 1, restartAfter: 10000, maxBacklog: 60 },
  rep_threads: { checkPeriod: 1, trapPeriod: 2, timeout: 1, restartAfter: 10000, maxBacklog: 60 },
  rep_backlog: { checkPeriod: 1, trapPeriod: 5, timeout: 1, restartAfter: 10000, maxBacklog: 60 },
};

/** Monitor settings `mmm bootstrap` renders (the tutorial's auto_set_online 60 is kept). */
export const RECOMMENDED_MONITOR = {
  autoSetOnline: 60,
  flapDuration: 3600,
  flapCount: 3,
  waitForOtherMaster: 120,
  maxCatchupWait: 10,
} as const;

export function findMmmHost(config: MmmConfig, name: string): MmmHost | undefined {
  return config.hosts.find((h) => h.name === name);
}

export function findMmmRole(config: MmmConfig, name: string): MmmRole | undefined {
  return config.roles.find((r) => r.name === name);
}
