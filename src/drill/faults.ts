import type { Inventory } from "../inventory/model.js";
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

const SERVICE = raw(`svc=mariadb; for s in mariadb mysql; do if [ -e /etc/init.d/$s ] || systemctl cat $s.service >/dev/null 2>&1; then svc=$s; break; fi; done`);

/**
 * Injects the fault and returns when it happened on the host's clock (ms), or, for partition,
 * on ours (the switch is here). `offsetMs` is the host's clock minus ours.
 */
export async function injectFault(fleet: Fleet, mode: Exclude<DrillMode, "move">, host: string, offsetMs: number): Promise<number> {
  const t = fleet.get(host);
  switch (mode) {
    case "stop": {
      // The time is taken as the stop starts: from then on the server refuses new work.
      const r = await t.exec(sh`${SERVICE}; date +%s%N; service "$svc" stop >/dev/null 2>&1 || systemctl stop "$svc" >/dev/null 2>&1`, { timeoutMs: 120_000 });
      return remoteMs(host, r.stdout.split("\n")[0] ?? "") - offsetMs;
    }
    case "kill": {
      const r = await t.exec(
        sh`pkill -KILL -x mysqld_safe; pkill -KILL -x mariadbd || pkill -KILL -x mysqld; date +%s%N
if [ -d /run/systemd/system ]; then ${SERVICE}; systemctl stop "$svc" >/dev/null 2>&1; fi; true`,
        { timeoutMs: 60_000 },
      );
      return remoteMs(host, r.stdout) - offsetMs;
    }
    case "partition": {
      const at = Date.now();
      await labNet(host, "cut");
      return at;
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
