import { checkStatus } from "./checks.js";
import { findHaHost, findHaRole, writerRole } from "./config.js";
import type { DecideDeps } from "./decide.js";
import { explain } from "./explain.js";
import { formatChecks, formatShow, type FormatOptions } from "./format.js";
import { clearHostRoles, electHost, holderOf, setHolder } from "./roles.js";
import type { HostRecord, MonitorState, TransitionCause, WriterTransition } from "./state.js";
import type { Snapshot } from "./types.js";

/**
 * `mmm control CMD`, evaluated purely against the monitor's current snapshot: the reply text
 * (MMM 2.2's exact strings, lib/Monitor/Commands.pm) and the state to continue with. Commands
 * only change the monitor's intent; decide() carries it out on the next cycle, with the same
 * safety gate as everything else — a `move_role writer` starts a fenced, bounded move.
 */

export type ControlCommand =
  | { readonly name: "help" }
  | { readonly name: "ping" }
  | { readonly name: "show" }
  | { readonly name: "checks"; readonly host?: string; readonly check?: string }
  | { readonly name: "mode" }
  | { readonly name: "set_active" }
  | { readonly name: "set_manual" }
  | { readonly name: "set_passive" }
  | { readonly name: "set_online"; readonly host: string }
  | { readonly name: "set_offline"; readonly host: string }
  | { readonly name: "move_role"; readonly role: string; readonly host: string; readonly force: boolean }
  | { readonly name: "set_ip"; readonly ip: string; readonly host: string }
  /** mmm's addition: why a host or role is where it is. */
  | { readonly name: "why"; readonly target: string };

export interface CommandResult {
  readonly output: string;
  /** The same object as the snapshot's state when the command changed nothing. */
  readonly next: MonitorState;
}

export const HELP = `Valid commands are:
    help                              - show this message
    ping                              - ping monitor
    show                              - show status
    checks [<host>|all [<check>|all]] - show checks status
    set_online <host>                 - set host <host> online
    set_offline <host>                - set host <host> offline
    mode                              - print current mode.
    set_active                        - switch into active mode.
    set_manual                        - switch into manual mode.
    set_passive                       - switch into passive mode.
    move_role [--force] <role> <host> - move exclusive role <role> to host <host>
                                        (Only use --force if you know what you are doing!)
    set_ip <ip> <host>                - set role with ip <ip> to host <host>
    why <host>|<role>                 - explain a host's state or a role's placement
`;

/** MMM's command line grammar; anything else is "Invalid command" followed by the help. */
export function parseControlCommand(line: string): ControlCommand | { readonly invalid: string } {
  const [cmd, ...args] = line.trim().split(/\s+/);
  const n = args.length;
  switch (cmd) {
    case "help":
    case "ping":
    case "show":
    case "mode":
    case "set_active":
    case "set_manual":
    case "set_passive":
      if (n === 0) return { name: cmd };
      break;
    case "checks":
      if (n <= 2) return { name: "checks", ...(n > 0 ? { host: args[0]! } : {}), ...(n > 1 ? { check: args[1]! } : {}) };
      break;
    case "set_online":
    case "set_offline":
      if (n === 1) return { name: cmd, host: args[0]! };
      break;
    case "move_role":
      if (n === 2) return { name: "move_role", role: args[0]!, host: args[1]!, force: false };
      if (n === 3 && args[0] === "--force") return { name: "move_role", role: args[1]!, host: args[2]!, force: true };
      break;
    case "set_ip":
      if (n === 2) return { name: "set_ip", ip: args[0]!, host: args[1]! };
      break;
    case "why":
      if (n === 1) return { name: "why", target: args[0]! };
      break;
  }
  return { invalid: `Invalid command '${line.trim()}'\n\n${HELP}` };
}

export interface CommandOptions extends FormatOptions {
  readonly deps?: DecideDeps;
}

export function runControlCommand(snapshot: Snapshot, command: ControlCommand, now: number, options: CommandOptions = {}): CommandResult {
  const s = snapshot.state;
  const same = (output: string): CommandResult => ({ output, next: s });
  const cfg = snapshot.config;
  const agentUp = (h: string) => (snapshot.observed[h]?.agent ?? null) !== null;
  const ok = (h: string, c: "ping" | "mysql" | "rep_threads" | "rep_backlog") => checkStatus(snapshot.checks, h, c)?.ok === true;
  const hostState = (h: string) => s.hosts[h]?.state ?? "UNKNOWN";
  const withHost = (h: string, rec: Partial<HostRecord>): MonitorState => ({ ...s, hosts: { ...s.hosts, [h]: { ...s.hosts[h]!, ...rec } } });
  const writer = writerRole(cfg);
  const writerIp = writer.ips[0]!;
  const isManual = s.mode === "MANUAL" || s.mode === "WAIT";

  switch (command.name) {
    case "help":
      return same(HELP);
    case "ping":
      return same("OK: Pinged successfully!");
    case "show":
      return same(formatShow(snapshot, options));
    case "checks":
      return same(formatChecks(snapshot, command.host ?? "all", command.check ?? "all", options));
    case "why":
      return same(explain(snapshot, command.target, now, options));
    case "mode":
      return same(s.mode);

    case "set_active":
      if (s.mode === "ACTIVE") return same("OK: Already in active mode.");
      return { output: "OK: Switched into active mode.", next: { ...s, mode: "ACTIVE", passiveInfo: "" } };
    case "set_manual":
      if (isManual) return same("OK: Already in manual mode.");
      return { output: "OK: Switched into manual mode.", next: { ...s, mode: "MANUAL", passiveInfo: "" } };
    case "set_passive":
      if (s.mode === "PASSIVE") return same("OK: Already in passive mode.");
      return { output: "OK: Switched into passive mode.", next: { ...s, mode: "PASSIVE", passiveInfo: "Admin switched to passive mode." } };

    case "set_online": {
      const h = command.host;
      if (!findHaHost(cfg, h)) return same(`ERROR: Unknown host name '${h}'!`);
      const st = hostState(h);
      if (st === "ONLINE") return same("OK: This host is already ONLINE. Skipping command.");
      if (st !== "ADMIN_OFFLINE" && st !== "AWAITING_RECOVERY") {
        return same(`ERROR: Host '${h}' is '${st}' at the moment. It can't be switched to ONLINE.`);
      }
      if (!ok(h, "ping") || !ok(h, "mysql")) return same(`ERROR: Checks ping and/or mysql are not ok for host '${h}'. It can't be switched to ONLINE.`);
      const errant = s.hosts[h]?.errant;
      if (errant) {
        return same(`ERROR: Host '${h}' has transactions the writer lacks (${errant.gtids}). It can't be switched to ONLINE.`);
      }
      const peer = findHaHost(cfg, h)!.peer;
      if (peer !== undefined && hostState(peer) === "ONLINE" && (!ok(peer, "rep_threads") || !ok(peer, "rep_backlog"))) {
        return same(`ERROR: Some replication checks failed on peer '${peer}'. We can't set '${h}' online now. Please, wait some time.`);
      }
      if (!agentUp(h)) return same(`ERROR: Can't reach agent daemon on '${h}'! Can't switch its state!`);
      return {
        output: `OK: State of '${h}' changed to ONLINE. Now you can wait some time and check its new roles!`,
        next: withHost(h, { state: "ONLINE", since: now, onlineSince: now, reason: `set_online by admin (was ${st})`, flapping: false }),
      };
    }

    case "set_offline": {
      const h = command.host;
      if (!findHaHost(cfg, h)) return same(`ERROR: Unknown host name '${h}'!`);
      const st = hostState(h);
      if (st === "ADMIN_OFFLINE") return same("OK: This host is already ADMIN_OFFLINE. Skipping command.");
      if (st !== "ONLINE" && st !== "REPLICATION_FAIL" && st !== "REPLICATION_DELAY") {
        return same(`ERROR: Host '${h}' is '${st}' at the moment. It can't be switched to ADMIN_OFFLINE.`);
      }
      if (!agentUp(h)) return same(`ERROR: Can't reach agent daemon on '${h}'! Can't switch its state!`);
      let next = withHost(h, { state: "ADMIN_OFFLINE", since: now, reason: `set_offline by admin (was ${st})` });
      const heldWriter = holderOf(s.roles, writerIp) === h;
      next = { ...next, roles: clearHostRoles(next.roles, h) };
      if (heldWriter) {
        const eligible = (x: string) => next.hosts[x]?.state === "ONLINE" && agentUp(x);
        const to = electHost(cfg, writer, next.roles, eligible, [h]);
        next = { ...next, lastWriter: h };
        if (to !== null && next.mode !== "PASSIVE") {
          next = { ...next, transition: newTransition(writerIp, h, to, "set_offline", `moving writer from ${h} to ${to} because admin set ${h} offline`, now, false) };
        }
      }
      return { output: `OK: State of '${h}' changed to ADMIN_OFFLINE. Now you can wait some time and check all roles!`, next };
    }

    case "move_role": {
      const { role, host: h, force } = command;
      if (s.mode === "PASSIVE") return same("ERROR: This command is not allowed in passive mode");
      const r = findHaRole(cfg, role);
      if (!r) return same(`ERROR: Unknown role name '${role}'!`);
      if (!findHaHost(cfg, h)) return same(`ERROR: Unknown host name '${h}'!`);
      if (force && role !== cfg.activeMasterRole) return same("ERROR: move_role --forced may be used for the active master role only!");
      if (!force && r.mode === "balanced") {
        const next = { ...s, roles: s.roles.map((a) => (a.role === role && a.host === h ? { ...a, host: null } : a)) };
        return { output: `OK: Balanced role ${role} has been removed from host '${h}'. Now you can wait some time and check new roles info!`, next };
      }
      const st = hostState(h);
      if (force) {
        if (st !== "ONLINE" && st !== "REPLICATION_FAIL" && st !== "REPLICATION_DELAY") return same(`ERROR: Can't force move of role to host with state ${st}.`);
        const errant = s.hosts[h]?.errant;
        if (errant) return same(`ERROR: Host '${h}' has transactions the writer lacks (${errant.gtids}). Repair it before giving it role '${role}'.`);
      } else if (st !== "ONLINE") {
        return same(`ERROR: Can't move role to host with state ${st}.`);
      }
      if (!r.hosts.includes(h)) return same(`ERROR: Host '${h}' can't handle role '${role}'. Only following hosts could: ${r.hosts.join(", ")}`);
      const t = s.transition;
      const owner = role === cfg.activeMasterRole && t !== null ? (t.from ?? "") : (holderOf(s.roles, r.ips[0]!) ?? "");
      if (owner === h && !(t !== null && role === cfg.activeMasterRole)) return same(`OK: Role is on '${h}' already. Skipping command.`);
      if (!agentUp(h)) return same(`ERROR: Can't reach agent daemon on '${h}'! Can't move roles there!`);
      if (!force && s.mode === "ACTIVE" && r.prefer !== undefined && owner === r.prefer) {
        return same(`ERROR: Role '${role}' is assigned to preferred host '${owner}'. Can't move it!`);
      }
      const done = force
        ? `OK: Role '${role}' has been moved from '${owner}' to '${h}' enforcedly. Now you can wait some time and check new roles info!`
        : `OK: Role '${role}' has been moved from '${owner}' to '${h}'. Now you can wait some time and check new roles info!`;

      if (role !== cfg.activeMasterRole) {
        return { output: done, next: { ...s, roles: setHolder(s.roles, r.ips[0]!, h) } };
      }
      if (t !== null && !force) {
        return same(`ERROR: Role '${role}' is already moving from '${t.from ?? ""}' to '${t.to}'. See 'mmm control why ${role}', or use move_role --force.`);
      }
      let next: MonitorState = s;
      if (force && st !== "ONLINE") {
        next = { ...next, hosts: { ...next.hosts, [h]: { ...next.hosts[h]!, state: "ONLINE", since: now, onlineSince: now, reason: `move_role --force (was ${st})` } } };
      }
      const from = t !== null ? t.from : (holderOf(s.roles, writerIp) ?? s.lastWriter);
      const why = force
        ? `moving writer from ${from ?? "nobody"} to ${h} because admin forced it (move_role --force)`
        : `moving writer from ${from ?? "nobody"} to ${h} because admin asked (move_role)`;
      next = {
        ...next,
        roles: setHolder(next.roles, writerIp, null),
        lastWriter: from,
        transition: newTransition(writerIp, from === h ? null : from, h, "move_role", why, now, force, t !== null && t.to === h ? t : undefined),
      };
      return { output: done, next };
    }

    case "set_ip": {
      const { ip, host: h } = command;
      if (s.mode !== "PASSIVE") return same("ERROR: This command is only allowed in passive mode");
      const r = cfg.roles.find((x) => x.ips.includes(ip));
      if (!r) return same(`ERROR: Unknown ip '${ip}'!`);
      if (!findHaHost(cfg, h)) return same(`ERROR: Unknown host name '${h}'!`);
      if (!r.hosts.includes(h)) return same(`ERROR: Host '${h}' can't handle role '${r.name}'. Following hosts could: ${r.hosts.join(", ")}`);
      const st = hostState(h);
      if (st !== "ONLINE") return same(`ERROR: Host '${h}' is '${st}' at the moment. Can't move role with ip '${ip}' there.`);
      return { output: `OK: Set role '${r.name}(${ip})' to host '${h}'.`, next: { ...s, roles: setHolder(s.roles, ip, h) } };
    }
  }
}

function newTransition(
  ip: string,
  from: string | null,
  to: string,
  cause: TransitionCause,
  why: string,
  now: number,
  forced: boolean,
  keep?: WriterTransition,
): WriterTransition {
  // Forcing a move already under way to the same host keeps its fencing progress.
  if (keep) return { ...keep, forced: keep.forced || forced };
  return { ip, from, to, cause, why, startedAt: now, forced, fencedAt: null, fencedBy: null, alerted: false };
}
