import { ConfigError, RemoteError } from "../errors.js";
import { SWITCH_NETNS, bridgePort } from "./constants.js";
import { hostInitPid, labExec, labHost } from "./lab-exec.js";
import { runChecked, showArgv } from "./run.js";

/**
 * Failure injection for failover tests. Each host has its own PID namespace, so a kill inside
 * db1 cannot reach db2's processes.
 */

export type MysqldAction = "stop" | "start" | "kill";
export type NetAction = "cut" | "restore";

export const MYSQLD_ACTIONS: readonly MysqldAction[] = ["stop", "start", "kill"];
export const NET_ACTIONS: readonly NetAction[] = ["cut", "restore"];

export function parseMysqldAction(s: string): MysqldAction {
  if ((MYSQLD_ACTIONS as readonly string[]).includes(s)) return s as MysqldAction;
  throw new ConfigError(`unknown mysqld action "${s}": use one of ${MYSQLD_ACTIONS.join(", ")}`);
}

export function parseNetAction(s: string): NetAction {
  if ((NET_ACTIONS as readonly string[]).includes(s)) return s as NetAction;
  throw new ConfigError(`unknown net action "${s}": use one of ${NET_ACTIONS.join(", ")}`);
}

async function inHost(host: string, argv: readonly string[], timeoutMs = 60_000) {
  const r = await labExec(host, argv, { timeoutMs });
  if (r.code !== 0) throw new RemoteError(host, "command failed", { command: showArgv(argv), exitCode: r.code, stderr: r.stderr || r.stdout });
  return r;
}

export async function isMysqldAnswering(host: string): Promise<boolean> {
  const r = await labExec(host, ["mariadb-admin", "--connect-timeout=2", "ping"], { timeoutMs: 10_000 });
  return r.code === 0;
}

export async function isMysqldRunning(host: string): Promise<boolean> {
  const r = await labExec(host, ["pgrep", "-x", "mariadbd"], { timeoutMs: 10_000 });
  return r.code === 0;
}

/**
 * stop: Debian's init script (clean shutdown). start: the init script, then wait until the
 * server answers. kill: SIGKILL to mysqld_safe first (the watchdog that would restart the
 * server), then to mariadbd, so the server stays down until `start`.
 */
export async function labMysqld(host: string, action: MysqldAction): Promise<string> {
  if (labHost(host).kind !== "db") throw new ConfigError(`${host} has no database server: use db1..db4`);
  switch (action) {
    case "stop":
      await inHost(host, ["service", "mariadb", "stop"]);
      return `${host}: mysqld stopped`;
    case "start": {
      await inHost(host, ["service", "mariadb", "start"], 90_000);
      const deadline = Date.now() + 30_000;
      while (!(await isMysqldAnswering(host))) {
        if (Date.now() > deadline) throw new RemoteError(host, "mysqld started but does not answer `mariadb-admin ping` after 30 s");
        await new Promise((r) => setTimeout(r, 200));
      }
      return `${host}: mysqld running`;
    }
    case "kill": {
      await labExec(host, ["pkill", "-KILL", "-x", "mysqld_safe"]);
      await labExec(host, ["pkill", "-KILL", "-x", "mariadbd"]);
      const deadline = Date.now() + 10_000;
      while (await isMysqldRunning(host)) {
        if (Date.now() > deadline) throw new RemoteError(host, "mariadbd still running 10 s after SIGKILL");
        await new Promise((r) => setTimeout(r, 100));
      }
      return `${host}: mysqld killed (SIGKILL to mysqld_safe and mariadbd)`;
    }
    default: {
      const never: never = action;
      throw new ConfigError(`unknown mysqld action ${String(never)}`);
    }
  }
}

/** Pulls or plugs the host's cable: its port on the switch goes down/up; the host keeps its addresses. */
export async function labNet(host: string, action: NetAction): Promise<string> {
  hostInitPid(host);
  const state = action === "cut" ? "down" : "up";
  await runChecked(host, ["ip", "-n", SWITCH_NETNS, "link", "set", bridgePort(host), state]);
  return `${host}: network ${action === "cut" ? "cut" : "restored"}`;
}
