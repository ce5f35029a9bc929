import { withTimeout } from "../util/with-timeout.js";
import { runtimeControlCommand } from "../provision/steps/runtime.js";
import { connect } from "node:net";
import { ConfigError, errorMessage } from "../errors.js";
import type { Inventory } from "../inventory/model.js";
import { parseIpAddrJson } from "../facts/parse.js";
import type { MmmConfig } from "../mmm-config/model.js";
import { parseMonitorState, type MonitorState } from "../ha/state.js";
import {
  CONTROL_PEER,
  DEFAULT_MONITOR_CONFIG,
  DEFAULT_STATUS_PATH,
  MONITOR_PEER,
} from "../monitor/monitor-daemon.js";
import { loadClusterSecret, loadMmmConfigFile } from "../mmm-config-files.js";
import { readStatusFile } from "../monitor/status-file.js";
import { AgentStateSchema } from "../protocol/agent-messages.js";
import { request } from "../protocol/wire.js";
import type { Fleet } from "../remote/fleet.js";
import { MysqlSession } from "../remote/mysql.js";
import { sh } from "../remote/shell.js";
import type { Transport } from "../remote/transport.js";
import { selectGtidState, selectReadOnly, showReplicaStatus } from "../sql/statements.js";
import { parseGtidState, parseReadOnly, parseReplicaStatus } from "../sql/status.js";
import { mapSettled } from "../util/map-settled.js";
import {
  buildClusterStatus,
  mergeMonitorView,
  MonitorSummarySchema,
  type ClusterStatus,
  type HostObservation,
  type MonitorSummary,
  type MonitorView,
  type MysqlView,
  type StatusTopology,
} from "./cluster-status.js";

/** Where `mmm status` gets its observations: over SSH from an inventory, or locally on the monitor host. */
export interface StatusSource {
  readonly topology: StatusTopology;
  observeMonitor(): Promise<MonitorView>;
  observeHosts(): Promise<HostObservation[]>;
  close(): void;
}

/** Bounds every probe: a hung host or mysqld must not hang status (or a --watch refresh). */
export const PROBE_TIMEOUT_MS = 8_000;

export async function gatherStatus(source: StatusSource, now: () => number = Date.now): Promise<ClusterStatus> {
  const [monitor, hosts] = await Promise.all([source.observeMonitor(), source.observeHosts()]);
  return buildClusterStatus(source.topology, monitor, hosts, now());
}

/** The replication, read_only and GTID view of one mysqld, through any session. */
export async function readMysqlView(s: MysqlSession): Promise<MysqlView> {
  const d = s.dialect;
  const [ro] = await s.run(selectReadOnly(d));
  const [g] = await s.run(selectGtidState(d));
  const replica = parseReplicaStatus(await s.run(showReplicaStatus(d)));
  const gtid = parseGtidState(d, g ?? {});
  return {
    serverId: s.serverId,
    readOnly: parseReadOnly(d, ro ?? {}).readOnly,
    gtid: gtid.kind === "mariadb" ? gtid.binlogPos : gtid.executed,
    replica,
  };
}

/** Message of an error without the "host: " prefix RemoteError adds (the table already names the host). */
function why(err: unknown, host: string): string {
  const m = errorMessage(err);
  return m.startsWith(`${host}: `) ? m.slice(host.length + 2) : m;
}

// ---------------------------------------------------------------------------------------------
// From an inventory, over SSH.

export function topologyFromInventory(inv: Inventory): StatusTopology {
  return {
    monitor: { name: inv.monitor.name, address: inv.monitor.address },
    hosts: [...inv.masters, ...inv.slaves].map((h) => ({ name: h.name, address: h.address, mode: h.kind === "master" ? "master" : "slave" })),
    roles: inv.roles.map((r) => ({ name: r.name, ips: r.ips })),
  };
}

/**
 * The installed runtime on the monitor host answers for the monitor: `mmm control --json show`
 * there reads that host's own mmm_mon.conf and cluster.key, so the cluster secret never leaves
 * the monitor host and the request is signed by the same build that serves it. (A direct-tcpip
 * tunnel to the control port would need the secret on the controller and a second client for
 * the wire protocol.) The status file, read in the same way, adds when each state began.
 */
const MONITOR_SCRIPT = runtimeControlCommand(["--json", "--timeout", "3000"], ["show"]);
const STATUS_FILE_SCRIPT = sh`f=$(sed -n 's/^[[:space:]]*status_path[[:space:]][[:space:]]*//p' /etc/mysql-mmm/mmm_mon.conf 2>/dev/null | tail -n 1)
[ -n "$f" ] || f=${DEFAULT_STATUS_PATH}
cat "$f" 2>/dev/null || true`;

/** One exec per host: its interface's addresses (ip -j) and mysqld's socket from its option files. */
function hostScript(iface: string) {
  return sh`ip -j addr show dev ${iface}; echo; echo MMM-SOCKET; my_print_defaults --mysqld 2>/dev/null | sed -n 's/^--socket=//p' | tail -n 1`;
}

export function parseHostScript(stdout: string, iface: string): { addresses: string[]; socket: string } {
  const [ipPart, socketPart = ""] = stdout.split("MMM-SOCKET");
  const link = parseIpAddrJson(ipPart!.trim()).find((i) => i.name === iface);
  const addresses = (link?.addresses ?? []).filter((a) => a.family === "inet").map((a) => a.address);
  return { addresses, socket: socketPart.trim() || "/run/mysqld/mysqld.sock" };
}

export function parseControlJson(stdout: string): MonitorSummary {
  const data = JSON.parse(stdout) as { status?: unknown };
  return MonitorSummarySchema.parse(data.status);
}

export function inventoryStatusSource(inv: Inventory, fleet: Fleet): StatusSource {
  const topology = topologyFromInventory(inv);
  const dbs = [...inv.masters, ...inv.slaves];
  return {
    topology,
    async observeMonitor() {
      const t = fleet.get(inv.monitor.name);
      let live: MonitorSummary | null = null;
      let error: string | undefined;
      let stored: MonitorState | null = null;
      const [ctl, file] = await Promise.allSettled([
        t.exec(MONITOR_SCRIPT, { check: false, timeoutMs: PROBE_TIMEOUT_MS }),
        t.exec(STATUS_FILE_SCRIPT, { timeoutMs: PROBE_TIMEOUT_MS }),
      ]);
      if (ctl.status === "rejected") error = why(ctl.reason, inv.monitor.name);
      else if (ctl.value.code !== 0) error = lastLine(ctl.value.stderr || ctl.value.stdout).replace(/^error: /, "") || `exit ${ctl.value.code}`;
      else {
        try {
          live = parseControlJson(ctl.value.stdout);
        } catch (err) {
          error = `mmm control --json show printed no monitor status (${errorMessage(err)})`;
        }
      }
      if (file.status === "fulfilled" && file.value.stdout.trim() !== "") {
        try {
          stored = parseMonitorState(file.value.stdout, "status_path");
        } catch {
          stored = null;
        }
      }
      return mergeMonitorView(topology, live, error, stored);
    },
    async observeHosts() {
      const settled = await fleet.each(dbs, (h, t) => withTimeout(observeOverSsh(h.name, h.clusterInterface, t), PROBE_TIMEOUT_MS + 2_000, h.name));
      return settled.map((s, i): HostObservation => {
        const name = dbs[i]!.name;
        return s.ok ? s.value : { name, addresses: null, addressError: why(s.error, name), mysql: null, mysqlError: "host not reachable" };
      });
    },
    close: () => fleet.close(),
  };
}

/** A database host's addresses on its cluster interface and its mysqld's Unix socket, in one exec. */
export async function probeHostNetwork(t: Transport, iface: string): Promise<{ addresses: string[]; socket: string }> {
  const r = await t.exec(hostScript(iface), { timeoutMs: PROBE_TIMEOUT_MS });
  return parseHostScript(r.stdout, iface);
}

async function observeOverSsh(name: string, iface: string, t: Transport): Promise<HostObservation> {
  const { addresses, socket } = await probeHostNetwork(t, iface);
  let session: MysqlSession | undefined;
  try {
    session = await MysqlSession.open(t, socket);
    return { name, addresses, mysql: await withTimeout(readMysqlView(session), PROBE_TIMEOUT_MS, "MySQL") };
  } catch (err) {
    return { name, addresses, mysql: null, mysqlError: why(err, name) };
  } finally {
    await session?.close();
  }
}

function lastLine(text: string): string {
  return text.trim().split("\n").pop() ?? "";
}

// ---------------------------------------------------------------------------------------------
// On the monitor host, without an inventory: mmm_mon.conf says everything.

export function topologyFromMmm(c: MmmConfig): StatusTopology {
  return {
    monitor: { name: "monitor", address: c.monitor?.ip ?? "?" },
    hosts: c.hosts.map((h) => ({ name: h.name, address: h.ip, mode: h.mode })),
    roles: c.roles.map((r) => ({ name: r.name, ips: r.ips })),
  };
}

/**
 * What the monitor host itself can see: the monitor over its control port, each agent's
 * get-state (the VIPs it holds on its interface; it changes nothing), and each mysqld over TCP
 * as monitor_user, whose grants (replication client/monitor) are exactly what this reads.
 */
export function localStatusSource(configFile: string = DEFAULT_MONITOR_CONFIG): StatusSource {
  const mmm = loadMmmConfigFile(configFile, "control");
  const mon = mmm.monitor;
  if (!mon) throw new ConfigError(`${configFile}: no <monitor> section (ip and port of the monitor)`);
  const secret = loadClusterSecret(mmm.clusterSecretFile);
  const topology = topologyFromMmm(mmm);
  const peer = { name: CONTROL_PEER, secret };
  return {
    topology,
    async observeMonitor() {
      let live: MonitorSummary | null = null;
      let error: string | undefined;
      try {
        const raw = await request(peer, MONITOR_PEER, mon.ip, mon.port, { kind: "command", line: "show", sentAt: Date.now() }, 3_000);
        live = MonitorSummarySchema.parse((raw as { status?: unknown }).status);
      } catch (err) {
        error = `${mon.ip}:${mon.port}: ${errorMessage(err)}`;
      }
      const stored = await readStatusFile(mon.statusPath ?? DEFAULT_STATUS_PATH).catch(() => null);
      return mergeMonitorView(topology, live, error, stored);
    },
    async observeHosts() {
      const settled = await mapSettled(mmm.hosts, 10, async (h): Promise<HostObservation> => {
        let addresses: string[] | null = null;
        let addressError: string | undefined;
        try {
          const raw = await request({ name: "status", secret }, h.name, h.ip, h.agentPort, { kind: "get-state", sentAt: Date.now() }, 3_000);
          addresses = AgentStateSchema.parse(raw).vips;
        } catch (err) {
          addressError = `agent ${h.ip}:${h.agentPort}: ${errorMessage(err)}`;
        }
        const user = h.monitorUser;
        const password = h.monitorPassword;
        if (!user || !password) {
          return { name: h.name, addresses, ...(addressError ? { addressError } : {}), mysql: null, mysqlError: `${configFile}: no monitor_user/monitor_password` };
        }
        let session: MysqlSession | undefined;
        try {
          const sock = connect({ host: h.ip, port: h.mysqlPort });
          session = await withTimeout(MysqlSession.openStream(h.name, sock, { user, password }, [], `as ${user} at ${h.ip}:${h.mysqlPort}`), PROBE_TIMEOUT_MS, "MySQL");
          const mysql = await withTimeout(readMysqlView(session), PROBE_TIMEOUT_MS, "MySQL");
          return { name: h.name, addresses, ...(addressError ? { addressError } : {}), mysql };
        } catch (err) {
          return { name: h.name, addresses, ...(addressError ? { addressError } : {}), mysql: null, mysqlError: why(err, h.name) };
        } finally {
          await session?.close();
        }
      });
      return settled.map((s, i) => (s.ok ? s.value : { name: mmm.hosts[i]!.name, addresses: null, addressError: errorMessage(s.error), mysql: null }));
    },
    close: () => undefined,
  };
}
