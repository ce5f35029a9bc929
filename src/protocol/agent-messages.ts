import { z } from "zod";

/**
 * What the monitor asks an agent (the body of a signed envelope to agent HOST on agent_port).
 * One message kind per agent-side action of src/ha (Action), plus the state report. Every
 * command carries `sentAt` (the monitor's clock): the agent refuses one older than the lease
 * timing's maxMessageAgeMs, so a delayed command cannot undo a later decision.
 */
const base = { sentAt: z.number().int().nonnegative() };

export const AgentRequestSchema = z.discriminatedUnion("kind", [
  /** MMM's GET_SYSTEM_STATUS: VIPs held, writability, uptime, lease. */
  z.object({ kind: z.literal("get-state"), ...base }),
  /** Drop `ips`, read_only=1 (super_read_only on MySQL 8), kill client connections. */
  z.object({ kind: z.literal("fence"), ips: z.array(z.string()), reason: z.string(), ...base }),
  /** Extend what the agent holds by leaseMs from receipt; starts the lease on first use. */
  z.object({ kind: z.literal("renew-lease"), leaseMs: z.number().int().positive(), ...base }),
  z.object({ kind: z.literal("set-writable"), ...base }),
  z.object({ kind: z.literal("set-read-only"), ...base }),
  z.object({ kind: z.literal("add-vip"), role: z.string(), ip: z.string(), ...base }),
  z.object({ kind: z.literal("remove-vip"), role: z.string(), ip: z.string(), ...base }),
  /** Gratuitous ARP for a VIP this host holds. */
  z.object({ kind: z.literal("announce-vip"), ip: z.string(), ...base }),
  /** Bounded wait until the local server applied `gtid` and its whole relay log. */
  z.object({ kind: z.literal("wait-catchup"), gtid: z.string().optional(), timeoutMs: z.number().int().positive(), ...base }),
  /** CHANGE MASTER to the named host's address with GTID auto-positioning, then start. */
  z.object({ kind: z.literal("repoint-replica"), source: z.string(), sourceAddress: z.string(), sourcePort: z.number().int(), ...base }),
]);
export type AgentRequest = z.infer<typeof AgentRequestSchema>;

export const AgentStateSchema = z.object({
  host: z.string(),
  vips: z.array(z.string()),
  /** null: mysqld does not answer. */
  writable: z.boolean().nullable(),
  uptime: z.number(),
  /** ms of lease left; null: no lease held. */
  leaseLeftMs: z.number().nullable(),
});
export type AgentState = z.infer<typeof AgentStateSchema>;

/** The answer to every command but get-state and wait-catchup. */
export const AgentAckSchema = z.object({ done: z.literal(true), detail: z.string().optional() });

export const CatchupResultSchema = z.object({ outcome: z.enum(["reached", "timeout", "not-replicating"]) });

/** What `mmm control` sends the monitor on monitor_port: one MMM control command line. */
export const ControlRequestSchema = z.object({ kind: z.literal("command"), line: z.string(), ...base });
export const ControlResponseSchema = z.object({ output: z.string(), exitCode: z.number().int() });
