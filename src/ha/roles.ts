import type { HaConfig, HaRole } from "./config.js";
import type { RoleAssignment } from "./state.js";
import type { RoleIp } from "./types.js";

/**
 * Role placement, MMM's rules made deterministic (MMM iterated Perl hashes):
 * - an orphaned IP goes to the role's `prefer` host when it is eligible, else to the eligible
 *   host with the fewest roles (the writer counts ½, as in MMM), ties to the first in `hosts`;
 * - balanced roles are then evened out: while the busiest and the idlest eligible host differ
 *   by more than one, the busiest gives its last IP (config order) to the idlest — the fewest
 *   moves that reach balance, and nothing moves when it is already balanced.
 * `prefer` only picks a home for an orphan: a role is never taken from a healthy host to go
 * back to its preferred one (MMM's obey_preferences did that to the writer).
 */

export type Eligible = (host: string) => boolean;

export function holderOf(roles: readonly RoleAssignment[], ip: string): string | null {
  return roles.find((a) => a.ip === ip)?.host ?? null;
}

/** The host's roles, sorted as MMM's `show` sorts them ("reader(…)" before "writer(…)"). */
export function rolesOfHost(roles: readonly RoleAssignment[], host: string): RoleIp[] {
  return roles
    .filter((a) => a.host === host)
    .map((a) => ({ role: a.role, ip: a.ip }))
    .sort((x, y) => (roleText(x) < roleText(y) ? -1 : roleText(x) > roleText(y) ? 1 : 0));
}

export const roleText = (r: RoleIp) => `${r.role}(${r.ip})`;

export function countHostRoles(roles: readonly RoleAssignment[], host: string, activeMasterRole: string): number {
  let n = 0;
  for (const a of roles) if (a.host === host) n += a.role === activeMasterRole ? 0.5 : 1;
  return n;
}

export function clearHostRoles(roles: readonly RoleAssignment[], host: string): RoleAssignment[] {
  return roles.map((a) => (a.host === host ? { ...a, host: null } : a));
}

export function setHolder(roles: readonly RoleAssignment[], ip: string, host: string | null): RoleAssignment[] {
  return roles.map((a) => (a.ip === ip ? { ...a, host } : a));
}

/** MMM's find_eligible_host. */
export function electHost(
  config: HaConfig,
  role: HaRole,
  roles: readonly RoleAssignment[],
  eligible: Eligible,
  exclude: readonly string[] = [],
): string | null {
  const ok = (h: string) => eligible(h) && !exclude.includes(h);
  if (role.prefer !== undefined && ok(role.prefer)) return role.prefer;
  let best: string | null = null;
  let bestCount = Infinity;
  for (const h of role.hosts) {
    if (!ok(h)) continue;
    const n = countHostRoles(roles, h, config.activeMasterRole);
    if (n < bestCount) {
      best = h;
      bestCount = n;
    }
  }
  return best;
}

export interface Placement {
  readonly roles: RoleAssignment[];
  /** Log lines in MMM's words. */
  readonly moves: string[];
}

/** Gives orphaned IPs a host, exclusive roles first (MMM's process_orphans). */
export function assignOrphans(
  roles: readonly RoleAssignment[],
  config: HaConfig,
  eligible: Eligible,
  skipRole?: string,
): Placement {
  let out = [...roles];
  const moves: string[] = [];
  for (const mode of ["exclusive", "balanced"] as const) {
    for (const role of config.roles) {
      if (role.mode !== mode || role.name === skipRole) continue;
      for (const ip of role.ips) {
        if (holderOf(out, ip) !== null) continue;
        const host = electHost(config, role, out, eligible);
        if (host === null) break;
        out = setHolder(out, ip, host);
        moves.push(`Orphaned role '${role.name}(${ip})' has been assigned to '${host}'`);
      }
    }
  }
  return { roles: out, moves };
}

/** Evens out balanced roles over their eligible hosts (MMM's balance). */
export function balanceRoles(roles: readonly RoleAssignment[], config: HaConfig, eligible: Eligible): Placement {
  let out = [...roles];
  const moves: string[] = [];
  for (const role of config.roles) {
    if (role.mode !== "balanced") continue;
    const hosts = role.hosts.filter(eligible);
    if (hosts.length < 2) continue;
    const count = new Map(hosts.map((h) => [h, countHostRoles(out, h, config.activeMasterRole)]));
    for (;;) {
      let max = hosts[0]!;
      let min = hosts[0]!;
      for (const h of hosts) {
        if (count.get(h)! > count.get(max)!) max = h;
        if (count.get(h)! < count.get(min)!) min = h;
      }
      if (count.get(max)! - count.get(min)! <= 1) break;
      const ip = [...role.ips].reverse().find((x) => holderOf(out, x) === max);
      if (ip === undefined) break; // the busiest host's load is other roles: nothing of this role to give
      out = setHolder(out, ip, min);
      moves.push(`Moving role '${role.name}(${ip})' from host '${max}' to host '${min}'`);
      count.set(max, count.get(max)! - 1);
      count.set(min, count.get(min)! + 1);
    }
  }
  return { roles: out, moves };
}
