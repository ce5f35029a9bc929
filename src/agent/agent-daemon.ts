import type { Server } from "node:net";
import { ConfigError } from "../errors.js";
import { agentLeaseOptions, agentLeaseStep, agentMayHoldRoles, NO_LEASE, type AgentLeaseAction, type AgentLeaseState, type LeaseTiming } from "../ha/index.js";
import { AgentRequestSchema, type AgentState } from "../protocol/agent-messages.js";
import { serve, DEFAULT_MAX_SKEW_MS } from "../protocol/wire.js";
import type { MmmConfig } from "../mmm-config/model.js";
import { AgentHost, readUptime } from "./agent-host.js";
import { AgentMysql } from "./agent-mysql.js";
import { planAgentRequest, planLeaseActions, vipLifetimeSeconds, type AgentPlan, type LocalOp } from "./plan-agent-request.js";
import type { Secret } from "../secret.js";
import { closeLocalRunner } from "../util/runner.js";

/**
 * The agent daemon: a thin shell around planAgentRequest. Requests and lease ticks run one at a
 * time (observe → plan → run), so what a plan assumed is what the host holds, and get-state
 * reports what every earlier command did. Only a renewal's lease step and wait-catchup run
 * outside that queue (wait-catchup on its own MySQL session), so neither a slow command nor a
 * long wait delays a renewal or lease expiry.
 */
export interface AgentDaemonOptions {
  readonly config: MmmConfig;
  readonly secret: Buffer;
  readonly timing: LeaseTiming;
  readonly log: (line: string) => void;
  /** Overrides the configured listen address (tests). */
  readonly listenHost?: string;
}

export interface AgentDaemon {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  /** Drops VIPs and sets read_only (as a lost lease would), then stops listening. */
  close(): Promise<void>;
}

export interface AgentSettings {
  readonly name: string;
  readonly ip: string;
  readonly port: number;
  readonly iface: string;
  readonly mysqlPort: number;
  readonly agentUser: string;
  readonly agentPassword: Secret;
  readonly roleIps: readonly string[];
  readonly mmmUsers: readonly string[];
  readonly replication: { readonly user: string; readonly password: Secret } | null;
}

/** What the agent needs from mmm_agent.conf; names the missing key and file otherwise. */
export function agentSettings(config: MmmConfig, file: string): AgentSettings {
  const name = config.this;
  if (!name) throw new ConfigError(`${file}: no 'this HOST' line: the agent does not know which host it runs on`);
  const host = config.hosts.find((h) => h.name === name);
  if (!host) throw new ConfigError(`${file}: this ${name}: no <host ${name}> section (hosts: ${config.hosts.map((h) => h.name).join(", ")})`);
  if (!host.clusterInterface) throw new ConfigError(`${file}: <host ${name}> has no cluster_interface (the interface the VIPs go on, e.g. eth0)`);
  if (!host.agentUser || !host.agentPassword) throw new ConfigError(`${file}: <host ${name}> needs agent_user and agent_password (the agent's MySQL account)`);
  const users = [host.agentUser, host.monitorUser, host.replicationUser, ...config.hosts.flatMap((h) => [h.agentUser, h.monitorUser, h.replicationUser])];
  return {
    name,
    ip: host.ip,
    port: host.agentPort,
    iface: host.clusterInterface,
    mysqlPort: host.mysqlPort,
    agentUser: host.agentUser,
    agentPassword: host.agentPassword,
    roleIps: [...new Set(config.roles.flatMap((r) => r.ips))],
    mmmUsers: [...new Set(users.filter((u): u is string => !!u))],
    replication: host.replicationUser && host.replicationPassword ? { user: host.replicationUser, password: host.replicationPassword } : null,
  };
}

export async function startAgentDaemon(o: AgentDaemonOptions, file: string): Promise<AgentDaemon> {
  const s = agentSettings(o.config, file);
  const secrets = s.replication ? [s.replication.password] : [];
  const mysqlOptions = { host: s.ip, port: s.mysqlPort, user: s.agentUser, password: s.agentPassword, secrets, connectTimeoutMs: 1_000 };
  const hostOptions = { iface: s.iface, roleIps: s.roleIps, mmmUsers: s.mmmUsers, replication: s.replication, log: o.log };
  const mysql = new AgentMysql(mysqlOptions);
  const host = new AgentHost(hostOptions, mysql);
  const leaseOptions = agentLeaseOptions(o.timing);
  // The lease runs on the monotonic clock (ha/lease.ts); read this way it starts out equal to
  // the wall clock, so the two agree in logs until the wall clock is stepped.
  const leaseClock = (): number => performance.timeOrigin + performance.now();
  let lease: AgentLeaseState = NO_LEASE;
  const started = Date.now();

  // One queue for everything that reads or changes what the host holds.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };

  const runOps = async (ops: readonly LocalOp[], why: string, on: AgentHost = host): Promise<void> => {
    const failures: string[] = [];
    for (const op of ops) {
      try {
        const line = await on.run(op);
        if (line) o.log(`${line} (${why})`);
      } catch (err) {
        const msg = (err as Error).message;
        o.log(`${op.kind} failed (${why}): ${msg}`);
        failures.push(`${op.kind}: ${msg}`);
      }
    }
    if (failures.length) throw new Error(failures.join("; "));
  };

  /** A host observed to hold nothing: what each part of the lease's actions is planned against. */
  const none = { vips: [], writable: null, replica: null };
  /**
   * Carries out the lease's actions on `on`: VIPs first, without waiting for mysqld (a hung
   * server must not keep an address up), then read_only and kills.
   */
  const dropVips = async (actions: readonly AgentLeaseAction[], why: string, on: AgentHost): Promise<void> => {
    await runOps(planLeaseActions(actions, { ...none, vips: await on.readVips() }), why, on);
  };
  const dropWrites = async (actions: readonly AgentLeaseAction[], why: string, on: AgentHost): Promise<void> => {
    await runOps(planLeaseActions(actions, { ...none, writable: await on.readWritable() }), why, on);
  };
  const dropAll = async (actions: readonly AgentLeaseAction[], why: string, on: AgentHost): Promise<void> => {
    await dropVips(actions, why, on);
    await dropWrites(actions, why, on);
  };

  // Lease expiry does not wait in the queue: a request stuck behind a slow statement must not
  // delay it past the bound the monitor counts on (lease + agentTickMs). It runs on its own
  // MySQL session, then once more in the queue to undo anything a request in flight added.
  const expiryMysql = new AgentMysql(mysqlOptions);
  const expiryHost = new AgentHost(hostOptions, expiryMysql);
  // Every expiry drops the VIPs at once; the MySQL part runs one at a time, so a hung mysqld
  // does not stack sessions, and never holds back a later expiry's VIP drop.
  let expiring = false;
  const tick = (): void => {
    const step = agentLeaseStep(lease, { kind: "tick", wallAt: Date.now() }, leaseClock(), leaseOptions);
    if (step.actions.length === 0) return;
    lease = step.state;
    if (step.reason) o.log(step.reason);
    const failed = (err: unknown) => o.log(`lease expiry: ${(err as Error).message}`);
    dropVips(step.actions, "lease expired", expiryHost).catch(failed);
    if (!expiring) {
      expiring = true;
      dropWrites(step.actions, "lease expired", expiryHost)
        .catch(failed)
        .finally(() => {
          expiring = false;
        });
    }
    serial(async () => {
      if (lease.expiresAt === null) await dropAll(step.actions, "lease expired", host);
    }).catch(failed);
  };

  // get-state waits its turn in the queue (what it reports must include every command queued
  // before it: the monitor takes it as the truth), then reads on its own session.
  const stateMysql = new AgentMysql(mysqlOptions);
  const stateHost = new AgentHost(hostOptions, stateMysql);
  const state = async (): Promise<AgentState> => {
    const observed = await stateHost.observe(false);
    const now = leaseClock();
    return {
      host: s.name,
      vips: [...observed.vips],
      writable: observed.writable,
      uptime: await readUptime(),
      leaseLeftMs: lease.expiresAt === null ? null : Math.max(0, lease.expiresAt - now),
    };
  };

  const waitMysql = new AgentMysql(mysqlOptions);
  const waitHost = new AgentHost(hostOptions, waitMysql);

  const handle = async (body: unknown, from: string): Promise<unknown> => {
    const parsed = AgentRequestSchema.safeParse(body);
    if (!parsed.success) {
      const why = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
      o.log(`refused a malformed request from ${from}: ${why}`);
      throw new Error(`malformed request: ${why}`);
    }
    const req = parsed.data;
    const received = { wall: Date.now(), lease: leaseClock() };
    const options = { roleIps: s.roleIps, ...leaseOptions, received };
    if (req.kind === "renew-lease") {
      // A renewal changes only the lease, so it is taken at once rather than behind the queue:
      // a slow command (a fence's kills on a loaded mysqld) must not hold it past the monitor's
      // pacing, or a busy writer would fence itself. Extending the VIPs' kernel lifetime (one
      // `ip` process each) still waits its turn, so it cannot overtake a fence queued before it,
      // and it never re-creates a VIP that was dropped.
      const plan = planAgentRequest(req, none, lease, received.lease, options);
      if (!plan.ok) {
        o.log(`${req.kind} from ${from}: ${plan.error}`);
        throw new Error(plan.error);
      }
      // Renewals arrive every check period: only the one that starts a lease is worth a line.
      if (!agentMayHoldRoles(lease, received.lease, received.wall)) o.log(`${req.kind} from ${from}: ${plan.detail}`);
      lease = plan.lease;
      void serial(async () => {
        const observed = await host.observe(false);
        const lifetimeS = vipLifetimeSeconds(lease, leaseClock());
        await runOps(observed.vips.map((ip): LocalOp => ({ kind: "renew-ip", ip, lifetimeS })), req.kind);
      }).catch(() => undefined);
      return { done: true, detail: plan.detail };
    }
    const planned = await new Promise<Extract<AgentPlan, { ok: true }>>((answer, refuse) => {
      serial(async () => {
        const observed = await host.observe(req.kind === "repoint-replica");
        const plan = planAgentRequest(req, observed, lease, leaseClock(), options);
        if (!plan.ok) {
          o.log(`${req.kind} from ${from}: ${plan.error}`);
          throw new Error(plan.error);
        }
        lease = plan.lease;
        const now = plan.ops.filter((op) => op.kind !== "wait-catchup");
        if (now.length > 0 || req.kind === "fence") o.log(`${req.kind} from ${from}: ${plan.detail}${req.kind === "fence" ? ` (${req.reason})` : ""}`);
        await runOps(now, req.kind);
        answer(plan);
      }).catch(refuse);
    });
    if (planned.reply === "state") return state();
    if (planned.reply === "catchup") {
      const wait = planned.ops.find((op) => op.kind === "wait-catchup");
      const outcome = wait && wait.kind === "wait-catchup" ? await waitHost.waitCatchup(wait.timeoutMs, wait.gtid) : "timeout";
      o.log(`wait-catchup from ${from}: ${outcome}`);
      return { outcome };
    }
    return { done: true, detail: planned.detail };
  };

  const start = agentLeaseStep(lease, { kind: "start" }, leaseClock(), leaseOptions);
  lease = start.state;
  if (start.reason) o.log(start.reason);
  await dropAll(start.actions, "agent start", host).catch((err: unknown) => o.log(`at start: ${(err as Error).message}`));

  const address = o.listenHost ?? s.ip;
  let server: Server;
  try {
    server = await serve(
      { name: s.name, secret: o.secret, maxSkewMs: Math.max(DEFAULT_MAX_SKEW_MS, o.timing.maxMessageAgeMs), log: o.log },
      s.port,
      address,
      handle,
    );
  } catch (err) {
    await Promise.all([mysql.close(), stateMysql.close()]);
    throw new ConfigError(`cannot listen on ${address}:${s.port}: ${(err as Error).message}`);
  }
  const ticker = setInterval(tick, o.timing.agentTickMs);
  o.log(`mmm agent ${s.name} listening on ${address}:${s.port} (interface ${s.iface}, role IPs ${s.roleIps.join(", ") || "none"}); started ${new Date(started).toISOString()}`);

  return {
    name: s.name,
    address,
    port: s.port,
    async close() {
      clearInterval(ticker);
      await new Promise<void>((r) => server.close(() => r()));
      await serial(async () => {
        lease = NO_LEASE;
        o.log("agent stopping: dropping VIPs and setting read_only (nobody renews its lease any more)");
        await dropAll([{ kind: "drop-vips" }, { kind: "set-read-only" }], "agent stop", host);
      }).catch((err: unknown) => o.log(`at stop: ${(err as Error).message}`));
      await Promise.all([mysql.close(), waitMysql.close(), expiryMysql.close(), stateMysql.close()]);
      closeLocalRunner();
    },
  };
}
