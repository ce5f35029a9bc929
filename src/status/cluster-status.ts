import { z } from "zod";
import type { ReplicaStatus } from "../sql/status.js";
import { replicationError } from "../sql/status.js";
import { formatMmmTime } from "../ha/format.js";
import type { MonitorState, RoleAssignment } from "../ha/state.js";

/**
 * `mmm status`: what the monitor says (states, reasons, roles) next to what every host says
 * (VIPs on its interface, replication, read_only, GTID position), and every disagreement or
 * unhealthy state as one sentence. Pure: the gatherers in gather-status.ts feed it.
 */

export interface StatusHost {
  readonly name: string;
  readonly address: string;
  readonly mode: "master" | "slave";
}

export interface StatusRole {
  readonly name: string;
  readonly ips: readonly string[];
}

/** The cluster as configured (from the inventory, or from mmm_mon.conf on the monitor host). */
export interface StatusTopology {
  readonly monitor: { readonly name: string; readonly address: string };
  readonly hosts: readonly StatusHost[];
  readonly roles: readonly StatusRole[];
}

/** The `status` object of the monitor's control answer (src/monitor/monitor-daemon.ts summary()). */
export const MonitorSummarySchema = z.object({
  mode: z.string(),
  hosts: z.array(
    z.object({
      name: z.string(),
      state: z.string(),
      reason: z.string(),
      roles: z.array(z.object({ role: z.string(), ip: z.string() })),
    }),
  ),
});
export type MonitorSummary = z.infer<typeof MonitorSummarySchema>;

export interface MonitorHostView {
  readonly state: string;
  readonly reason: string;
  /** When the state last changed; null when only the live answer (which carries no time) was had. */
  readonly since: number | null;
}

export interface MonitorView {
  /** live: the monitor answered now; stored: it did not, this is its status file; none: neither. */
  readonly source: "live" | "stored" | "none";
  /** Why the monitor did not answer. */
  readonly error?: string;
  readonly mode: string | null;
  readonly hosts: Readonly<Record<string, MonitorHostView>>;
  /** Every role IP of the topology; host null: unassigned. */
  readonly roles: readonly RoleAssignment[];
  /** When the status file was last written (stored view: how old the picture is). */
  readonly storedAt: number | null;
}

/**
 * The monitor's picture from its live answer and its status file: the live answer wins for
 * states, reasons and roles (the file may be a cycle behind); the file adds when each state
 * began, kept only while it names the same state.
 */
export function mergeMonitorView(
  topology: StatusTopology,
  live: MonitorSummary | null,
  liveError: string | undefined,
  stored: MonitorState | null,
): MonitorView {
  const allIps = topology.roles.flatMap((r) => r.ips.map((ip) => ({ role: r.name, ip })));
  if (live) {
    const holder = new Map<string, string>();
    for (const h of live.hosts) for (const r of h.roles) holder.set(r.ip, h.name);
    const hosts: Record<string, MonitorHostView> = {};
    for (const h of live.hosts) {
      const rec = stored?.hosts[h.name];
      hosts[h.name] = { state: h.state, reason: h.reason, since: rec && rec.state === h.state ? rec.since : null };
    }
    return {
      source: "live",
      mode: live.mode,
      hosts,
      roles: allIps.map((a) => ({ ...a, host: holder.get(a.ip) ?? null })),
      storedAt: stored?.updatedAt ?? null,
    };
  }
  const error = liveError ?? "no answer";
  if (stored) {
    const hosts: Record<string, MonitorHostView> = {};
    for (const [name, rec] of Object.entries(stored.hosts)) hosts[name] = { state: rec.state, reason: rec.reason, since: rec.since };
    return {
      source: "stored",
      error,
      mode: stored.mode,
      hosts,
      roles: allIps.map((a) => ({ ...a, host: stored.roles.find((r) => r.ip === a.ip)?.host ?? null })),
      storedAt: stored.updatedAt,
    };
  }
  return { source: "none", error, mode: null, hosts: {}, roles: allIps.map((a) => ({ ...a, host: null })), storedAt: null };
}

/** What one database host's mysqld says. */
export interface MysqlView {
  readonly serverId: number;
  readonly readOnly: boolean;
  /** gtid_binlog_pos (MariaDB) or gtid_executed (MySQL). */
  readonly gtid: string;
  readonly replica: ReplicaStatus | null;
}

/** What one database host says about itself; null parts could not be read (the error says why). */
export interface HostObservation {
  readonly name: string;
  /** IPv4 addresses on its cluster interface. */
  readonly addresses: readonly string[] | null;
  readonly addressError?: string;
  readonly mysql: MysqlView | null;
  readonly mysqlError?: string;
}

export interface HostStatus {
  readonly name: string;
  readonly address: string;
  readonly mode: "master" | "slave";
  /** The monitor's word; null when it gave none. */
  readonly state: string | null;
  readonly since: number | null;
  readonly reason: string | null;
  /** Roles the monitor assigns to this host. */
  readonly roles: readonly { readonly role: string; readonly ip: string }[];
  /** Role IPs actually on the host's interface; null: not readable. */
  readonly vips: readonly string[] | null;
  /** vips differ from roles (null when either side is unknown). */
  readonly vipMismatch: boolean | null;
  /** Host name of the replication source (its address when it is no cluster host); null: not a replica. */
  readonly source: string | null;
  readonly io: string | null;
  readonly sql: boolean | null;
  readonly lag: number | null;
  readonly gtid: string | null;
  readonly readOnly: boolean | null;
  readonly serverId: number | null;
}

export interface ClusterStatus {
  readonly at: number;
  readonly monitor: {
    readonly name: string;
    readonly address: string;
    readonly source: MonitorView["source"];
    readonly error?: string;
    readonly mode: string | null;
    readonly storedAt: number | null;
  };
  readonly hosts: readonly HostStatus[];
  readonly unassigned: readonly { readonly role: string; readonly ip: string }[];
  /** One sentence each; empty when healthy. */
  readonly problems: readonly string[];
  readonly ok: boolean;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().join(",") === [...b].sort().join(",");
}

/** Replication threads in words: "IO thread connecting, SQL thread stopped". */
function threadTrouble(r: ReplicaStatus): string | null {
  const parts: string[] = [];
  if (r.ioRunning !== "yes") parts.push(`IO thread ${r.ioRunning === "no" ? "stopped" : r.ioRunning}`);
  if (!r.sqlRunning) parts.push("SQL thread stopped");
  return parts.length ? parts.join(", ") : null;
}

export function buildClusterStatus(
  topology: StatusTopology,
  monitor: MonitorView,
  observations: readonly HostObservation[],
  now: number,
): ClusterStatus {
  const problems: string[] = [];
  const roleIps = new Map(topology.roles.flatMap((r) => r.ips.map((ip) => [ip, r.name] as const)));
  const nameOfAddress = new Map(topology.hosts.map((h) => [h.address, h.name]));
  const mon = topology.monitor;

  if (monitor.source !== "live") {
    const stored =
      monitor.source === "stored" && monitor.storedAt !== null
        ? `; states and roles below are from its status file, written ${formatMmmTime(monitor.storedAt)}`
        : "; states and roles below are unknown";
    problems.push(`monitor: no answer from ${mon.name} (${mon.address}): ${monitor.error ?? "unknown error"}${stored}`);
  } else if (monitor.mode !== null && monitor.mode !== "ACTIVE") {
    problems.push(`monitor: mode ${monitor.mode}: roles do not move by themselves (mmm control set_active)`);
  }

  const holders = new Map<string, string[]>();
  const hosts: HostStatus[] = topology.hosts.map((h) => {
    const obs = observations.find((o) => o.name === h.name);
    const mv = monitor.hosts[h.name];
    const roles = monitor.roles.filter((r) => r.host === h.name).map((r) => ({ role: r.role, ip: r.ip }));
    const vips = obs?.addresses ? obs.addresses.filter((a) => roleIps.has(a)) : null;
    for (const ip of vips ?? []) holders.set(ip, [...(holders.get(ip) ?? []), h.name]);
    const known = monitor.source !== "none";
    const vipMismatch = vips !== null && known ? !sameSet(vips, roles.map((r) => r.ip)) : null;
    const my = obs?.mysql ?? null;
    const rep = my?.replica ?? null;

    if (mv && mv.state !== "ONLINE") {
      const since = mv.since !== null ? ` since ${formatMmmTime(mv.since)}` : "";
      problems.push(`${h.name}: ${mv.state}${since}${mv.reason ? `: ${mv.reason}` : ""}`);
    } else if (!mv && known) {
      problems.push(`${h.name}: the monitor does not know this host (is its configuration up to date? re-run mmm bootstrap)`);
    }
    if (!obs || obs.addresses === null) problems.push(`${h.name}: cannot read its interface: ${obs?.addressError ?? "not observed"}`);
    if (!my) problems.push(`${h.name}: cannot query MySQL: ${obs?.mysqlError ?? "not observed"}`);
    if (vipMismatch && vips) {
      for (const r of roles) {
        if (!vips.includes(r.ip)) problems.push(`${h.name}: the monitor assigns ${r.role}(${r.ip}) but the IP is not on the host`);
      }
      for (const ip of vips) {
        if (roles.some((r) => r.ip === ip)) continue;
        const owner = monitor.roles.find((r) => r.ip === ip)?.host ?? null;
        problems.push(`${h.name}: holds ${roleIps.get(ip)}(${ip}), which the monitor assigns to ${owner ?? "no host"}`);
      }
    }
    const shouldReplicate = h.mode === "slave" || topology.hosts.filter((x) => x.mode === "master").length > 1;
    if (my && !rep && shouldReplicate) problems.push(`${h.name}: does not replicate from any host`);
    if (rep) {
      const trouble = threadTrouble(rep);
      if (trouble) {
        const err = replicationError(rep);
        const from = nameOfAddress.get(rep.sourceHost) ?? rep.sourceHost;
        problems.push(`${h.name}: replication from ${from}: ${trouble}${err ? ` (${err})` : ""}`);
      }
    }
    return {
      name: h.name,
      address: h.address,
      mode: h.mode,
      state: mv?.state ?? null,
      since: mv?.since ?? null,
      reason: mv?.reason ?? null,
      roles,
      vips,
      vipMismatch,
      source: rep ? (nameOfAddress.get(rep.sourceHost) ?? rep.sourceHost) : null,
      io: rep ? rep.ioRunning : null,
      sql: rep ? rep.sqlRunning : null,
      lag: rep ? rep.secondsBehind : null,
      gtid: my?.gtid ?? null,
      readOnly: my?.readOnly ?? null,
      serverId: my?.serverId ?? null,
    };
  });

  for (const [ip, on] of holders) {
    if (on.length > 1) problems.push(`${roleIps.get(ip)}(${ip}) is on ${on.join(" and ")} at once`);
  }
  const unassigned = monitor.source === "none" ? [] : monitor.roles.filter((r) => r.host === null).map((r) => ({ role: r.role, ip: r.ip }));
  for (const r of unassigned) problems.push(`role ${r.role}(${r.ip}) is not assigned to any host`);

  return {
    at: now,
    monitor: {
      name: mon.name,
      address: mon.address,
      source: monitor.source,
      ...(monitor.error !== undefined ? { error: monitor.error } : {}),
      mode: monitor.mode,
      storedAt: monitor.storedAt,
    },
    hosts,
    unassigned,
    problems,
    ok: problems.length === 0,
  };
}
