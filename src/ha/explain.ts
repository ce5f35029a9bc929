import { CHECK_NAMES } from "../mmm-config/model.js";
import { REFUSED_CONFIRM_MS, checkStatus, describeFailure, formatSeconds } from "./checks.js";
import { findHaHost, findHaRole, writerRole } from "./config.js";
import { DEFAULT_DEPS, analyzeWriterMove, type DecideDeps } from "./decide.js";
import { formatMmmTime, type FormatOptions } from "./format.js";
import { leaseBound } from "./lease.js";
import { holderOf, roleText, rolesOfHost } from "./roles.js";
import type { Snapshot } from "./types.js";

/**
 * `mmm control why HOST|ROLE` (issue 4, point 8): which checks, flap counters and leases put a
 * host in its state and what brings it back; where a role is, who else could take it, and what
 * keeps it from moving. Plain lines, meant for people.
 */
export function explain(snapshot: Snapshot, target: string, now: number, options: FormatOptions & { deps?: DecideDeps } = {}): string {
  if (findHaHost(snapshot.config, target)) return explainHost(snapshot, target, now, options).join("\n") + "\n";
  if (findHaRole(snapshot.config, target)) return explainRole(snapshot, target, now, options).join("\n") + "\n";
  const names = [...snapshot.config.hosts.map((h) => h.name), ...snapshot.config.roles.map((r) => r.name)];
  return `ERROR: '${target}' is neither a host nor a role (${names.join(", ")})\n`;
}

const ago = (now: number, t: number) => `${formatSeconds(now - t)} ago`;

function explainHost(snap: Snapshot, h: string, now: number, o: FormatOptions): string[] {
  const { config, state, checks } = snap;
  const hc = findHaHost(config, h)!;
  const rec = state.hosts[h];
  const out: string[] = [];
  if (!rec) return [`${h}: no state yet`];
  out.push(`${h} (${hc.ip}, ${hc.mode}) is ${rec.state} since ${formatMmmTime(rec.since, o.timeZone)} (${ago(now, rec.since)}): ${rec.reason}`);

  out.push("checks:");
  for (const c of CHECK_NAMES) {
    const s = checkStatus(checks, h, c);
    const k = config.checks[c];
    if (!s) {
      out.push(`  ${c.padEnd(11)}  no result yet`);
      continue;
    }
    if (s.ok && s.failingSince === null) out.push(`  ${c.padEnd(11)}  OK since ${formatMmmTime(s.lastChange, o.timeZone)}: ${s.message}`);
    else if (s.ok) {
      const trapLeft = k.trapPeriodMs - (now - s.failingSince!);
      const refusedLeft = s.refusedSince != null ? REFUSED_CONFIRM_MS - (now - s.refusedSince) : Infinity;
      const after =
        refusedLeft < trapLeft
          ? `counts at the next refusal (refused for ${formatSeconds(now - s.refusedSince!)})`
          : `counts after trap_period ${k.trapPeriodMs / 1000} s (${formatSeconds(trapLeft)} more)`;
      out.push(`  ${c.padEnd(11)}  failing for ${formatSeconds(now - s.failingSince!)} (${s.cause}), ${after}`);
    } else out.push(`  ${c.padEnd(11)}  FAILED: ${describeFailure(checks, h, c, now)} (trap_period ${k.trapPeriodMs / 1000} s)`);
  }

  if (rec.flapping) out.push(`flapping: yes — it went down more than ${config.flapCount} times within flap_duration ${config.flapDurationMs / 1000} s`);
  else if (rec.flapStart !== null && config.flapCount > 0) {
    out.push(
      `flap counter: ${rec.flapCount} downtime${rec.flapCount === 1 ? "" : "s"} since ${formatMmmTime(rec.flapStart, o.timeZone)} (flapping after more than ${config.flapCount} within ${config.flapDurationMs / 1000} s)`,
    );
  }
  if (rec.errant) out.push(`errant transactions (not on the writer): ${rec.errant.gtids}, seen since ${formatMmmTime(rec.errant.since, o.timeZone)}`);

  const a = snap.observed[h]?.agent ?? null;
  if (a) {
    const holds = [...a.vips, ...(a.writable === true ? ["writable mysqld"] : [])];
    out.push(`agent: answers; holds ${holds.length > 0 ? holds.join(", ") : "nothing"}`);
  } else out.push("agent: does not answer");
  const bound = leaseBound(state, h, config);
  if (bound === null) out.push("lease: never renewed by this monitor (the agent holds nothing)");
  else if (now >= bound) out.push(`lease: expired ${ago(now, bound)} — the agent has dropped its VIPs and write access`);
  else out.push(`lease: without another renewal the agent drops its VIPs and write access within ${formatSeconds(bound - now)}`);

  const roles = rolesOfHost(state.roles, h).map(roleText);
  out.push(`roles: ${roles.length > 0 ? roles.join(", ") : "none"}`);
  out.push(`next: ${nextForHost(snap, h, now)}`);
  return out;
}

function nextForHost(snap: Snapshot, h: string, now: number): string {
  const { config, state } = snap;
  const rec = state.hosts[h]!;
  switch (rec.state) {
    case "ONLINE":
      return "stays ONLINE while ping and mysql answer and its replication keeps up";
    case "ADMIN_OFFLINE":
      return `stays offline until \`mmm control set_online ${h}\``;
    case "HARD_OFFLINE":
      return "becomes AWAITING_RECOVERY once ping and mysql answer again (REPLICATION_FAIL/DELAY if its replication is not fine)";
    case "REPLICATION_FAIL":
    case "REPLICATION_DELAY":
      return rec.errant
        ? "stays REPLICATION_FAIL until its errant transactions are gone (rebuild it from the writer, or apply them on the writer)"
        : "becomes ONLINE once rep_threads and rep_backlog are OK";
    case "AWAITING_RECOVERY": {
      if (rec.flapping) {
        return config.autoSetOnlineMs > 0
          ? `flapping: becomes ONLINE after flap_duration ${config.flapDurationMs / 1000} s without a check change, or by \`mmm control set_online ${h}\``
          : `flapping: only \`mmm control set_online ${h}\` brings it back`;
      }
      if (config.autoSetOnlineMs > 0) {
        const left = config.autoSetOnlineMs - (now - rec.since);
        return `becomes ONLINE by auto_set_online in ${formatSeconds(left)} if all checks are OK, or by \`mmm control set_online ${h}\``;
      }
      return `becomes ONLINE by \`mmm control set_online ${h}\` (auto_set_online is 0)`;
    }
  }
}

function explainRole(snap: Snapshot, role: string, now: number, o: FormatOptions & { deps?: DecideDeps }): string[] {
  const { config, state } = snap;
  const r = findHaRole(config, role)!;
  const out: string[] = [];
  const isWriter = role === config.activeMasterRole;
  out.push(`${role} is ${r.mode}${isWriter ? " (the writer: its holder is the one writable host)" : ""}, ips ${r.ips.join(", ")}`);
  for (const ip of r.ips) {
    const holder = holderOf(state.roles, ip);
    out.push(`  ${ip}: ${holder !== null ? `on ${holder}` : "unassigned"}`);
  }
  const candidates = r.hosts.map((h) => {
    const st = state.hosts[h]?.state ?? "UNKNOWN";
    const agent = (snap.observed[h]?.agent ?? null) !== null;
    const why = st !== "ONLINE" ? st : !agent ? "agent does not answer" : "eligible";
    return `${h} (${why})`;
  });
  out.push(`hosts: ${candidates.join(", ")}`);
  if (r.prefer !== undefined) out.push(`preferred host: ${r.prefer} (used when the role is unassigned; a held role never moves back by itself)`);

  if (state.mode === "PASSIVE") out.push(`blocked: the monitor is in passive mode (${state.passiveInfo || "admin"}); roles do not move`);
  else if (state.mode === "MANUAL") out.push("blocked: manual mode; roles move only by `mmm control move_role`");
  else if (state.mode === "WAIT") out.push("blocked: wait mode; roles move only by command until both masters are ONLINE");

  if (!isWriter) return out;
  const t = state.transition;
  const w = writerRole(config);
  if (t !== null) {
    out.push(`moving from ${t.from ?? "nobody"} to ${t.to} since ${formatMmmTime(t.startedAt, o.timeZone)}: ${t.why}${t.forced ? " (forced)" : ""}`);
    const view = analyzeWriterMove(snap, now, o.deps ?? DEFAULT_DEPS);
    for (const b of view.blockers) {
      const a = (snap.observed[b]?.agent ?? null) !== null;
      const bound = leaseBound(state, b, config);
      out.push(
        a
          ? `  waiting: ${b} still holds ${w.ips[0]} or is writable; it was told to fence itself`
          : `  waiting: ${b} does not answer; its lease expires in ${formatSeconds((bound ?? now) - now)}`,
      );
    }
    if (view.blockers.length === 0 && view.catchup && !view.catchup.done) {
      const deadline = (t.fencedAt ?? now) + config.maxCatchupWaitMs;
      out.push(
        now < deadline
          ? `  waiting: ${view.catchup.why} (deadline in ${formatSeconds(deadline - now)})`
          : `  writes refused: ${view.catchup.why}; the max_catchup_wait deadline passed ${ago(now, deadline)}; \`mmm control move_role --force ${role} ${t.to}\` promotes it anyway`,
      );
    }
    return out;
  }
  const holder = holderOf(state.roles, w.ips[0]!);
  const others = r.hosts.filter((h) => h !== holder && state.hosts[h]?.state === "ONLINE" && (snap.observed[h]?.agent ?? null) !== null);
  if (holder === null) out.push(others.length > 0 ? "next: assigned on the next cycle" : "blocked: no host can take it");
  else if (others.length === 0) out.push(`blocked: no other host could take it (${candidates.filter((c) => !c.startsWith(holder)).join(", ")})`);
  else out.push(`can move to: ${others.join(", ")} (\`mmm control move_role ${role} ${others[0]}\`)`);
  return out;
}
