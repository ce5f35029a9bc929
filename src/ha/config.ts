import { CHECK_NAMES, type CheckName, type HostMode, type MmmConfig, type RoleMode } from "../mmm-config/model.js";
import type { MonitorMode } from "./types.js";

/** The part of the MMM configuration the HA core uses, in milliseconds. */

export interface HaHost {
  readonly name: string;
  readonly ip: string;
  readonly mode: HostMode;
  readonly peer?: string;
}

export interface HaRole {
  readonly name: string;
  readonly mode: RoleMode;
  readonly hosts: readonly string[];
  readonly ips: readonly string[];
  readonly prefer?: string;
}

export interface HaCheck {
  readonly checkPeriodMs: number;
  readonly trapPeriodMs: number;
  readonly timeoutMs: number;
  readonly restartAfter: number;
  /** Seconds, like Seconds_Behind_Master. */
  readonly maxBacklog: number;
}

/**
 * Bounds the lease argument rests on (see lease.ts). An agent runs a renewal's lease from its
 * receipt or from `sentAt` + maxMessageAgeMs by its own clock, whichever is earlier, and checks
 * its lease every agentTickMs; clocks differ by at most maxClockSkewMs (bootstrap keeps chrony
 * offsets < 500 ms), which matters only for renewals whose answer the monitor did not get.
 */
export interface LeaseTiming {
  readonly maxMessageAgeMs: number;
  readonly maxClockSkewMs: number;
  readonly agentTickMs: number;
}

/** How long after its send time an unanswered renewal may start a lease, by the monitor's clock. */
export function unansweredLeaseDelayMs(timing: LeaseTiming): number {
  return timing.maxMessageAgeMs + timing.maxClockSkewMs;
}

export const DEFAULT_LEASE_TIMING: LeaseTiming = { maxMessageAgeMs: 500, maxClockSkewMs: 500, agentTickMs: 100 };

export interface HaConfig {
  /** In file order. */
  readonly hosts: readonly HaHost[];
  /** In file order. */
  readonly roles: readonly HaRole[];
  /** The exclusive role whose holder is the one writable host (active_master_role). */
  readonly activeMasterRole: string;
  readonly checks: Readonly<Record<CheckName, HaCheck>>;
  readonly startMode: MonitorMode;
  /** 0: never. */
  readonly autoSetOnlineMs: number;
  readonly flapDurationMs: number;
  /** 0: no flap detection. */
  readonly flapCount: number;
  /** 0: wait forever. */
  readonly waitForOtherMasterMs: number;
  readonly maxCatchupWaitMs: number;
  readonly leaseMs: number;
  /**
   * From the latest time a host's lease may run from (MonitorState.leases), its agent has
   * certainly dropped its VIPs and write access by then + leaseMs + leaseGraceMs (lease.ts).
   */
  readonly leaseGraceMs: number;
  /** How long after it was sent an unanswered renewal may start a lease, by the monitor's clock. */
  readonly unansweredLeaseDelayMs: number;
  readonly maxMessageAgeMs: number;
  /**
   * MMM ignores replication failures of a host whose peer came ONLINE less than 60 s ago
   * (MySQL's default master-connect-retry); mmm also ignores them that long after a new writer.
   */
  readonly replicationGraceMs: number;
  /** MMM: an AWAITING_RECOVERY host whose uptime grew by less than this was only cut off, not rebooted. */
  readonly shortDowntimeS: number;
}

const MODE: Record<string, MonitorMode> = { active: "ACTIVE", manual: "MANUAL", wait: "WAIT", passive: "PASSIVE" };

export function haConfigFromMmm(c: MmmConfig, timing: LeaseTiming = DEFAULT_LEASE_TIMING): HaConfig {
  const s = (x: number) => Math.round(x * 1000);
  const checks = {} as Record<CheckName, HaCheck>;
  for (const name of CHECK_NAMES) {
    const k = c.checks[name];
    checks[name] = {
      checkPeriodMs: s(k.checkPeriod),
      trapPeriodMs: s(k.trapPeriod),
      timeoutMs: s(k.timeout),
      restartAfter: k.restartAfter,
      maxBacklog: k.maxBacklog,
    };
  }
  const m = c.monitor;
  return {
    hosts: c.hosts.map((h) => ({ name: h.name, ip: h.ip, mode: h.mode, ...(h.peer !== undefined ? { peer: h.peer } : {}) })),
    roles: c.roles.map((r) => ({
      name: r.name,
      mode: r.mode,
      hosts: [...r.hosts],
      ips: [...r.ips],
      ...(r.prefer !== undefined ? { prefer: r.prefer } : {}),
    })),
    activeMasterRole: c.activeMasterRole,
    checks,
    startMode: MODE[m?.mode ?? "active"] ?? "ACTIVE",
    autoSetOnlineMs: s(m?.autoSetOnline ?? 0),
    flapDurationMs: s(m?.flapDuration ?? 3600),
    flapCount: m?.flapCount ?? 3,
    waitForOtherMasterMs: s(m?.waitForOtherMaster ?? 120),
    maxCatchupWaitMs: s(m?.maxCatchupWait ?? 10),
    leaseMs: s(c.lease),
    leaseGraceMs: timing.agentTickMs,
    unansweredLeaseDelayMs: unansweredLeaseDelayMs(timing),
    maxMessageAgeMs: timing.maxMessageAgeMs,
    replicationGraceMs: 60_000,
    shortDowntimeS: 60,
  };
}

export function findHaHost(config: HaConfig, name: string): HaHost | undefined {
  return config.hosts.find((h) => h.name === name);
}

export function findHaRole(config: HaConfig, name: string): HaRole | undefined {
  return config.roles.find((r) => r.name === name);
}

export function writerRole(config: HaConfig): HaRole {
  const r = findHaRole(config, config.activeMasterRole);
  if (!r) throw new Error(`active_master_role '${config.activeMasterRole}' is not a configured role`);
  return r;
}

export function roleOfIp(config: HaConfig, ip: string): HaRole | undefined {
  return config.roles.find((r) => r.ips.includes(ip));
}
