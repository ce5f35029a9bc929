import { networkInterfaces } from "node:os";
import { localRunner, TIMED_OUT, type RunResult } from "../util/runner.js";
import { readFile } from "node:fs/promises";
import { RemoteError } from "../errors.js";
import type { Secret } from "../secret.js";
import {
  changeSource,
  killConnection,
  listClientConnections,
  parseWaitResult,
  selectReadOnly,
  setReadOnly,
  showReplicaStatus,
  startReplica,
  stopReplica,
  waitForGtid,
} from "../sql/statements.js";
import { isFenced, parseReadOnly, parseReplicaStatus } from "../sql/status.js";
import type { AgentMysql } from "./agent-mysql.js";
import { isRelayLogApplied, type AgentObserved, type LocalOp } from "./plan-agent-request.js";

/**
 * The agent's IO: the cluster interface (`ip`, `arping`) and the local mysqld. Every operation
 * is bounded in time, so a stuck mysqld cannot hold the lease timer (agent-daemon.ts) for long.
 */
export interface AgentHostOptions {
  readonly iface: string;
  readonly roleIps: readonly string[];
  /** Accounts whose sessions fencing keeps (mmm's own). */
  readonly mmmUsers: readonly string[];
  readonly replication: { readonly user: string; readonly password: Secret } | null;
  readonly log: (line: string) => void;
}

/** Bound on one SQL statement of the agent (read_only waits for the global read lock at most this). */
const SQL_TIMEOUT_MS = 2_000;
const LOCK_WAIT_S = 1;
const CMD_TIMEOUT_MS = 3_000;

export type CatchupOutcome = "reached" | "timeout" | "not-replicating";

export class AgentHost {
  constructor(
    private readonly o: AgentHostOptions,
    private readonly mysql: AgentMysql,
  ) {}

  /**
   * Role IPs on the cluster interface now, from getifaddrs(3) rather than `ip`: the monitor asks
   * several times a second, and a process per question cost four idle agents half a CPU.
   */
  async readVips(): Promise<string[]> {
    const addrs = (networkInterfaces()[this.o.iface] ?? []).filter((a) => a.family === "IPv4").map((a) => a.address);
    return this.o.roleIps.filter((ip) => addrs.includes(ip));
  }

  /** read_only=0 (and super_read_only=0 where it exists); null when mysqld does not answer. */
  async readWritable(): Promise<boolean | null> {
    try {
      const d = await this.mysql.ready();
      const [row] = await this.mysql.run(selectReadOnly(d), SQL_TIMEOUT_MS);
      return !parseReadOnly(d, row ?? {}).readOnly;
    } catch {
      return null;
    }
  }

  async observe(withReplica: boolean): Promise<AgentObserved> {
    const [vips, writable] = await Promise.all([this.readVips(), this.readWritable()]);
    let replica: AgentObserved["replica"] = null;
    if (withReplica && writable !== null) {
      const d = await this.mysql.ready();
      const s = parseReplicaStatus(await this.mysql.run(showReplicaStatus(d), SQL_TIMEOUT_MS));
      if (s && s.sourceHost !== "") {
        replica = {
          host: s.sourceHost,
          port: s.sourcePort ?? 3306,
          gtid: s.gtid.kind === "mariadb" ? s.gtid.using !== "no" : s.gtid.autoPosition,
          running: s.ioRunning === "yes" && s.sqlRunning,
        };
      }
    }
    return { vips, writable, replica };
  }

  /** Runs one operation; throws RemoteError naming it when it fails. */
  async run(op: LocalOp): Promise<string | null> {
    const dev = this.o.iface;
    switch (op.kind) {
      case "add-ip": {
        const life = String(op.lifetimeS);
        await command("ip", ["addr", "add", `${op.ip}/32`, "dev", dev, "valid_lft", life, "preferred_lft", life]);
        return `added ${op.ip}/32 on ${dev} (kernel lifetime ${life} s)`;
      }
      case "renew-ip": {
        // `ip addr change` creates an address that is gone: only extend one still held.
        if (!(await this.readVips()).includes(op.ip)) return null;
        const life = String(op.lifetimeS);
        await command("ip", ["addr", "change", `${op.ip}/32`, "dev", dev, "valid_lft", life, "preferred_lft", life]);
        return null;
      }
      case "remove-ip":
        await command("ip", ["addr", "del", `${op.ip}/32`, "dev", dev]);
        return `removed ${op.ip} from ${dev}`;
      case "arp":
        this.announce(op.ip);
        return `gratuitous ARP for ${op.ip} on ${dev}`;
      case "set-read-only":
        return this.setReadOnly();
      case "set-writable": {
        const d = await this.mysql.ready();
        for (const st of setReadOnly(d, false, { lockWaitTimeout: LOCK_WAIT_S })) await this.mysql.run(st, SQL_TIMEOUT_MS);
        return "read_only off";
      }
      case "kill-clients":
        return this.killClients();
      case "stop-replica": {
        const d = await this.mysql.ready();
        await this.mysql.run(stopReplica(d), SQL_TIMEOUT_MS * 5);
        return "replication stopped";
      }
      case "change-source": {
        const r = this.o.replication;
        if (!r) throw new RemoteError(op.host, "no replication_user/replication_password in the agent's configuration: cannot repoint replication");
        const d = await this.mysql.ready();
        const st = changeSource(d, { host: op.host, port: op.port, user: r.user, password: r.password, position: { kind: "gtid" }, connectRetry: 1 });
        await this.mysql.run(st, SQL_TIMEOUT_MS);
        return `${st.display}`;
      }
      case "start-replica": {
        const d = await this.mysql.ready();
        await this.mysql.run(startReplica(d), SQL_TIMEOUT_MS);
        return "replication started";
      }
      case "wait-catchup":
        return `catch-up: ${await this.waitCatchup(op.timeoutMs, op.gtid)}`;
    }
  }

  /**
   * read_only on, bounded: SET GLOBAL read_only waits for the global read lock, which a client
   * holding LOCK TABLES or a long transaction blocks; then its sessions are killed and it is tried once more.
   */
  private async setReadOnly(): Promise<string> {
    const d = await this.mysql.ready();
    const attempt = async (): Promise<void> => {
      for (const st of setReadOnly(d, true, { lockWaitTimeout: LOCK_WAIT_S })) await this.mysql.run(st, SQL_TIMEOUT_MS);
    };
    try {
      await attempt();
      return "read_only on";
    } catch (err) {
      this.o.log(`read_only did not take within ${LOCK_WAIT_S} s (${(err as Error).message}); killing client connections and retrying`);
      await this.killClients();
      await attempt();
      const [row] = await this.mysql.run(selectReadOnly(d), SQL_TIMEOUT_MS);
      if (!isFenced(parseReadOnly(d, row ?? {}))) throw new RemoteError("localhost", "read_only is still off after SET GLOBAL read_only = ON");
      return "read_only on (after killing blocking clients)";
    }
  }

  private async killClients(): Promise<string> {
    const d = await this.mysql.ready();
    const rows = await this.mysql.run(listClientConnections(d, this.o.mmmUsers), SQL_TIMEOUT_MS);
    const killed: string[] = [];
    for (const r of rows) {
      const id = Number(r.id);
      try {
        await this.mysql.run(killConnection(d, id), SQL_TIMEOUT_MS);
        killed.push(`${id} (${String(r.user)}@${String(r.host)})`);
      } catch {
        // Already gone between the list and the kill.
      }
    }
    return killed.length ? `killed client connections ${killed.join(", ")}` : "no client connections to kill";
  }

  /** Sends gratuitous ARP (Habets arping, Debian's `arping`) without waiting: nobody answers one. */
  private announce(ip: string): void {
    // -U: unsolicited ARP with sender and target = the VIP, so neighbours update their caches.
    localRunner()
      .run("arping", ["-q", "-U", "-c", "3", "-w", "1", "-i", this.o.iface, "-S", ip, ip], CMD_TIMEOUT_MS)
      .then(
        (r) => {
          // Exit 1 means "no reply", the normal outcome of an unsolicited ARP.
          if (r.code === 127) this.o.log(`arping for ${ip} failed to start: ${r.stderr.trim()} (install Debian's arping package)`);
          else if (r.code !== 0 && r.code !== 1) this.o.log(`arping for ${ip} on ${this.o.iface} exited ${r.code}: ${r.stderr.trim()}`);
        },
        (err: unknown) => this.o.log(`arping for ${ip} failed: ${(err as Error).message}`),
      );
  }

  /**
   * Until `gtid` is applied (when given) and the SQL thread executed all the relay log holds,
   * never past timeoutMs. Uses its own session so that the lease timer is not held up.
   */
  async waitCatchup(timeoutMs: number, gtid?: string): Promise<CatchupOutcome> {
    const deadline = Date.now() + timeoutMs;
    const d = await this.mysql.ready();
    if (gtid) {
      const left = Math.max(0.001, (deadline - Date.now()) / 1000);
      const [row] = await this.mysql.run(waitForGtid(d, gtid, left), timeoutMs + SQL_TIMEOUT_MS);
      const outcome = parseWaitResult(d, "gtid", row?.result);
      if (outcome !== "reached") return outcome;
    }
    for (;;) {
      const s = parseReplicaStatus(await this.mysql.run(showReplicaStatus(d), SQL_TIMEOUT_MS));
      if (!s || s.sourceHost === "") return gtid ? "reached" : "not-replicating";
      if (isRelayLogApplied(s)) return "reached";
      if (!s.sqlRunning) return "not-replicating";
      if (Date.now() >= deadline) return "timeout";
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Seconds since boot (MMM's UP:), from /proc/uptime. */
export async function readUptime(): Promise<number> {
  const text = await readFile("/proc/uptime", "utf8");
  return Number(text.split(/\s+/)[0]);
}

/** Through the helper shell (util/runner.ts): a fork of the agent per `ip` held up its answers. */
async function command(file: string, args: readonly string[]): Promise<string> {
  const line = `${file} ${args.join(" ")}`;
  let r: RunResult;
  try {
    r = await localRunner().run(file, args, CMD_TIMEOUT_MS);
  } catch (err) {
    throw new RemoteError("localhost", `${line} failed: ${(err as Error).message}`, { command: line });
  }
  if (r.code === 0) return r.stdout;
  const why = r.code === TIMED_OUT ? `no exit within ${CMD_TIMEOUT_MS} ms` : r.stderr.trim() || `exit status ${r.code}`;
  throw new RemoteError("localhost", `${line} failed: ${why}`, { command: line });
}
