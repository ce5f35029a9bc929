import { CHECK_NAMES, type CheckName } from "../mmm-config/model.js";
import { checkStatus } from "./checks.js";
import { findHaRole, writerRole } from "./config.js";
import { holderOf, roleText, rolesOfHost } from "./roles.js";
import type { Snapshot } from "./types.js";

/**
 * `mmm control show` and `checks` in MMM 2.2's exact formats (lib/Monitor/Agents.pm
 * get_status_info, Commands.pm checks), e.g.
 *   "  db1(192.168.1.2) master/ONLINE. Roles: reader(192.168.1.102), writer(192.168.1.100)"
 *   "db4  ping         [last change: 2014/12/31 15:15:22]  OK"
 * Hosts are listed in config order where MMM used Perl's hash order.
 */

export type TimeZone = "local" | "utc";

export interface FormatOptions {
  readonly timeZone?: TimeZone;
}

/** MMM's 'yyyy/MM/dd HH:mm:ss'. */
export function formatMmmTime(ms: number, timeZone: TimeZone = "local"): string {
  const d = new Date(ms);
  const utc = timeZone === "utc";
  const p = (n: number) => String(n).padStart(2, "0");
  const [y, mo, da, h, mi, s] = utc
    ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
  return `${y}/${p(mo)}/${p(da)} ${p(h)}:${p(mi)}:${p(s)}`;
}

export function formatShow(snapshot: Snapshot, options: FormatOptions = {}): string {
  const { config, state } = snapshot;
  let out = "";
  if (state.mode === "PASSIVE") {
    const head = `--- Monitor is in PASSIVE MODE ---\nCause: ${state.passiveInfo}\n`;
    out += head.replace(/^/gm, "# ").replace(/# $/, "");
  }
  const names = [...config.hosts.map((h) => h.name)].sort();
  for (const h of names) {
    const agentSilent = snapshot.observed[h] !== undefined && snapshot.observed[h]!.agent === null;
    if (agentSilent && checkStatus(snapshot.checks, h, "ping")?.ok === true) out += `# Warning: agent on host ${h} is not reachable\n`;
  }
  for (const h of names) {
    const hc = config.hosts.find((x) => x.name === h)!;
    const st = state.hosts[h]?.state ?? "UNKNOWN";
    const roles = rolesOfHost(state.roles, h).map(roleText).join(", ");
    out += `  ${h}(${hc.ip}) ${hc.mode}/${st}. Roles: ${roles}\n`;
  }
  for (const r of config.roles) {
    if (r.prefer === undefined) continue;
    const owner = r.ips[0] !== undefined ? holderOf(state.roles, r.ips[0]) : null;
    if (owner === r.prefer) out += `# Role ${r.name} is assigned to it's preferred host ${r.prefer}.\n`;
    else if (owner !== null) out += `# Role ${r.name} has ${r.prefer} configured as it's preferred host but is assigned to ${owner} at the moment.\n`;
    else out += `# Role ${r.name} has ${r.prefer} configured as it's preferred host.\n`;
  }
  const t = state.transition;
  if (t !== null) {
    const w = writerRole(config).name;
    out += `# Role ${w} is moving from '${t.from ?? ""}' to '${t.to}' since ${formatMmmTime(t.startedAt, options.timeZone)}; see 'mmm control why ${w}'\n`;
  }
  return out;
}

/** The errant-transactions line mmm adds under a host's checks (issue 4: `checks` names them). */
const ERRANT = "errant";

export function formatChecks(snapshot: Snapshot, host = "all", check = "all", options: FormatOptions = {}): string {
  const { config, checks, state } = snapshot;
  if (check !== "all" && !(CHECK_NAMES as readonly string[]).includes(check)) return `ERROR: Unknown check '${check}'!`;
  if (host !== "all" && !config.hosts.some((h) => h.name === host)) return `ERROR: Unknown host name '${host}'!`;
  const tz = options.timeZone;
  const line = (h: string, c: CheckName) => {
    const s = checkStatus(checks, h, c);
    return { time: s ? formatMmmTime(s.lastChange, tz) : "never", message: s?.message ?? "UNKNOWN: no result yet" };
  };
  const errantLine = (h: string, pad: (s: string) => string) => {
    const e = state.hosts[h]?.errant;
    if (!e) return "";
    const writer = holderOf(state.roles, writerRole(config).ips[0]!) ?? "the writer";
    return `${pad(h)}  ${ERRANT.padEnd(11)}  [last change: ${formatMmmTime(e.since, tz)}]  ERROR: transactions not on ${writer}: ${e.gtids}\n`;
  };

  if (host !== "all") {
    if (check !== "all") {
      const l = line(host, check as CheckName);
      return `${host}  ${check}  [last change: ${l.time}]  ${l.message}`;
    }
    let out = "";
    for (const c of CHECK_NAMES) {
      const l = line(host, c);
      out += `${host}  ${c.padEnd(11)}  [last change: ${l.time}]  ${l.message}\n`;
    }
    return out + errantLine(host, (h) => h);
  }
  const len = Math.max(...config.hosts.map((h) => h.name.length));
  const pad = (h: string) => h.padEnd(len);
  let out = "";
  for (const { name: h } of config.hosts) {
    if (check !== "all") {
      const l = line(h, check as CheckName);
      out += `${pad(h)}  ${check}  [last change: ${l.time}]  ${l.message}\n`;
      continue;
    }
    for (const c of CHECK_NAMES) {
      const l = line(h, c);
      out += `${pad(h)}  ${c.padEnd(11)}  [last change: ${l.time}]  ${l.message}\n`;
    }
    out += errantLine(h, pad);
  }
  return out;
}

export function roleExists(snapshot: Snapshot, role: string): boolean {
  return findHaRole(snapshot.config, role) !== undefined;
}
