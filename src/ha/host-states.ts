import { CHECK_NAMES, type CheckName } from "../mmm-config/model.js";
import { checkStatus, describeFailure, type ChecksState } from "./checks.js";
import type { HaConfig } from "./config.js";
import type { GtidOps } from "./gtid.js";
import type { HostRecord, MonitorState } from "./state.js";
import { NOT_OBSERVED, type HostObservation, type HostState } from "./types.js";

/**
 * Host state transitions, learnt from MMM 2.2's _check_host_states (lib/Monitor/Monitor.pm):
 *
 *   ONLINE            → HARD_OFFLINE       ping or mysql failed
 *                     → REPLICATION_FAIL   rep_threads failed while the peer is ONLINE and answering
 *                     → REPLICATION_DELAY  rep_backlog failed (threads fine) while the peer is ONLINE …
 *                       (never for the active master: its own replication does not matter; not
 *                        within 60 s of the peer coming ONLINE; mmm: nor within 60 s of a new writer,
 *                        nor while a slave still replicates from an old writer — it is being repointed)
 *   AWAITING_RECOVERY → HARD_OFFLINE       ping or mysql failed
 *                     → ONLINE             all checks OK and: flapping but quiet for flap_duration
 *                                          (auto_set_online only); or uptime grew < 60 s (it was only
 *                                          cut off); or auto_set_online seconds passed
 *   HARD_OFFLINE      → REPLICATION_FAIL / REPLICATION_DELAY / AWAITING_RECOVERY when ping and mysql
 *                       answer again (replication is judged only when there is an active master)
 *   REPLICATION_FAIL ⇄ REPLICATION_DELAY  as the checks say
 *   REPLICATION_*     → ONLINE (AWAITING_RECOVERY if flapping) when replication is fine or the peer
 *                       is not ONLINE (then there is nothing to replicate from); → HARD_OFFLINE
 *   ADMIN_OFFLINE     only by command, in and out.
 * Leaving ONLINE (except for ADMIN_OFFLINE) counts a downtime; more than flap_count within
 * flap_duration marks the host flapping, which only `set_online` clears.
 *
 * mmm adds errant transactions: a host (not the writer) with transactions the writer lacks goes
 * REPLICATION_FAIL and stays there until they are gone, whatever the other checks say.
 *
 * Peers are judged by their state at the start of the cycle (MMM used whatever its hash order had
 * updated already), so the result does not depend on host order.
 */

export interface HostStepInput {
  readonly config: HaConfig;
  readonly prev: MonitorState;
  readonly checks: ChecksState;
  readonly observed: Readonly<Record<string, HostObservation>>;
  readonly now: number;
  /** The writer at the start of the cycle. */
  readonly activeMaster: string | null;
  readonly gtid: GtidOps;
}

export interface HostChange {
  readonly host: string;
  readonly from: HostState;
  readonly to: HostState;
}

export interface HostStepOutput {
  readonly hosts: Record<string, HostRecord>;
  readonly events: string[];
  readonly changes: HostChange[];
}

export function stepHostStates(input: HostStepInput): HostStepOutput {
  const { config, prev, checks, observed, now, activeMaster, gtid } = input;
  const hosts: Record<string, HostRecord> = { ...prev.hosts };
  const events: string[] = [];
  const changes: HostChange[] = [];
  const obs = (h: string) => observed[h] ?? NOT_OBSERVED;
  const ok = (h: string, c: CheckName) => checkStatus(checks, h, c)?.ok === true;
  const writerGtid = activeMaster !== null ? obs(activeMaster).mysql?.gtidExecuted : undefined;
  const writerCapable = config.roles.find((r) => r.name === config.activeMasterRole)?.hosts ?? [];

  for (const hc of config.hosts) {
    const h = hc.name;
    let rec = prev.hosts[h];
    if (!rec) continue;
    if (!CHECK_NAMES.every((c) => checkStatus(checks, h, c) !== undefined)) continue; // no verdict before the first checks

    // errant transactions, judged against the writer (never for the writer itself)
    const mine = obs(h).mysql?.gtidExecuted;
    if (h !== activeMaster && mine !== undefined && writerGtid !== undefined) {
      const errant = gtid.subtract(mine, writerGtid);
      rec = { ...rec, errant: errant === null ? null : { gtids: errant, since: rec.errant?.gtids === errant ? rec.errant.since : now } };
    } else if (h === activeMaster && rec.errant !== null) {
      rec = { ...rec, errant: null };
    }
    const uptime = obs(h).agent?.uptime;
    if (rec.state === "ONLINE" && uptime !== undefined) rec = { ...rec, lastOnlineUptime: uptime };
    hosts[h] = rec;

    const state = rec.state;
    if (state === "ADMIN_OFFLINE") continue;
    const ping = ok(h, "ping");
    const mysql = ok(h, "mysql");
    const threads = ok(h, "rep_threads");
    const backlog = ok(h, "rep_backlog");
    const errant = rec.errant;
    const peer = hc.peer ?? (hc.mode === "slave" ? (activeMaster ?? undefined) : undefined);
    const peerRec = peer !== undefined ? prev.hosts[peer] : undefined;
    const peerOnline = peerRec?.state === "ONLINE";
    const peerAnswers = peer !== undefined && ok(peer, "ping") && ok(peer, "mysql");

    const to = (next: HostState, why: string, event?: string) => {
      events.push(event ?? `State of host '${h}' changed from ${state} to ${next}`);
      hosts[h] = transition(rec!, next, why, now, config, events, h);
      changes.push({ host: h, from: state, to: next });
    };
    const down = () => describeDown(checks, h, now);
    const downEvent = (next: HostState) =>
      `State of host '${h}' changed from ${state} to ${next} (ping: ${ping ? "OK" : "not OK"}, mysql: ${mysql ? "OK" : "not OK"})`;
    const errantWhy = () => `errant transactions ${errant!.gtids} not on writer ${activeMaster}`;

    if (state === "ONLINE") {
      if (!(ping && mysql)) {
        to("HARD_OFFLINE", down(), downEvent("HARD_OFFLINE"));
        continue;
      }
      if (h === activeMaster) continue;
      if (errant) {
        to("REPLICATION_FAIL", errantWhy());
        continue;
      }
      // The grace covers an IO thread reconnecting to a source that just came back or changed.
      // A stopped SQL thread (an apply error, an admin's STOP SLAVE) is not cured by waiting,
      // so such a host loses its reader roles once rep_threads has failed for its trap_period.
      const sqlStopped = !threads && obs(h).mysql?.replication?.sqlRunning === false;
      if (!sqlStopped && peerOnline && peerRec!.onlineSince !== null && now - peerRec!.onlineSince < config.replicationGraceMs) continue;
      if (isRepointPending(hc.mode, obs(h), activeMaster)) continue;
      if (!sqlStopped && prev.writerSince !== null && now - prev.writerSince < config.replicationGraceMs) continue;
      if (!threads && peerOnline && peerAnswers) {
        to("REPLICATION_FAIL", describeFailure(checks, h, "rep_threads", now));
        continue;
      }
      if (!backlog && threads && peerOnline && peerAnswers) {
        to("REPLICATION_DELAY", describeFailure(checks, h, "rep_backlog", now));
      }
      continue;
    }

    if (state === "AWAITING_RECOVERY") {
      if (!(ping && mysql)) {
        to("HARD_OFFLINE", down(), downEvent("HARD_OFFLINE"));
        continue;
      }
      if (errant) {
        to("REPLICATION_FAIL", errantWhy());
        continue;
      }
      if (!(backlog && threads)) continue;
      const inState = Math.floor((now - rec.since) / 1000);
      if (rec.flapping) {
        if (config.autoSetOnlineMs <= 0) continue;
        if (now - lastCheckChange(checks, h) < config.flapDurationMs) continue;
        to(
          "ONLINE",
          `flapping host quiet for flap_duration ${config.flapDurationMs / 1000} s (auto_set_online)`,
          `State of flapping host '${h}' changed from ${state} to ONLINE because of auto_set_online and flap_duration(${config.flapDurationMs / 1000}) seconds passed without another failure. It was in state AWAITING_RECOVERY for ${inState} seconds`,
        );
        continue;
      }
      const upNow = obs(h).agent?.uptime;
      const diff = upNow !== undefined && rec.lastOnlineUptime !== null ? upNow - rec.lastOnlineUptime : undefined;
      if (rec.lastOnlineUptime !== null && rec.lastOnlineUptime > 0 && diff !== undefined && diff > 0 && diff < config.shortDowntimeS) {
        to(
          "ONLINE",
          `down for only ${Math.floor(diff)} s without a reboot`,
          `State of host '${h}' changed from ${state} to ONLINE because it was down for only ${Math.floor(diff)} seconds`,
        );
        continue;
      }
      if (config.autoSetOnlineMs > 0 && now - rec.since >= config.autoSetOnlineMs) {
        to(
          "ONLINE",
          `auto_set_online after ${config.autoSetOnlineMs / 1000} s`,
          `State of host '${h}' changed from ${state} to ONLINE because of auto_set_online(${config.autoSetOnlineMs / 1000} seconds). It was in state AWAITING_RECOVERY for ${inState} seconds`,
        );
      }
      continue;
    }

    if (state === "HARD_OFFLINE") {
      if (!(ping && mysql)) continue;
      if (activeMaster !== null || !writerCapable.includes(h)) {
        if (errant) {
          to("REPLICATION_FAIL", errantWhy());
          continue;
        }
        if (!threads) {
          to("REPLICATION_FAIL", describeFailure(checks, h, "rep_threads", now));
          continue;
        }
        if (!backlog) {
          to("REPLICATION_DELAY", describeFailure(checks, h, "rep_backlog", now));
          continue;
        }
      }
      to("AWAITING_RECOVERY", "ping and mysql answer again");
      continue;
    }

    // REPLICATION_FAIL / REPLICATION_DELAY
    if (!(ping && mysql)) {
      to("HARD_OFFLINE", down(), downEvent("HARD_OFFLINE"));
      continue;
    }
    if (errant) {
      if (state === "REPLICATION_DELAY") to("REPLICATION_FAIL", errantWhy());
      else if (rec.reason !== errantWhy()) hosts[h] = { ...rec, reason: errantWhy() };
      continue;
    }
    if (state === "REPLICATION_FAIL" && !backlog && threads) {
      to("REPLICATION_DELAY", describeFailure(checks, h, "rep_backlog", now));
      continue;
    }
    if (state === "REPLICATION_DELAY" && !threads) {
      to("REPLICATION_FAIL", describeFailure(checks, h, "rep_threads", now));
      continue;
    }
    if ((backlog && threads) || !peerOnline) {
      const why = backlog && threads ? "replication is fine again" : `peer ${peer ?? "(none)"} is not ONLINE`;
      if (rec.flapping) to("AWAITING_RECOVERY", `${why}, but the host is flapping`, `State of host '${h}' changed from ${state} to AWAITING_RECOVERY (because it's flapping)`);
      else to("ONLINE", why);
    }
  }
  return { hosts, events, changes };
}

/** A state change with MMM's flap accounting (MMM::Monitor::Agent::state). */
function transition(
  rec: HostRecord,
  to: HostState,
  why: string,
  now: number,
  config: HaConfig,
  events: string[],
  host: string,
): HostRecord {
  let { flapping, flapStart, flapCount } = rec;
  if (config.flapCount > 0 && rec.state === "ONLINE" && to !== "ADMIN_OFFLINE") {
    if (flapStart === null || flapStart < now - config.flapDurationMs) {
      flapStart = now;
      flapCount = 1;
    } else {
      flapCount += 1;
      if (flapCount > config.flapCount) {
        flapping = true;
        flapStart = null;
        events.push(`Host ${host} is flapping!`);
      }
    }
  }
  return {
    ...rec,
    state: to,
    since: now,
    reason: why,
    onlineSince: to === "ONLINE" ? now : rec.onlineSince,
    flapping,
    flapStart,
    flapCount,
  };
}

function isRepointPending(mode: "master" | "slave", o: HostObservation, activeMaster: string | null): boolean {
  if (mode !== "slave" || activeMaster === null) return false;
  const src = o.mysql?.replication?.source;
  return o.mysql?.replication !== undefined && o.mysql.replication !== null && src !== activeMaster;
}

function lastCheckChange(checks: ChecksState, host: string): number {
  return Math.max(...CHECK_NAMES.map((c) => checkStatus(checks, host, c)?.lastChange ?? 0));
}

/** Why a host counts as down: ping and mysql, each if failing (counted or still within trap_period). */
export function describeDown(checks: ChecksState, host: string, now: number): string {
  const failing = (["ping", "mysql"] as const).filter((c) => {
    const s = checkStatus(checks, host, c);
    return s === undefined || !s.ok || s.failingSince !== null;
  });
  return (failing.length > 0 ? failing : (["mysql"] as const)).map((c) => describeFailure(checks, host, c, now)).join(", ");
}

/** The host does not answer ping, or has started not to (within trap_period): a network problem, not mysqld's. */
export function isPingFailing(checks: ChecksState, host: string): boolean {
  const s = checkStatus(checks, host, "ping");
  return s === undefined || !s.ok || s.failingSince !== null;
}
