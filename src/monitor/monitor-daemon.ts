import type { Server } from "node:net";
import { ConfigError } from "../errors.js";
import {
  EMPTY_CHECKS,
  NOT_OBSERVED,
  adoptMonitorState,
  haConfigFromMmm,
  initialMonitorState,
  parseControlCommand,
  rolesOfHost,
  runControlCommand,
  type HaConfig,
  type MonitorState,
  type RawCheckResult,
  type Snapshot,
} from "../ha/index.js";
import { loadClusterSecret, loadMmmConfigFile } from "../mmm-config-files.js";
import type { MmmConfig } from "../mmm-config/model.js";
import { AgentStateSchema, ControlRequestSchema, type AgentRequest } from "../protocol/agent-messages.js";
import { request, RequestError, serve, type Peer } from "../protocol/wire.js";
import type { Secret } from "../secret.js";
import type { MonitoredHost } from "./agent-request.js";
import { sqlGtidOps } from "./gtid-ops.js";
import { initialLoopState, nextCycleDelayMs, runCycle, STALL_MS, type CycleContext, type LoopState, type MonitorIo, type SendResult } from "./monitor-cycle.js";
import { MysqlChecker } from "./mysql-checker.js";
import { ArpWatcher } from "./arp-watcher.js";
import { killHostPath, runKillHost } from "./kill-host.js";
import { Waker } from "../util/waker.js";
import { readStatusFile, writeStatusFile } from "./status-file.js";
import { tcpPing } from "./tcp-ping.js";
import { closeLocalRunner } from "../util/runner.js";

export const DEFAULT_MONITOR_CONFIG = "/etc/mysql-mmm/mmm_mon.conf";
export const DEFAULT_STATUS_PATH = "/var/lib/mysql-mmm/mmm_mond.status";
/** The name the monitor signs with and answers to; agents and `mmm control` address it so. */
export const MONITOR_PEER = "monitor";
export const CONTROL_PEER = "control";

export interface RunningMonitor {
  /** Resolves when the loop has stopped. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
  /** The control server's address. */
  readonly address: { readonly ip: string; readonly port: number };
}

export interface MonitorOptions {
  readonly configFile: string;
  readonly log: (line: string) => void;
}

/** Starts the monitor: control server first (so a port conflict fails at once), then the loop. */
export async function startMonitor(o: MonitorOptions): Promise<RunningMonitor> {
  const mmm = loadMmmConfigFile(o.configFile, "monitor");
  const mon = mmm.monitor;
  if (!mon) throw new ConfigError(`${o.configFile}: no <monitor> section`);
  const secret = loadClusterSecret(mmm.clusterSecretFile);
  const config = haConfigFromMmm(mmm);
  const statusPath = mon.statusPath ?? DEFAULT_STATUS_PATH;
  const hosts: MonitoredHost[] = mmm.hosts.map((h) => ({ name: h.name, ip: h.ip, agentPort: h.agentPort, mysqlPort: h.mysqlPort }));
  const account = monitorAccount(mmm, o.configFile);
  // A mysqld that closes the kept connection was killed or is shutting down: look again now,
  // even when that comes during a cycle (see Waker). A control command does the same.
  const waker = new Waker();
  const checker = new MysqlChecker(account.user, account.password, new Map(hosts.map((h) => [h.ip, h.name])), () => waker.wake());
  const peer: Peer = { name: MONITOR_PEER, secret, log: o.log };
  const pingPort = hosts[0]?.agentPort ?? 9989;

  const arpWatcher = new ArpWatcher(hosts, [...new Set(config.roles.flatMap((r) => r.ips))]);
  const now = Date.now();
  const stored = await readStatusFile(statusPath);
  const state: MonitorState = stored ? adoptMonitorState(stored, config, now) : initialMonitorState(config, now);
  o.log(
    stored
      ? `monitor starting with the stored state from ${statusPath} (mode ${state.mode})`
      : `monitor starting without ${statusPath}: every host may hold anything until observed (lease ${config.leaseMs / 1000} s)`,
  );
  let loop: LoopState = initialLoopState(state, EMPTY_CHECKS);

  // A timer that should fire every 100 ms notices when the event loop was held up: a stalled
  // monitor sees every timer fire late, which reads as timeouts of hosts that were fine.
  let stallAt = -Infinity;
  let worstLag = 0;
  let tickAt = Date.now();
  const stallTicker = setInterval(() => {
    const t = Date.now();
    const lag = t - tickAt - 100;
    worstLag = Math.max(worstLag, lag);
    if (lag >= STALL_MS) stallAt = t;
    tickAt = t;
  }, 100);
  const io: MonitorIo = {
    now: () => Date.now(),
    stalledWithin: (ms) => Date.now() - stallAt <= ms,
    ping: async (h, timeoutMs) => {
      const r = await tcpPing(h.ip, h.agentPort, timeoutMs);
      return r.ok ? r : { ok: false, outcome: "error", message: `ERROR: Could not ping ${h.ip} (${r.cause})`, cause: r.cause, ...(r.silent ? { silent: true } : {}) };
    },
    probeMysql: (h, timeoutMs) => checker.probe(h, timeoutMs),
    readGtid: (h, timeoutMs) => checker.readGtid(h, timeoutMs),
    agentState: async (h, timeoutMs) => {
      try {
        const r = AgentStateSchema.safeParse(await request(peer, h.name, h.ip, h.agentPort, { kind: "get-state", sentAt: Date.now() }, timeoutMs));
        if (!r.success || r.data.host !== h.name) return null;
        return { vips: r.data.vips, writable: r.data.writable, uptime: r.data.uptime };
      } catch {
        return null;
      }
    },
    network: async (timeoutMs) => {
      if (mon.pingIps.length === 0) return true;
      // The first answer settles it: one cut-off host among ping_ips must not slow the cycle.
      return new Promise<boolean>((resolve) => {
        let left = mon.pingIps.length;
        for (const ip of mon.pingIps) {
          void tcpPing(ip, pingPort, timeoutMs).then((r) => {
            left -= 1;
            if (r.ok) resolve(true);
            else if (left === 0) resolve(false);
          });
        }
      });
    },
    send: (h, req, timeoutMs, unsentBy) => sendToAgent(peer, h, req, timeoutMs, unsentBy),
    persist: (s, durable) => writeStatusFile(statusPath, s, durable),
    arp: () => arpWatcher.view(),
    // MMM's kill_host_bin for a host that pings but whose agent is silent; not awaited: a slow
    // power-off script must not hold the cycles up.
    local: (a) => {
      if (a.kind === "kill-host") void runKillHost(killHostPath(mon), a.host, o.log);
    },
    log: o.log,
  };
  // A request the monitor gave up on must be too old for the agent to take by the time it could
  // arrive (message age plus clock skew), or a late one could land after a later decision.
  const agentTimeoutMs = Math.max(1000, config.unansweredLeaseDelayMs);
  const ctx: CycleContext = { config, hosts, deps: { gtid: sqlGtidOps }, agentTimeoutMs, catchupInFlight: new Set(), inFlight: new Map(), sending: new Map(), granted: new Map(), startedAt: now };

  // Cycles and control commands take turns: a command sees a whole cycle's snapshot and its
  // state change is persisted before the next cycle starts from it.
  let turn: Promise<void> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = turn.then(fn);
    turn = p.then(
      () => undefined,
      () => undefined,
    );
    return p;
  };

  let stopped = false;

  const server: Server = await serve(peer, mon.port, mon.ip, async (body, from) => {
    const req = ControlRequestSchema.safeParse(body);
    if (!req.success) throw new Error("not a control command");
    return exclusive(async () => {
      const snap: Snapshot = { ...(loop.snapshot ?? emptySnapshot(config, loop)), state: loop.state };
      const line = req.data.line;
      const parsed = parseControlCommand(line);
      if ("invalid" in parsed) return { output: parsed.invalid, exitCode: 1, status: summary(config, loop.state) };
      const r = runControlCommand(snap, parsed, Date.now(), { deps: ctx.deps });
      if (r.next !== loop.state) {
        await writeStatusFile(statusPath, r.next);
        loop = { ...loop, state: r.next, snapshot: { ...snap, state: r.next } };
        o.log(`control (${from}): ${line.trim()}: ${r.output.split("\n")[0]}`);
        // Act on it now rather than after the rest of the wait: a move_role fences the old
        // writer within one cycle of the command instead of up to a check_period later.
        waker.wake();
      }
      return { output: r.output, exitCode: /^(ERROR|Invalid command)/.test(r.output) ? 1 : 0, status: summary(config, r.next) };
    });
  });
  o.log(`control server listening on ${mon.ip}:${mon.port}`);
  arpWatcher.start();

  const done = (async () => {
    while (!stopped) {
      const t0 = Date.now();
      worstLag = 0;
      await exclusive(async () => {
        try {
          const r = await runCycle(ctx, loop, io);
          loop = r.loop;
          const took = Date.now() - t0;
          const stalled = Math.max(0, Math.round(worstLag));
          // Bounded by the timeouts, but worth knowing: failover times grow with it.
          if (took > 500) o.log(`slow cycle: ${took} ms (${slowest(r.timings)}; event loop held up to ${stalled} ms; probes and agent requests are bounded by 1 s each)`);
          else if (mmm.debug) o.log(`cycle: ${took} ms (${slowest(r.timings, 0)}; event loop held up to ${stalled} ms)`);
          if (mmm.debug) {
            const snap = r.loop.snapshot;
            const unobserved = hosts.filter((h) => snap?.observed[h.name] === undefined || snap.observed[h.name] === NOT_OBSERVED).map((h) => h.name);
            o.log(
              `cycle results: ${debugResults(r.results)}${snap?.network === false ? "; monitor network DOWN" : ""}` +
                `${unobserved.length ? `; not observed: ${unobserved.join(", ")}` : ""}; next in ${nextCycleDelayMs(r.loop, config)} ms`,
            );
          }
        } catch (err) {
          // A bad cycle is logged and the next one starts from the last good state.
          o.log(`cycle failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      });
      const wait = Math.max(0, nextCycleDelayMs(loop, config) - (Date.now() - t0));
      if (!stopped) await waker.pause(wait);
    }
  })();

  return {
    done,
    address: { ip: mon.ip, port: mon.port },
    async stop() {
      stopped = true;
      arpWatcher.stop();
      waker.wake();
      await done;
      await new Promise<void>((r) => server.close(() => r()));
      checker.close();
      clearInterval(stallTicker);
      closeLocalRunner();
    },
  };
}

/** "probe db1 900 ms, execute 400 ms": the parts of a cycle that took longest. */
export function slowest(timings: Readonly<Record<string, number>>, overMs = 100): string {
  return Object.entries(timings)
    .filter(([, ms]) => ms >= overMs)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([what, ms]) => `${what} ${Math.round(ms)} ms`)
    .join(", ") || "no part over 100 ms";
}

/** `debug 1`: every result but the OKs, in one line ("db1 mysql error (connection refused)"). */
function debugResults(results: readonly RawCheckResult[]): string {
  const news = results.filter((r) => r.outcome !== "ok");
  const ok = results.length - news.length;
  return [...news.map((r) => `${r.host} ${r.check} ${r.outcome} (${r.cause ?? r.message}${r.refused ? ", refused" : ""})`), `${ok} OK`].join("; ");
}

function monitorAccount(mmm: MmmConfig, file: string): { user: string; password: Secret } {
  const h = mmm.hosts.find((x) => x.monitorUser !== undefined && x.monitorPassword !== undefined);
  if (!h || !h.monitorUser || !h.monitorPassword) {
    throw new ConfigError(`${file}: monitor_user and monitor_password are not set (put them in <host default>)`);
  }
  return { user: h.monitorUser, password: h.monitorPassword };
}

async function sendToAgent(peer: Peer, h: MonitoredHost, req: AgentRequest, timeoutMs: number, unsentBy?: AbortSignal): Promise<SendResult> {
  try {
    await request(peer, h.name, h.ip, h.agentPort, req, timeoutMs, unsentBy);
    return { ok: true };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, delivered: err instanceof RequestError && !err.sent ? "no" : "maybe", error: message };
  }
}

function emptySnapshot(config: HaConfig, loop: LoopState): Snapshot {
  return { config, state: loop.state, checks: loop.checks, observed: {}, network: true };
}

/** The structured form `mmm control --json` prints next to MMM's text. */
export function summary(config: HaConfig, state: MonitorState) {
  return {
    mode: state.mode,
    hosts: config.hosts.map((h) => ({
      name: h.name,
      ip: h.ip,
      mode: h.mode,
      state: state.hosts[h.name]?.state ?? "UNKNOWN",
      reason: state.hosts[h.name]?.reason ?? "",
      roles: rolesOfHost(state.roles, h.name).map((a) => ({ role: a.role, ip: a.ip })),
    })),
  };
}
