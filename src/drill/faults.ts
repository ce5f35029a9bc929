import type { Inventory, InventoryHost } from "../inventory/model.js";
import type { Fleet } from "../remote/fleet.js";
import { raw, sh } from "../remote/shell.js";
import { ConfigError, RemoteError } from "../errors.js";
import { LAB_HOSTS } from "../lab/constants.js";
import { readLabState } from "../lab/lab-processes.js";
import { labNet } from "../lab/lab-faults.js";

/**
 * How the drill fails the writer, over SSH like everything else:
 * - stop: the init system's clean stop;
 * - kill: SIGKILL to mysqld_safe (the watchdog that would restart the server) and then to the
 *   server; under systemd, `systemctl stop` right after cancels its Restart=on-abort, so the
 *   server stays down as a crashed one would until someone starts it;
 * - partition: the host's cable is pulled. Only in the lab (the switch is a namespace of this
 *   machine): on real servers every generic way (iptables on the host) risks locking the
 *   operator out of the host for good, so the drill refuses it there;
 * - move: no fault, `mmm control move_role writer PEER` (a planned switchover).
 */
export type DrillMode = "stop" | "kill" | "partition" | "move";
export const DRILL_MODES: readonly DrillMode[] = ["stop", "kill", "partition", "move"];

export function parseDrillMode(s: string): DrillMode {
  if ((DRILL_MODES as readonly string[]).includes(s)) return s as DrillMode;
  throw new ConfigError(`--mode ${s}: use one of ${DRILL_MODES.join(", ")}`);
}

/** The inventory describes the local lab, and the lab is up on this machine. */
export function isLabInventory(inv: Inventory): boolean {
  const sameHosts = inv.hosts.every((h) => LAB_HOSTS.some((l) => l.name === h.name && l.address === h.address));
  return sameHosts && readLabState().kind === "ok";
}

export function assertModeAllowed(mode: DrillMode, inv: Inventory): void {
  if (mode === "partition" && !isLabInventory(inv)) {
    throw new ConfigError(
      `--mode partition: only in the local lab (mmm lab up with inventories/lab.yml), where the drill pulls a host's cable ` +
        `on the lab's switch. On real servers cut the writer's network yourself (switch port, security group) and watch \`mmm status\`; ` +
        `--mode stop, kill and move work on any inventory.`,
    );
  }
}

/** Epoch milliseconds from a host's `date +%s%N` output (its last line). */
function remoteMs(host: string, out: string): number {
  const last = out.trim().split("\n").pop() ?? "";
  if (!/^\d{16,20}$/.test(last)) throw new RemoteError(host, `expected a timestamp from date +%s%N, got "${last}"`);
  return Number(BigInt(last) / 1000n) / 1000;
}

/** Sets $svc to the server's service name (mariadb, or mysql on older packages). */
const PICK_SERVICE = `svc=mariadb; for s in mariadb mysql; do if [ -e /etc/init.d/$s ] || systemctl cat $s.service >/dev/null 2>&1; then svc=$s; break; fi; done`;
const SERVICE = raw(PICK_SERVICE);

/** When a fault happened, on our clock (ms). */
export interface FaultTimes {
  /** The fault's start: the stop command, the kill, the cut. */
  readonly at: number;
  /**
   * stop only: when the server closed its TCP listener (null when it was never seen listening).
   * Before the server shuts down the init system works on its own (Debian's sysvinit script checks
   * and pings the server first). Indicative: the server stops taking writes a little earlier.
   */
  readonly listenerClosedAt: number | null;
}

/**
 * Stops the server as the init system does, and watches, from a second loop started before the
 * command, for its TCP listener to vanish from /proc/net/tcp{,6} (every 20 ms, forking nothing:
 * the watcher must not slow the stop it times). Prints "start NS" and, when seen, "closed NS".
 */
export function stopScript(port: number): string {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  return `${PICK_SERVICE}
listening() {
  local f sl a rest st
  for f in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$f" ] || continue
    while read -r sl a rest st rest; do
      [ "$st" = 0A ] && [ "\${a##*:}" = ${hex} ] && return 0
    done < "$f"
  done
  return 1
}
exec 3<> <(:)
w=
if listening; then
  ( i=0; while listening && [ $i -lt 6000 ]; do read -r -t 0.02 -u 3 || :; i=$((i + 1)); done
    listening || echo "closed \${EPOCHREALTIME//[!0-9]/}000" ) &
  w=$!
fi
echo "start \${EPOCHREALTIME//[!0-9]/}000"
rc=0
service "$svc" stop >/dev/null 2>&1 || systemctl stop "$svc" >/dev/null 2>&1 || rc=$?
# The stop command returns once the server is gone; a server still listening means it failed.
if [ -n "$w" ]; then if listening; then kill "$w" 2>/dev/null; fi; wait "$w" 2>/dev/null; fi
echo "stopped $rc"
true`;
}

/**
 * The "start NS" / "closed NS" lines of stopScript, as epoch ms on the host's clock. A stop
 * command that failed is an error here, not a wait for writes that never resume.
 */
export function parseStopTimes(host: string, out: string): { at: number; closedAt: number | null } {
  const find = (word: string) => new RegExp(`^${word} (\\d{16,20})$`, "m").exec(out)?.[1];
  const start = find("start");
  if (!start) throw new RemoteError(host, `the stop script printed no start time: "${out.trim()}"`);
  const rc = /^stopped (\d+)$/m.exec(out)?.[1];
  if (rc !== undefined && rc !== "0") throw new RemoteError(host, `service mariadb stop (or systemctl stop) failed with exit status ${rc}: the server may still be running; see \`service mariadb status\` and its error log on ${host}`);
  const closed = find("closed");
  return { at: remoteMs(host, start), closedAt: closed ? remoteMs(host, closed) : null };
}

/**
 * Injects the fault and returns when it happened on our clock (the host's, corrected by
 * `offsetMs`, the host's clock minus ours; for partition ours, as the switch is here).
 */
export async function injectFault(fleet: Fleet, mode: Exclude<DrillMode, "move">, host: InventoryHost, offsetMs: number): Promise<FaultTimes> {
  const t = fleet.get(host.name);
  switch (mode) {
    case "stop": {
      const r = await t.exec(sh`bash -c ${stopScript(host.mysqlPort)}`, { timeoutMs: 120_000 });
      const { at, closedAt } = parseStopTimes(host.name, r.stdout);
      return { at: at - offsetMs, listenerClosedAt: closedAt === null ? null : closedAt - offsetMs };
    }
    case "kill": {
      const r = await t.exec(
        sh`pkill -KILL -x mysqld_safe; pkill -KILL -x mariadbd || pkill -KILL -x mysqld; date +%s%N
if [ -d /run/systemd/system ]; then ${SERVICE}; systemctl stop "$svc" >/dev/null 2>&1; fi; true`,
        { timeoutMs: 60_000 },
      );
      return { at: remoteMs(host.name, r.stdout) - offsetMs, listenerClosedAt: null };
    }
    case "partition": {
      const at = Date.now();
      await labNet(host.name, "cut");
      return { at, listenerClosedAt: null };
    }
    default: {
      const never: never = mode;
      throw new ConfigError(`unknown mode ${String(never)}`);
    }
  }
}

/** Undoes the fault: starts the server (and waits until it answers) or plugs the cable back. */
export async function clearFault(fleet: Fleet, mode: Exclude<DrillMode, "move">, host: string): Promise<void> {
  if (mode === "partition") {
    await labNet(host, "restore");
    return;
  }
  await fleet.get(host).exec(
    sh`${SERVICE}; if ! mysqladmin --connect-timeout=2 ping >/dev/null 2>&1; then service "$svc" start >/dev/null 2>&1 || systemctl start "$svc"; fi
i=0; until mysqladmin --connect-timeout=2 ping >/dev/null 2>&1; do i=$((i + 1)); [ $i -lt 150 ] || { echo "mysqld does not answer 30 s after start" >&2; exit 1; }; sleep 0.2; done`,
    { timeoutMs: 150_000 },
  );
}
