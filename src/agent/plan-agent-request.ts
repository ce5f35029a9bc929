import type { AgentRequest } from "../protocol/agent-messages.js";
import { agentLeaseStep, agentMayHoldRoles, type AgentLeaseAction, type AgentLeaseOptions, type AgentLeaseState } from "../ha/lease.js";

/**
 * The agent's decisions, pure: (request, what the host holds now, lease, now) → local operations.
 * The daemon (agent-daemon.ts) observes, calls this, runs the operations in order and answers.
 * No IO and no clock here; tests cover every command over hand-written observations.
 *
 * Safety rules enforced here rather than trusted to the monitor (issue 4, points 2 and 3):
 *  - a command whose sentAt is more than maxMessageAgeMs away from this host's clock is refused
 *    (get-state excepted: it changes nothing; renew-lease too: a late one grants only the lease
 *    left, see ha/lease.ts), so a delayed command cannot undo a later decision;
 *  - add-vip and set-writable only while agentMayHoldRoles() holds;
 *  - only the cluster's role IPs (the <role> ips of the config) are ever added or removed, so a
 *    mistaken request cannot take the host's own address or a stranger's IP;
 *  - every operation is idempotent: a VIP already present is not added again, one absent is not
 *    removed, read_only already on is not set again.
 */

/** What the host holds, read just before planning. */
export interface AgentObserved {
  /** Role IPs configured on the cluster interface now. */
  readonly vips: readonly string[];
  /** read_only=0 on the local mysqld; null when mysqld does not answer. */
  readonly writable: boolean | null;
  /** Where the local server replicates from; null: nowhere (or mysqld down, see `writable`). */
  readonly replica: ReplicaSource | null;
}

export interface ReplicaSource {
  readonly host: string;
  readonly port: number;
  /** GTID auto-positioning in use (MariaDB Using_Gtid Slave_Pos/Current_Pos, MySQL Auto_Position=1). */
  readonly gtid: boolean;
  /** IO and SQL threads both running. */
  readonly running: boolean;
}

/** One local change, in the order the daemon must run them. */
export type LocalOp =
  /** `ip addr add IP/32 dev IF valid_lft S preferred_lft S`: the kernel drops it if nobody renews. */
  | { readonly kind: "add-ip"; readonly ip: string; readonly lifetimeS: number }
  /** `ip addr change … valid_lft S preferred_lft S` on a VIP held, when the lease is renewed. */
  | { readonly kind: "renew-ip"; readonly ip: string; readonly lifetimeS: number }
  | { readonly kind: "remove-ip"; readonly ip: string }
  /** Gratuitous ARP for a VIP this host holds. */
  | { readonly kind: "arp"; readonly ip: string }
  | { readonly kind: "set-read-only" }
  | { readonly kind: "set-writable" }
  /** KILL every client session but mmm's own accounts, replication and system threads. */
  | { readonly kind: "kill-clients" }
  | { readonly kind: "stop-replica" }
  /** CHANGE MASTER with GTID auto-positioning and the configured replication account. */
  | { readonly kind: "change-source"; readonly host: string; readonly port: number }
  | { readonly kind: "start-replica" }
  /** Bounded: until `gtid` is applied (if given) and the relay log is fully applied. */
  | { readonly kind: "wait-catchup"; readonly gtid?: string; readonly timeoutMs: number };

export type LocalOpKind = LocalOp["kind"];

/** What the daemon answers once the operations ran. */
export type AgentReply = "state" | "ack" | "catchup";

export interface AgentPlanOptions extends AgentLeaseOptions {
  /** The role IPs of the configuration: the only addresses the agent manages. */
  readonly roleIps: readonly string[];
  /**
   * When the request arrived (default: now on both clocks). Its age is judged at arrival by the
   * wall clock, so a request that waited behind a slow operation is not refused for it; a renewal
   * runs from arrival by the lease clock, never later.
   */
  readonly received?: AgentClocks;
}

/** The agent's two clocks: the wall clock judges message ages, the monotonic lease clock runs leases. */
export interface AgentClocks {
  readonly wall: number;
  readonly lease: number;
}

export type AgentPlan =
  | {
      readonly ok: true;
      readonly lease: AgentLeaseState;
      readonly ops: readonly LocalOp[];
      readonly reply: AgentReply;
      /** For the ack and the log: what is done, or why nothing is. */
      readonly detail: string;
    }
  | { readonly ok: false; readonly lease: AgentLeaseState; readonly error: string };

/** Seconds the kernel keeps a VIP: the lease left, whole seconds, at least 1 (ip's minimum). */
export function vipLifetimeSeconds(lease: AgentLeaseState, now: number): number {
  const left = lease.expiresAt === null ? 0 : lease.expiresAt - now;
  // Rounded down so that a dead agent's VIP disappears no later than its lease would.
  return Math.max(1, Math.floor(left / 1000));
}

/** `now`: the agent's lease clock (see ha/lease.ts). */
export function planAgentRequest(
  req: AgentRequest,
  observed: AgentObserved,
  lease: AgentLeaseState,
  now: number,
  options: AgentPlanOptions,
): AgentPlan {
  const refuse = (error: string): AgentPlan => ({ ok: false, lease, error });
  const done = (ops: LocalOp[], detail: string, reply: AgentReply = "ack", next: AgentLeaseState = lease): AgentPlan => ({
    ok: true,
    lease: next,
    ops,
    reply,
    detail,
  });

  const received = options.received ?? { wall: now, lease: now };
  // get-state changes nothing; a late renew-lease is shortened by the lease itself (ha/lease.ts).
  if (req.kind !== "get-state" && req.kind !== "renew-lease") {
    const age = received.wall - req.sentAt;
    if (Math.abs(age) > options.maxMessageAgeMs) {
      return refuse(
        `refusing ${req.kind} sent ${(age / 1000).toFixed(3)} s ago: more than ${options.maxMessageAgeMs} ms apart from this host's clock (delayed, or clocks out of sync)`,
      );
    }
  }
  const holds = (ip: string): boolean => observed.vips.includes(ip);
  const known = (ip: string): string | null =>
    options.roleIps.includes(ip) ? null : `${ip} is not a role IP of this cluster (role ips: ${options.roleIps.join(", ") || "none"})`;

  switch (req.kind) {
    case "get-state":
      return done([], "state", "state");

    case "fence": {
      // A fence is never refused for a bad IP: read_only and the kills matter more than one address.
      const unknown = req.ips.filter((ip) => known(ip) !== null);
      const skipped = unknown.length ? `; ignored ${unknown.join(", ")} (not role IPs of this cluster)` : "";
      const removals: LocalOp[] = req.ips.filter((ip) => holds(ip) && known(ip) === null).map((ip) => ({ kind: "remove-ip", ip }));
      if (observed.writable === null) {
        return done(removals, `fenced (${describeIps(removals)}); mysqld does not answer, so read_only and client kills were skipped${skipped}`);
      }
      // Clients are killed before read_only too: SET GLOBAL read_only waits for every LOCK TABLES
      // and open transaction, so killing them first keeps the fence fast. Writes they made before
      // read_only are in this host's binlog, which the new writer catches up on. The second kill
      // ends sessions that connected in between, so applications reconnect to the new writer.
      // The VIPs go last: a kill's RST leaves from the VIP, and once the address is gone it
      // cannot, so the client would wait for its own timeout instead of reconnecting at once.
      // (The monitor promotes only after the whole fence is confirmed, so the order is not a
      // safety matter; lease expiry, which must not wait for mysqld, drops VIPs first.)
      const ops: LocalOp[] = observed.writable ? [{ kind: "kill-clients" }, { kind: "set-read-only" }] : [];
      ops.push({ kind: "kill-clients" }, ...removals);
      return done(ops, `fenced: ${describeIps(ops)}, read_only ${observed.writable ? "set" : "already on"}, client connections killed${skipped}`);
    }

    case "renew-lease": {
      const step = agentLeaseStep(lease, { kind: "renew", sentAt: req.sentAt, leaseMs: req.leaseMs, wallAt: received.wall }, received.lease, options);
      if (step.state === lease) return refuse(step.reason ?? "lease renewal refused");
      const lifetimeS = vipLifetimeSeconds(step.state, now);
      const ops: LocalOp[] = observed.vips.map((ip) => ({ kind: "renew-ip", ip, lifetimeS }));
      return done(ops, `lease renewed for ${req.leaseMs} ms${step.reason ? ` (${step.reason})` : ""}`, "ack", step.state);
    }

    case "set-writable":
      if (!agentMayHoldRoles(lease, now, received.wall)) return refuse("refusing set-writable: this agent holds no lease (renew-lease first)");
      if (observed.writable === null) return refuse("cannot set writable: mysqld does not answer");
      if (observed.writable) return done([], "already writable");
      return done([{ kind: "set-writable" }], "read_only off");

    case "set-read-only":
      if (observed.writable === null) return refuse("cannot set read_only: mysqld does not answer");
      if (!observed.writable) return done([], "already read_only");
      return done([{ kind: "set-read-only" }], "read_only on");

    case "add-vip": {
      const unknown = known(req.ip);
      if (unknown) return refuse(`refusing add-vip for role ${req.role}: ${unknown}`);
      if (!agentMayHoldRoles(lease, now, received.wall)) return refuse(`refusing add-vip ${req.ip} (${req.role}): this agent holds no lease (renew-lease first)`);
      if (holds(req.ip)) return done([], `${req.ip} (${req.role}) already present`);
      return done(
        [
          { kind: "add-ip", ip: req.ip, lifetimeS: vipLifetimeSeconds(lease, now) },
          { kind: "arp", ip: req.ip },
        ],
        `added ${req.ip} (${req.role}) and announced it`,
      );
    }

    case "remove-vip": {
      const unknown = known(req.ip);
      if (unknown) return refuse(`refusing remove-vip for role ${req.role}: ${unknown}`);
      if (!holds(req.ip)) return done([], `${req.ip} (${req.role}) already absent`);
      return done([{ kind: "remove-ip", ip: req.ip }], `removed ${req.ip} (${req.role})`);
    }

    case "announce-vip":
      if (!holds(req.ip)) return refuse(`cannot announce ${req.ip}: this host does not hold it`);
      return done([{ kind: "arp", ip: req.ip }], `announced ${req.ip}`);

    case "wait-catchup":
      if (observed.writable === null) return refuse("cannot wait for catch-up: mysqld does not answer");
      return done(
        [{ kind: "wait-catchup", timeoutMs: req.timeoutMs, ...(req.gtid !== undefined ? { gtid: req.gtid } : {}) }],
        `waiting up to ${req.timeoutMs} ms for catch-up`,
        "catchup",
      );

    case "repoint-replica": {
      if (observed.writable === null) return refuse(`cannot repoint to ${req.source}: mysqld does not answer`);
      const r = observed.replica;
      if (r && r.host === req.sourceAddress && r.port === req.sourcePort && r.gtid && r.running) {
        return done([], `already replicating from ${req.source} (${req.sourceAddress}:${req.sourcePort}) by GTID`);
      }
      const ops: LocalOp[] = r ? [{ kind: "stop-replica" }] : [];
      ops.push({ kind: "change-source", host: req.sourceAddress, port: req.sourcePort }, { kind: "start-replica" });
      return done(
        ops,
        `replicating from ${req.source} (${req.sourceAddress}:${req.sourcePort}) by GTID`,
      );
    }
  }
}

/**
 * The lease's own actions (expiry, agent start) as local operations: VIPs first — they need no
 * mysqld — then read_only and client kills when mysqld answers.
 */
export function planLeaseActions(actions: readonly AgentLeaseAction[], observed: AgentObserved): LocalOp[] {
  const wants = (kind: AgentLeaseAction["kind"]): boolean => actions.some((a) => a.kind === kind);
  const ops: LocalOp[] = wants("drop-vips") ? observed.vips.map((ip): LocalOp => ({ kind: "remove-ip", ip })) : [];
  // Kills cut off sessions that could go on writing here; a read_only host's cannot, so they
  // are left alone (an admin's, a tool's like mmm verify's, the monitor's).
  const kill = wants("kill-clients") && observed.writable === true;
  // As in fence: kill before read_only so that a LOCK TABLES holder cannot delay it.
  if (wants("set-read-only") && observed.writable === true) ops.push(...(kill ? [{ kind: "kill-clients" } as const] : []), { kind: "set-read-only" });
  if (kill) ops.push({ kind: "kill-clients" });
  return ops;
}

function describeIps(ops: readonly LocalOp[]): string {
  const ips = ops.flatMap((o) => (o.kind === "remove-ip" ? [o.ip] : []));
  return ips.length ? `removed ${ips.join(", ")}` : "no VIP held";
}

/** The SQL thread executed everything the IO thread wrote to the relay log. */
export function isRelayLogApplied(s: {
  readonly sourceLogFile: string;
  readonly readSourceLogPos: number | null;
  readonly relaySourceLogFile: string;
  readonly execSourceLogPos: number | null;
}): boolean {
  return s.readSourceLogPos !== null && s.relaySourceLogFile === s.sourceLogFile && s.execSourceLogPos === s.readSourceLogPos;
}
