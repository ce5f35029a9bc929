import { z } from "zod";
import { ConfigError } from "../errors.js";
import { DEFAULT_LEASE_TIMING, unansweredLeaseDelayMs, type HaConfig } from "./config.js";
import { HOST_STATES, MONITOR_MODES, SITUATIONS, type HostState, type MonitorMode, type Situation } from "./types.js";

/**
 * What the monitor persists in status_path (MMM kept `host|state|roles` lines there): modes,
 * host states with their flap counters, role assignments, and what the safety argument needs
 * across a restart — when leases were last renewed, which hosts may hold which VIP or be
 * writable, and a writer move in progress. Versioned JSON, validated with zod on load.
 */

export interface HostRecord {
  readonly state: HostState;
  /** When the state last changed. */
  readonly since: number;
  /** Why it is in this state, as a clause: "mysql: connection refused for 1.2 s". */
  readonly reason: string;
  readonly onlineSince: number | null;
  readonly flapping: boolean;
  readonly flapStart: number | null;
  readonly flapCount: number;
  /** The agent's uptime (s) last seen while ONLINE (MMM's last_uptime). */
  readonly lastOnlineUptime: number | null;
  /** Transactions this host has that the writer lacks. */
  readonly errant: { readonly gtids: string; readonly since: number } | null;
}

export interface RoleAssignment {
  readonly role: string;
  readonly ip: string;
  /** null: orphaned (MMM's assigned_to ''). */
  readonly host: string | null;
}

/**
 * Hosts that may hold each VIP or be writable because the monitor told them so, until an
 * observation shows otherwise or their lease has provably run out. Nothing is granted to a
 * host while another host may still hold the same thing.
 */
export interface Grants {
  readonly vips: Readonly<Record<string, readonly string[]>>;
  readonly writable: readonly string[];
}

export type TransitionCause = "failover" | "move_role" | "set_offline" | "initial";

/** A writer move: fence `from`, wait (bounded) for `to` to catch up, then make `to` writable. */
export interface WriterTransition {
  readonly ip: string;
  readonly from: string | null;
  readonly to: string;
  readonly cause: TransitionCause;
  /** The sentence logged when it started. */
  readonly why: string;
  readonly startedAt: number;
  /** `move_role --force`: promote without waiting for catch-up (never without fencing). */
  readonly forced: boolean;
  /** When no other host could write or hold the VIP any more; the catch-up deadline counts from here. */
  readonly fencedAt: number | null;
  readonly fencedBy: "confirmed" | "lease-expired" | "none" | null;
  /** The catch-up timeout was alerted. */
  readonly alerted: boolean;
}

export interface MonitorState {
  readonly version: 2;
  readonly mode: MonitorMode;
  /** Why the monitor is PASSIVE (MMM's passive_info). */
  readonly passiveInfo: string;
  readonly hosts: Readonly<Record<string, HostRecord>>;
  readonly roles: readonly RoleAssignment[];
  /** Per host: the latest time its agent's lease may run from (lease.ts says how it is booked). */
  readonly leases: Readonly<Record<string, number>>;
  readonly grants: Grants;
  readonly transition: WriterTransition | null;
  /** The last host that held the writer role (for catch-up when the role was unassigned). */
  readonly lastWriter: string | null;
  /** When the current writer got the role. */
  readonly writerSince: number | null;
  /** The code of the last decision (alerts fire when it changes). */
  readonly situation: Situation;
  readonly updatedAt: number;
}

export interface InitialStateOptions {
  /** MMM starts new hosts in AWAITING_RECOVERY; bootstrap may start them ONLINE after verifying them. */
  readonly hostState?: HostState;
}

/**
 * A monitor starting without a status file knows nothing about earlier grants, so it assumes
 * the worst until observations clear it: every host may hold every VIP and be writable, under a
 * lease renewed just now and not answered.
 */
export function initialMonitorState(config: HaConfig, now: number, options: InitialStateOptions = {}): MonitorState {
  const hostState = options.hostState ?? "AWAITING_RECOVERY";
  const names = config.hosts.map((h) => h.name);
  const hosts: Record<string, HostRecord> = {};
  for (const n of names) hosts[n] = newHostRecord(hostState, now, "new host");
  const vips: Record<string, string[]> = {};
  for (const r of config.roles) for (const ip of r.ips) vips[ip] = [...names];
  return {
    version: 2,
    mode: config.startMode,
    passiveInfo: config.startMode === "PASSIVE" ? "Configured to start up in passive mode." : "",
    hosts,
    roles: config.roles.flatMap((r) => r.ips.map((ip) => ({ role: r.name, ip, host: null }))),
    leases: Object.fromEntries(names.map((n) => [n, now + config.unansweredLeaseDelayMs])),
    grants: { vips, writable: [...names] },
    transition: null,
    lastWriter: null,
    writerSince: null,
    situation: "Healthy",
    updatedAt: now,
  };
}

export function newHostRecord(state: HostState, now: number, reason: string): HostRecord {
  return {
    state,
    since: now,
    reason,
    onlineSince: state === "ONLINE" ? now : null,
    flapping: false,
    flapStart: null,
    flapCount: 0,
    lastOnlineUptime: null,
    errant: null,
  };
}

/**
 * A loaded state fitted to the current configuration, as MMM does at startup: new hosts start
 * AWAITING_RECOVERY (and are assumed to hold anything, under a fresh lease), removed hosts and
 * IPs are dropped, and a role stays only on a host that may still carry it. Every lease counts
 * as renewed just now and not answered: the monitor does not write lease times (a quiet cycle
 * writes nothing), and the one that stopped may have sent a renewal up to its last moment.
 */
export function adoptMonitorState(state: MonitorState, config: HaConfig, now: number): MonitorState {
  const names = config.hosts.map((h) => h.name);
  const added = names.filter((n) => !(n in state.hosts));
  const hosts: Record<string, HostRecord> = {};
  for (const n of names) hosts[n] = state.hosts[n] ?? newHostRecord("AWAITING_RECOVERY", now, "new host");
  const roles = config.roles.flatMap((r) =>
    r.ips.map((ip) => {
      const old = state.roles.find((a) => a.role === r.name && a.ip === ip);
      const host = old?.host && r.hosts.includes(old.host) && names.includes(old.host) ? old.host : null;
      return { role: r.name, ip, host };
    }),
  );
  const vips: Record<string, string[]> = {};
  for (const r of config.roles) {
    for (const ip of r.ips) vips[ip] = [...(state.grants.vips[ip] ?? names).filter((h) => names.includes(h)), ...added];
  }
  const leases: Record<string, number> = {};
  for (const n of names) {
    leases[n] = Math.max(state.leases[n] ?? -Infinity, now + config.unansweredLeaseDelayMs);
  }
  const t = state.transition;
  const transitionOk = t !== null && names.includes(t.to) && (t.from === null || names.includes(t.from));
  return {
    ...state,
    hosts,
    roles,
    leases,
    grants: { vips, writable: [...state.grants.writable.filter((h) => names.includes(h)), ...added] },
    transition: transitionOk ? t : null,
    lastWriter: state.lastWriter !== null && names.includes(state.lastWriter) ? state.lastWriter : null,
  };
}

// ---------------------------------------------------------------------------------------------
// status_path: JSON with a version, validated on load.

const time = z.number().finite();
const hostRecordSchema = z
  .object({
    state: z.enum(HOST_STATES),
    since: time,
    reason: z.string(),
    onlineSince: time.nullable(),
    flapping: z.boolean(),
    flapStart: time.nullable(),
    flapCount: z.number().int().nonnegative(),
    lastOnlineUptime: z.number().nullable(),
    errant: z.object({ gtids: z.string(), since: time }).strict().nullable(),
  })
  .strict();

export const monitorStateSchema = z
  .object({
    version: z.literal(2),
    mode: z.enum(MONITOR_MODES),
    passiveInfo: z.string(),
    hosts: z.record(z.string(), hostRecordSchema),
    roles: z.array(z.object({ role: z.string(), ip: z.string(), host: z.string().nullable() }).strict()),
    leases: z.record(z.string(), time),
    grants: z.object({ vips: z.record(z.string(), z.array(z.string())), writable: z.array(z.string()) }).strict(),
    transition: z
      .object({
        ip: z.string(),
        from: z.string().nullable(),
        to: z.string(),
        cause: z.enum(["failover", "move_role", "set_offline", "initial"]),
        why: z.string(),
        startedAt: time,
        forced: z.boolean(),
        fencedAt: time.nullable(),
        fencedBy: z.enum(["confirmed", "lease-expired", "none"]).nullable(),
        alerted: z.boolean(),
      })
      .strict()
      .nullable(),
    lastWriter: z.string().nullable(),
    writerSince: time.nullable(),
    situation: z.enum(SITUATIONS),
    updatedAt: time,
  })
  .strict();

export function serializeMonitorState(state: MonitorState): string {
  return JSON.stringify(state, null, 2) + "\n";
}

/** Parses status_path; problems name the JSON path and say what to do. */
export function parseMonitorState(text: string, file: string): MonitorState {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      `${file}: not a monitor status file (${err instanceof Error ? err.message : String(err)}); move it away to start without stored status`,
    );
  }
  const version = (data as { version?: unknown } | null)?.version;
  if (version === 1) data = fromVersion1(data as { leases?: unknown });
  else if (version !== 2) {
    throw new ConfigError(
      `${file}: status file version ${JSON.stringify(version)} is not supported (expected 2); move it away to start without stored status`,
    );
  }
  const r = monitorStateSchema.safeParse(data);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${file}: ${i.path.join(".") || "(top)"}: ${i.message}`);
    throw new ConfigError(`${file}: invalid monitor status file; move it away to start without stored status`, problems);
  }
  return r.data as MonitorState;
}

/**
 * Version 1 stored each lease's last send time, before leases were counted from answers: read
 * as unanswered renewals, with the default timing's delay (an older monitor had no other).
 */
function fromVersion1(data: { leases?: unknown }): unknown {
  const delay = unansweredLeaseDelayMs(DEFAULT_LEASE_TIMING);
  const leases = data.leases;
  if (leases === null || typeof leases !== "object") return { ...data, version: 2 };
  const moved = Object.entries(leases).map(([h, t]) => [h, typeof t === "number" ? t + delay : t]);
  return { ...data, version: 2, leases: Object.fromEntries(moved) };
}
