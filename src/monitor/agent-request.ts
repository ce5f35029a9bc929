import type { Action } from "../ha/index.js";
import type { AgentRequest } from "../protocol/agent-messages.js";

/** Where the monitor reaches one host: its agent and its mysqld. */
export interface MonitoredHost {
  readonly name: string;
  readonly ip: string;
  readonly agentPort: number;
  readonly mysqlPort: number;
}

/**
 * The agent message carrying one HA action, or null for actions the monitor handles itself
 * (alert, kill-host). Pure: `sentAt` is the monitor's clock at sending.
 */
export function toAgentRequest(action: Action, hosts: readonly MonitoredHost[], sentAt: number, now: number): AgentRequest | null {
  switch (action.kind) {
    case "fence":
      return { kind: "fence", ips: [...action.ips], reason: action.reason, sentAt };
    case "renew-lease":
      return { kind: "renew-lease", leaseMs: action.leaseMs, sentAt };
    case "set-writable":
      return { kind: "set-writable", sentAt };
    case "set-read-only":
      return { kind: "set-read-only", sentAt };
    case "add-vip":
      return { kind: "add-vip", role: action.role, ip: action.ip, sentAt };
    case "remove-vip":
      return { kind: "remove-vip", role: action.role, ip: action.ip, sentAt };
    case "announce-vip":
      return { kind: "announce-vip", ip: action.ip, sentAt };
    case "wait-catchup":
      return {
        kind: "wait-catchup",
        ...(action.gtid !== undefined ? { gtid: action.gtid } : {}),
        timeoutMs: Math.max(1, Math.round(action.deadline - now)),
        sentAt,
      };
    case "repoint-replica": {
      const source = hosts.find((h) => h.name === action.source);
      if (!source) return null;
      return { kind: "repoint-replica", source: source.name, sourceAddress: source.ip, sourcePort: source.mysqlPort, sentAt };
    }
    case "kill-host":
    case "alert":
      return null;
  }
}

/** The host an action is sent to; null for the monitor's own actions. */
export function actionHost(action: Action): string | null {
  return action.kind === "alert" ? null : action.host;
}
