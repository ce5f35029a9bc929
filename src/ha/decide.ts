import { checkStatus, describeFailure, formatSeconds } from "./checks.js";
import { roleOfIp, writerRole, type HaConfig, type HaRole } from "./config.js";
import { simpleGtidOps, type GtidOps } from "./gtid.js";
import { describeDown, isPingFailing, stepHostStates } from "./host-states.js";
import { isLeaseExpired, leaseBound } from "./lease.js";
import { assignOrphans, balanceRoles, clearHostRoles, electHost, holderOf, rolesOfHost, setHolder } from "./roles.js";
import type { HostRecord, MonitorState, RoleAssignment, TransitionCause, WriterTransition } from "./state.js";
import {
  NOT_OBSERVED,
  type Action,
  type Decision,
  type HostObservation,
  type MonitorMode,
  type MysqlObservation,
  type Situation,
  type Snapshot,
} from "./types.js";

/**
 * One monitor cycle: snapshot in, decision out (see index.ts for the whole flow).
 *
 *   1. grants   forget what observations or expired leases prove a host no longer holds
 *   2. hosts    MMM's host state transitions (host-states.ts); WAIT → ACTIVE
 *   3. roles    ACTIVE: a host that is not ONLINE loses its roles
 *   4. analyze  name the situation; its handler (one per Situation) acts and says why
 *   5. place    orphaned and unbalanced non-writer roles (roles.ts)
 *   6. reconcile  desired roles vs what agents report → actions, under the one safety gate:
 *               nothing is granted to a host while another host may still hold it
 */

export interface DecideDeps {
  readonly gtid: GtidOps;
}

export const DEFAULT_DEPS: DecideDeps = { gtid: simpleGtidOps };

/** Situations worth an alert when a cycle enters them. */
const ALERTING: ReadonlySet<Situation> = new Set<Situation>([
  "NoNetwork",
  "WriterDead",
  "WriterUnreachable",
  "BothMastersDown",
  "CatchupTimedOut",
  "CoMasterDead",
  "ErrantTransactions",
  "ReplicaDead",
  "ReplicaBroken",
  "FlappingHost",
]);

type Handler = (c: Cycle) => string;

export function decide(snapshot: Snapshot, now: number, deps: DecideDeps = DEFAULT_DEPS): Decision {
  const c = new Cycle(snapshot, now, deps);
  if (!snapshot.network) {
    c.frozen = true;
    return c.finish("NoNetwork", HANDLERS.NoNetwork(c));
  }
  c.forgetDisprovedGrants();
  c.stepHosts();
  c.leaveWaitMode();
  if (c.mode === "PASSIVE") {
    c.frozen = true;
    return c.finish("PassiveMode", HANDLERS.PassiveMode(c));
  }
  if (c.mode === "ACTIVE") c.clearRolesOfHostsNotOnline();
  const situation = analyze(c);
  const reason = HANDLERS[situation](c);
  c.placeRoles();
  c.reconcile();
  return c.finish(situation, reason);
}

// ---------------------------------------------------------------------------------------------

interface CatchupStatus {
  readonly done: boolean;
  readonly why: string;
}

class Cycle {
  readonly cfg: HaConfig;
  readonly prev: MonitorState;
  readonly writer: HaRole;
  readonly writerIp: string;
  hosts: Record<string, HostRecord>;
  roles: RoleAssignment[];
  vipGrants: Record<string, string[]>;
  writableGrants: string[];
  transition: WriterTransition | null;
  mode: MonitorMode;
  passiveInfo: string;
  lastWriter: string | null;
  writerSince: number | null;
  readonly actions: Action[] = [];
  readonly events: string[] = [];
  /** The writer's holder that lost its roles this cycle (left ONLINE in ACTIVE mode). */
  writerLost: string | null = null;
  /** The host a non-writer situation is about. */
  subject: string | null = null;
  /** No role changes and no reconciliation (NoNetwork, PassiveMode). */
  frozen = false;
  readonly fencedNow = new Set<string>();

  constructor(
    readonly snap: Snapshot,
    readonly now: number,
    readonly deps: DecideDeps,
  ) {
    this.cfg = snap.config;
    this.prev = snap.state;
    this.writer = writerRole(this.cfg);
    this.writerIp = this.writer.ips[0]!;
    this.hosts = { ...snap.state.hosts };
    this.roles = [...snap.state.roles];
    this.vipGrants = Object.fromEntries(Object.entries(snap.state.grants.vips).map(([ip, hs]) => [ip, [...hs]]));
    this.writableGrants = [...snap.state.grants.writable];
    this.transition = snap.state.transition;
    this.mode = snap.state.mode;
    this.passiveInfo = snap.state.passiveInfo;
    this.lastWriter = snap.state.lastWriter;
    this.writerSince = snap.state.writerSince;
  }

  obs(h: string): HostObservation {
    return this.snap.observed[h] ?? NOT_OBSERVED;
  }
  agentUp(h: string): boolean {
    return this.obs(h).agent !== null;
  }
  ok(h: string, check: "ping" | "mysql" | "rep_threads" | "rep_backlog"): boolean {
    return checkStatus(this.snap.checks, h, check)?.ok === true;
  }
  state(h: string): string {
    return this.hosts[h]?.state ?? "UNKNOWN";
  }
  eligible = (h: string): boolean => this.hosts[h]?.state === "ONLINE" && this.agentUp(h);
  writerHolder(): string | null {
    return holderOf(this.roles, this.writerIp);
  }
  electWriter(exclude: readonly string[]): string | null {
    return electHost(this.cfg, this.writer, this.roles, this.eligible, exclude);
  }
  leaseExpired(h: string): boolean {
    return isLeaseExpired(this.prev, h, this.now, this.cfg);
  }
  /**
   * May `h` hold `ip` right now? Observed if its agent answered, plus, while a grant may still
   * land (grantsPending) or when it did not answer, what it was granted, until its lease ran out.
   */
  possiblyHolds(h: string, ip: string): boolean {
    const o = this.obs(h);
    if (o.agent?.vips.includes(ip)) return true;
    if (o.agent && !o.grantsPending) return false;
    return (this.vipGrants[ip] ?? []).includes(h) && !this.leaseExpired(h);
  }
  possiblyWritable(h: string): boolean {
    const o = this.obs(h);
    if (o.agent?.writable === true) return true;
    if (o.agent && !o.grantsPending) return false;
    return this.writableGrants.includes(h) && !this.leaseExpired(h);
  }
  /** Hosts other than `to` that may still hold the writer VIP or take writes. */
  writerBlockers(to: string): string[] {
    return this.cfg.hosts
      .map((h) => h.name)
      .filter((h) => h !== to && (this.possiblyHolds(h, this.writerIp) || this.possiblyWritable(h)));
  }

  /** "HARD_OFFLINE (mysql: connection refused for 1.2 s)". */
  condition(h: string): string {
    const r = this.hosts[h];
    if (!r) return "UNKNOWN";
    const checks = this.snap.checks;
    switch (r.state) {
      case "HARD_OFFLINE":
        return `HARD_OFFLINE (${describeDown(checks, h, this.now)})`;
      case "REPLICATION_FAIL":
        return r.errant ? `REPLICATION_FAIL (errant transactions ${r.errant.gtids})` : `REPLICATION_FAIL (${describeFailure(checks, h, "rep_threads", this.now)})`;
      case "REPLICATION_DELAY":
        return `REPLICATION_DELAY (${describeFailure(checks, h, "rep_backlog", this.now)})`;
      case "ONLINE":
        return this.agentUp(h) ? "ONLINE" : "ONLINE but its agent does not answer";
      default:
        return r.state;
    }
  }

  // --- steps -----------------------------------------------------------------------------------

  forgetDisprovedGrants(): void {
    for (const hc of this.cfg.hosts) {
      const h = hc.name;
      const { agent: a, grantsPending } = this.obs(h);
      if (a) {
        // While a grant may still land, an answer without it proves nothing (see HostObservation);
        // once the lease has run out the agent refuses it anyway.
        const proof = !grantsPending || this.leaseExpired(h);
        for (const ip of Object.keys(this.vipGrants)) {
          if (proof && !a.vips.includes(ip)) this.vipGrants[ip] = this.vipGrants[ip]!.filter((x) => x !== h);
        }
        for (const ip of a.vips) {
          const list = (this.vipGrants[ip] ??= []);
          if (!list.includes(h)) list.push(h);
        }
        if (a.writable === true) {
          if (!this.writableGrants.includes(h)) this.writableGrants.push(h);
        } else if (proof) this.writableGrants = this.writableGrants.filter((x) => x !== h);
      } else if (this.leaseExpired(h)) {
        for (const ip of Object.keys(this.vipGrants)) this.vipGrants[ip] = this.vipGrants[ip]!.filter((x) => x !== h);
        this.writableGrants = this.writableGrants.filter((x) => x !== h);
      }
    }
  }

  stepHosts(): void {
    const out = stepHostStates({
      config: this.cfg,
      prev: this.prev,
      checks: this.snap.checks,
      observed: this.snap.observed,
      now: this.now,
      activeMaster: holderOf(this.prev.roles, this.writerIp),
      gtid: this.deps.gtid,
    });
    this.hosts = out.hosts;
    this.events.push(...out.events);
  }

  /** MMM: WAIT becomes ACTIVE once both masters are ONLINE, or one has been for wait_for_other_master. */
  leaveWaitMode(): void {
    if (this.mode !== "WAIT") return;
    const [one, two] = this.writer.hosts;
    const online = (h: string | undefined) => h !== undefined && this.hosts[h]?.state === "ONLINE";
    if (online(one) && (two === undefined || online(two))) {
      this.mode = "ACTIVE";
      this.events.push(`Nodes ${[one, two].filter(Boolean).join(" and ")} are ONLINE, switching from mode 'WAIT' to 'ACTIVE'.`);
      return;
    }
    const wait = this.cfg.waitForOtherMasterMs;
    if (wait > 0 && (online(one) || online(two))) {
      const living = online(one) ? one! : two!;
      const dead = living === one ? two : one;
      const since = this.hosts[living]!.onlineSince ?? this.now;
      if (this.now - since >= wait) {
        this.mode = "ACTIVE";
        this.events.push(`Master ${dead} did not come online for ${wait / 1000}(wait_for_other_master) seconds. Switching from mode 'WAIT' to 'ACTIVE'`);
      }
    }
  }

  clearRolesOfHostsNotOnline(): void {
    for (const hc of this.cfg.hosts) {
      const h = hc.name;
      if (this.hosts[h]?.state === "ONLINE") continue;
      if (!this.roles.some((a) => a.host === h)) continue;
      if (holderOf(this.roles, this.writerIp) === h) {
        this.writerLost = h;
        this.lastWriter = h;
      }
      this.roles = clearHostRoles(this.roles, h);
      this.events.push(`Removed all roles from host '${h}' (${this.state(h)})`);
    }
  }

  startTransition(from: string | null, to: string, cause: TransitionCause, why: string): void {
    this.transition = {
      ip: this.writerIp,
      from,
      to,
      cause,
      why,
      startedAt: this.now,
      forced: false,
      fencedAt: null,
      fencedBy: null,
      alerted: false,
    };
    this.events.push(`Writer move started: ${why}`);
  }

  placeRoles(): void {
    if (this.frozen) return;
    // Count a writer move's candidate as already holding the writer, so readers are placed
    // where they will stay once it is promoted (one move each, as in the tutorial's failover).
    const pending = this.transition?.to;
    const view = pending !== undefined ? setHolder(this.roles, this.writerIp, pending) : this.roles;
    const orphans = assignOrphans(view, this.cfg, this.eligible, this.writer.name);
    const balanced = balanceRoles(orphans.roles, this.cfg, this.eligible);
    this.roles = pending !== undefined ? setHolder(balanced.roles, this.writerIp, null) : balanced.roles;
    this.events.push(...orphans.moves, ...balanced.moves);
  }

  /**
   * A host being fenced drops its other VIPs in the same request: a second one to the same agent
   * would queue behind the fence, and the promotion waits for the cycle that sent both. False
   * when the host has no fence action (then a remove-vip does it).
   */
  addToFence(host: string, ip: string): boolean {
    const i = this.actions.findIndex((a) => a.kind === "fence" && a.host === host);
    const fence = this.actions[i];
    if (fence?.kind !== "fence") return false;
    if (!fence.ips.includes(ip)) this.actions[i] = { ...fence, ips: [...fence.ips, ip] };
    return true;
  }

  /** Desired roles vs what the agents report, as actions, in a safe order. */
  reconcile(): void {
    if (this.frozen) return;
    const W = this.writerHolder();
    const names = this.cfg.hosts.map((h) => h.name);

    // 1. take away what a host holds but should not
    for (const h of names) {
      const a = this.obs(h).agent;
      if (!a) continue;
      for (const ip of a.vips) {
        if (holderOf(this.roles, ip) === h) continue;
        if (this.fencedNow.has(h) && this.addToFence(h, ip)) continue;
        this.actions.push({ kind: "remove-vip", host: h, role: roleOfIp(this.cfg, ip)?.name ?? "(unknown)", ip });
      }
      if (a.writable === true && h !== W && !this.fencedNow.has(h)) this.actions.push({ kind: "set-read-only", host: h });
    }

    // 2. renew the leases of hosts holding only what they should
    for (const h of names) {
      const a = this.obs(h).agent;
      if (!a || this.fencedNow.has(h)) continue;
      if (rolesOfHost(this.roles, h).length === 0) continue;
      const conflicting = a.vips.some((ip) => holderOf(this.roles, ip) !== h) || (a.writable === true && h !== W);
      if (!conflicting) this.actions.push({ kind: "renew-lease", host: h, leaseMs: this.cfg.leaseMs });
    }

    // 3. the writer: writable first, so the first connection through the VIP can write
    if (W !== null) {
      const a = this.obs(W).agent;
      if (a && a.writable === false && this.writerBlockers(W).length === 0) {
        this.actions.push({ kind: "set-writable", host: W });
        if (!this.writableGrants.includes(W)) this.writableGrants.push(W);
      }
    }

    // 4. VIPs to their holders, each only when no other host may still hold it
    for (const { ip, host: D } of this.roles) {
      if (D === null) continue;
      const a = this.obs(D).agent;
      if (!a || a.vips.includes(ip)) continue;
      if (names.some((h) => h !== D && this.possiblyHolds(h, ip))) continue;
      if (ip === this.writerIp && this.writerBlockers(D).length > 0) continue;
      this.actions.push({ kind: "add-vip", host: D, role: roleOfIp(this.cfg, ip)?.name ?? "(unknown)", ip });
      const list = (this.vipGrants[ip] ??= []);
      if (!list.includes(D)) list.push(D);
    }

    // 5. replicas follow the writer by GTID
    if (W !== null && this.transition === null) {
      for (const hc of this.cfg.hosts) {
        const h = hc.name;
        const m = this.obs(h).mysql;
        if (h === W) {
          // The writer replicates from its peer master; after fetching what a replica of a dead
          // writer had received (aheadReplica) it goes back to it — unless the peer is errant or
          // taken offline, whose transactions it must not pull, or the source is no cluster host
          // (an operator's choice).
          const from = m?.replication?.source;
          const peer = hc.peer !== undefined ? this.hosts[hc.peer] : undefined;
          if (peer && peer.errant === null && peer.state !== "ADMIN_OFFLINE" && from !== undefined && from !== hc.peer && this.hosts[from] !== undefined) {
            this.actions.push({ kind: "repoint-replica", host: W, source: hc.peer! });
          }
          continue;
        }
        const r = this.hosts[h];
        if (!m || !r || r.state === "ADMIN_OFFLINE" || r.errant !== null) continue;
        const target = hc.mode === "slave" ? W : hc.peer === W ? W : null;
        if (target === null) continue;
        const rep = m.replication;
        if (rep === null || rep.source !== target || rep.usingGtid === false) {
          this.actions.push({ kind: "repoint-replica", host: h, source: target });
        }
      }
    }

    // 6. a VIP answering from the wrong MAC is announced again
    const arp = this.snap.arp;
    if (arp) {
      for (const { ip, host: D } of this.roles) {
        if (D === null || !(ip in arp) || arp[ip] === D) continue;
        if (this.obs(D).agent?.vips.includes(ip)) this.actions.push({ kind: "announce-vip", host: D, ip });
      }
    }
  }

  finish(code: Situation, reason: string): Decision {
    if (code !== this.prev.situation && ALERTING.has(code)) this.actions.push({ kind: "alert", situation: code, message: reason });
    const holder = this.writerHolder();
    if (holder !== null) this.lastWriter = holder;
    const next: MonitorState = this.frozen
      ? {
          ...this.prev,
          hosts: this.hosts,
          grants: { vips: this.vipGrants, writable: this.writableGrants },
          situation: code,
          updatedAt: this.now,
        }
      : {
          version: 2,
          mode: this.mode,
          passiveInfo: this.passiveInfo,
          hosts: this.hosts,
          roles: this.roles,
          leases: this.prev.leases,
          grants: { vips: this.vipGrants, writable: this.writableGrants },
          transition: this.transition,
          lastWriter: this.lastWriter,
          writerSince: this.writerSince,
          situation: code,
          updatedAt: this.now,
        };
    const quiet = new Set(["renew-lease", "announce-vip", "wait-catchup"]);
    const changed =
      this.events.length > 0 ||
      code !== this.prev.situation ||
      this.actions.some((a) => !quiet.has(a.kind)) ||
      next.mode !== this.prev.mode ||
      JSON.stringify(next.roles) !== JSON.stringify(this.prev.roles) ||
      JSON.stringify(next.transition) !== JSON.stringify(this.prev.transition);
    return { code, reason, actions: this.actions, next, events: this.events, changed };
  }
}

// ---------------------------------------------------------------------------------------------
// Analysis: which situation is this?

function analyze(c: Cycle): Situation {
  if (c.transition !== null) return analyzeTransition(c);
  if (c.writerLost !== null) {
    if (c.electWriter([c.writerLost]) === null) return "BothMastersDown";
    return isPingFailing(c.snap.checks, c.writerLost) ? "WriterUnreachable" : "WriterDead";
  }
  if (c.writerHolder() === null) {
    if (c.electWriter([]) !== null) return "NoWriter";
    const recovering = c.writer.hosts.find((h) => c.hosts[h]?.state === "AWAITING_RECOVERY");
    if (recovering !== undefined) {
      c.subject = recovering;
      return "HostRecovering";
    }
    return "BothMastersDown";
  }
  if (c.mode === "MANUAL") return "ManualMode";
  if (c.mode === "WAIT") return "WaitMode";
  return analyzeHosts(c);
}

/** Where a writer move stands; may re-target it to another candidate. */
function analyzeTransition(c: Cycle): Situation {
  let t = c.transition!;
  if (!c.eligible(t.to)) {
    const next = c.electWriter([t.to, ...(t.from !== null ? [t.from] : [])]);
    if (next === null && c.hosts[t.to]?.state !== "ONLINE") return "BothMastersDown";
    if (next !== null) {
      c.events.push(`Writer move re-targeted from '${t.to}' (${c.condition(t.to)}) to '${next}'`);
      t = c.transition = { ...t, to: next, fencedAt: null, fencedBy: null, alerted: false };
    }
  }
  if (c.writerBlockers(t.to).length > 0) return "AwaitingFence";
  if (t.fencedAt === null) {
    const fencedBy = t.from === null ? "none" : c.agentUp(t.from) ? "confirmed" : "lease-expired";
    t = c.transition = { ...t, fencedAt: c.now, fencedBy };
  }
  if (t.forced || catchup(c, t).done) return "WriterFenced";
  return c.now < t.fencedAt! + c.cfg.maxCatchupWaitMs ? "AwaitingCatchup" : "CatchupTimedOut";
}

/** Has the candidate applied everything it received, and everything the old writer wrote (when it answers)? */
function catchup(c: Cycle, t: WriterTransition): CatchupStatus {
  const to = t.to;
  const o = c.obs(to);
  if (!o.agent) return { done: false, why: `${to}'s agent does not answer` };
  if (!o.mysql) return { done: false, why: `${to}'s mysqld did not answer the monitor` };
  const pending: string[] = [];
  const exec = o.mysql.gtidExecuted;
  const rep = o.mysql.replication;
  if (rep !== null) {
    if (rep.relayLogApplied === true) {
      // positions say so
    } else if (rep.retrievedGtid !== undefined && exec !== undefined) {
      const missing = c.deps.gtid.subtract(rep.retrievedGtid, exec);
      if (missing !== null) pending.push(`${to} has not applied ${missing} from its relay log`);
    } else if (rep.relayLogApplied === false) {
      pending.push(`${to} has not applied all relay log it received`);
    } else {
      pending.push(`the monitor cannot tell whether ${to} applied its relay log`);
    }
  }
  if (t.from !== null) {
    const old = c.obs(t.from).mysql?.gtidExecuted;
    if (old !== undefined) {
      const missing = exec === undefined ? old : c.deps.gtid.subtract(old, exec);
      if (missing !== null) pending.push(`${to} lacks ${missing} from ${t.from}'s binlog`);
    }
  }
  const ahead = aheadReplica(c, t);
  if (ahead) pending.push(`${to} lacks ${ahead.missing}, which ${ahead.host} received from ${t.from}`);
  return { done: pending.length === 0, why: pending.join(" and ") };
}

/**
 * A replica of a writer that no longer answers which holds transactions the new writer lacks:
 * it received them before the writer died and the new writer did not. The new writer fetches
 * them from it before promotion (it replicates from that replica by GTID for a moment), so
 * nothing a surviving host received is lost, and that replica does not end up errant under the
 * new writer. While the old writer answers, its own binlog is the reference instead.
 */
function aheadReplica(c: Cycle, t: WriterTransition): { host: string; gtid: string; missing: string } | null {
  if (t.from === null || c.obs(t.from).mysql) return null;
  const to = c.obs(t.to).mysql;
  const exec = to?.gtidExecuted;
  if (exec === undefined) return null;
  // Only once the new writer has applied all it received: what its relay log holds it applies
  // itself, and re-pointing a busy or blocked SQL thread (a LOCK TABLES) would stall on STOP SLAVE.
  const rep = to!.replication;
  const idle = rep === null || rep.relayLogApplied === true || (rep.retrievedGtid !== undefined && c.deps.gtid.subtract(rep.retrievedGtid, exec) === null);
  if (!idle) return null;
  const ahead: { host: string; gtid: string; missing: string }[] = [];
  for (const { name: h } of c.cfg.hosts) {
    if (h === t.to || h === t.from) continue;
    const r: HostRecord | undefined = c.hosts[h];
    const m: MysqlObservation | null = c.obs(h).mysql;
    if (!r || !m || r.errant !== null || r.state === "ADMIN_OFFLINE" || m.gtidExecuted === undefined) continue;
    // Only what came from the old writer.
    if (m.replication?.source !== t.from) continue;
    const missing = c.deps.gtid.subtract(m.gtidExecuted, exec);
    if (missing !== null) ahead.push({ host: h, gtid: m.gtidExecuted, missing });
  }
  // The one that has what every other has, so one re-point is enough; else the first.
  return ahead.find((a) => ahead.every((b) => c.deps.gtid.subtract(b.gtid, a.gtid) === null)) ?? ahead[0] ?? null;
}

function analyzeHosts(c: Cycle): Situation {
  const holder = c.writerHolder();
  const names = c.cfg.hosts.map((h) => h.name);
  const find = (pred: (h: string, r: HostRecord) => boolean) => names.find((h) => c.hosts[h] !== undefined && pred(h, c.hosts[h]!));
  const pick = (situation: Situation, h: string | undefined): Situation | undefined => {
    if (h === undefined) return undefined;
    c.subject = h;
    return situation;
  };
  return (
    pick("CoMasterDead", find((h, r) => h !== holder && c.writer.hosts.includes(h) && r.state === "HARD_OFFLINE")) ??
    pick("ErrantTransactions", find((_, r) => r.state === "REPLICATION_FAIL" && r.errant !== null)) ??
    pick("ReplicaDead", find((_, r) => r.state === "HARD_OFFLINE")) ??
    pick("ReplicaBroken", find((_, r) => r.state === "REPLICATION_FAIL")) ??
    pick("ReplicaLagging", find((_, r) => r.state === "REPLICATION_DELAY")) ??
    pick("FlappingHost", find((_, r) => r.state === "AWAITING_RECOVERY" && r.flapping)) ??
    pick("HostRecovering", find((_, r) => r.state === "AWAITING_RECOVERY")) ??
    "Healthy"
  );
}

// ---------------------------------------------------------------------------------------------
// Handlers: one per situation; each acts on the cycle and returns the cycle's one sentence.

/** The transition phases act the same whether the move started this cycle or earlier. */
function actTransition(c: Cycle, phase: Situation): string {
  const t = c.transition!;
  switch (phase) {
    case "AwaitingFence": {
      const blockers = c.writerBlockers(t.to);
      const until = blockers.map((b) => {
        c.actions.push({ kind: "fence", host: b, ips: [c.writerIp], reason: `writer moves to ${t.to}` });
        c.fencedNow.add(b);
        if (c.agentUp(b)) return `${b} confirms it is fenced`;
        const bound = leaseBound(c.prev, b, c.cfg) ?? c.now;
        return `${b}'s lease expires in ${formatSeconds(bound - c.now)}`;
      });
      return `waiting to promote ${t.to} until ${until.join(" and ")}`;
    }
    case "AwaitingCatchup": {
      const deadline = t.fencedAt! + c.cfg.maxCatchupWaitMs;
      const ahead = aheadReplica(c, t);
      if (ahead && c.obs(t.to).mysql?.replication?.source !== ahead.host) {
        c.actions.push({ kind: "repoint-replica", host: t.to, source: ahead.host });
      }
      const old = ahead ? ahead.gtid : t.from !== null ? c.obs(t.from).mysql?.gtidExecuted : undefined;
      c.actions.push({ kind: "wait-catchup", host: t.to, deadline, ...(old !== undefined ? { gtid: old } : {}) });
      return `waiting for ${t.to} to catch up before it becomes writer: ${catchup(c, t).why} (deadline in ${formatSeconds(deadline - c.now)})`;
    }
    case "CatchupTimedOut": {
      c.transition = { ...t, alerted: true };
      return (
        `refusing writes: ${t.to} did not catch up within max_catchup_wait ${c.cfg.maxCatchupWaitMs / 1000} s (${catchup(c, t).why}); ` +
        `\`mmm control move_role --force ${c.writer.name} ${t.to}\` promotes it anyway`
      );
    }
    case "WriterFenced": {
      const status = catchup(c, t);
      c.roles = setHolder(c.roles, c.writerIp, t.to);
      c.transition = null;
      c.writerSince = c.now;
      c.lastWriter = t.to;
      c.events.push(`Role '${c.writer.name}(${c.writerIp})' has been given to '${t.to}'`);
      if (t.fencedBy === "lease-expired" && t.from !== null && c.ok(t.from, "ping")) {
        // Alive but its agent is silent: MMM's kill_host_bin is the last word on it.
        c.actions.push({ kind: "kill-host", host: t.from });
      }
      const fence =
        t.fencedBy === "confirmed" ? `${t.from} is fenced` : t.fencedBy === "lease-expired" ? `${t.from}'s lease expired` : "no other host can write";
      if (t.forced && !status.done) return `promoting ${t.to} to writer by move_role --force although ${status.why}; ${fence}`;
      const applied = t.from !== null && c.obs(t.from).mysql?.gtidExecuted !== undefined ? ` and everything ${t.from} wrote` : "";
      return `promoting ${t.to} to writer: ${fence} and ${t.to} has applied all relay log it received${applied}`;
    }
    default:
      throw new Error(`not a transition phase: ${phase}`);
  }
}

/** Starts a writer move and runs its first phase in the same cycle; the sentence names the cause. */
function startMove(c: Cycle, from: string | null, to: string, cause: TransitionCause, because: string): string {
  c.startTransition(from, to, cause, because);
  const phase = analyzeTransition(c);
  if (phase === "BothMastersDown") return `${because}; ${HANDLERS.BothMastersDown(c)}`;
  const said = actTransition(c, phase);
  return phase === "WriterFenced" ? because : `${because}; ${said}`;
}

function failover(c: Cycle): string {
  const from = c.writerLost!;
  const to = c.electWriter([from])!;
  return startMove(c, from, to, "failover", `moving writer from ${from} to ${to} because ${from} is ${c.condition(from)}`);
}

const HANDLERS: Record<Situation, Handler> = {
  NoNetwork: () => "the monitor reaches none of ping_ips, so it is the one cut off and changes nothing",

  PassiveMode: (c) => {
    // Leases of hosts whose holdings conflict with nobody's are renewed: passive means hands off,
    // not letting a healthy cluster drop its VIPs. Conflicting holders are left to their leases.
    const names = c.cfg.hosts.map((h) => h.name);
    const ips = c.cfg.roles.flatMap((r) => r.ips);
    const contested = new Set(ips.filter((ip) => names.filter((h) => c.possiblyHolds(h, ip)).length > 1));
    const writers = names.filter((h) => c.possiblyWritable(h));
    for (const h of names) {
      const a = c.obs(h).agent;
      if (!a) continue;
      if (a.vips.some((ip) => contested.has(ip)) || (a.writable === true && writers.length > 1)) continue;
      if (a.vips.length > 0 || a.writable === true) c.actions.push({ kind: "renew-lease", host: h, leaseMs: c.cfg.leaseMs });
    }
    return `passive mode: not changing roles (${c.passiveInfo || "Admin switched to passive mode."})`;
  },

  ManualMode: (c) => {
    const holder = c.writerHolder()!;
    if (c.hosts[holder]?.state !== "ONLINE") {
      const other = c.electWriter([holder]);
      return (
        `manual mode: the writer stays on ${holder} although ${holder} is ${c.condition(holder)}` +
        (other !== null ? `; \`mmm control move_role ${c.writer.name} ${other}\` moves it` : "")
      );
    }
    const stuck = c.cfg.hosts.map((h) => h.name).find((h) => c.hosts[h]?.state !== "ONLINE" && c.roles.some((a) => a.host === h));
    if (stuck !== undefined) return `manual mode: ${stuck} keeps its roles although it is ${c.condition(stuck)}`;
    return `manual mode: roles move only by command; writer on ${holder}`;
  },

  WaitMode: (c) => {
    const missing = c.writer.hosts.filter((h) => c.hosts[h]?.state !== "ONLINE");
    const wait = c.cfg.waitForOtherMasterMs;
    const living = c.writer.hosts.find((h) => c.hosts[h]?.state === "ONLINE");
    const left = wait > 0 && living !== undefined ? wait - (c.now - (c.hosts[living]!.onlineSince ?? c.now)) : null;
    return (
      `wait mode: waiting for ${missing.join(" and ")} to come ONLINE before switching to active mode` +
      (left !== null ? ` (wait_for_other_master ${wait / 1000} s, ${formatSeconds(left)} left)` : "")
    );
  },

  WriterDead: failover,
  WriterUnreachable: failover,

  NoWriter: (c) => {
    const to = c.electWriter([])!;
    const from = c.lastWriter !== null && c.lastWriter !== to ? c.lastWriter : null;
    return startMove(c, from, to, "initial", `assigning writer to ${to} because no host holds it`);
  },

  BothMastersDown: (c) => {
    if (c.transition !== null) {
      c.events.push(`Writer move to '${c.transition.to}' abandoned: no host can take the writer role`);
      c.transition = null;
    }
    if (c.writerLost !== null) {
      c.actions.push({ kind: "fence", host: c.writerLost, ips: [c.writerIp], reason: "no host can take the writer role" });
      c.fencedNow.add(c.writerLost);
    }
    const why = c.writer.hosts.map((h) => `${h} is ${c.condition(h)}`);
    return `no host can take the ${c.writer.name} role: ${why.join(" and ")}`;
  },

  AwaitingFence: (c) => actTransition(c, "AwaitingFence"),
  AwaitingCatchup: (c) => actTransition(c, "AwaitingCatchup"),
  CatchupTimedOut: (c) => actTransition(c, "CatchupTimedOut"),
  WriterFenced: (c) => actTransition(c, "WriterFenced"),

  CoMasterDead: (c) => `${c.subject}, the other master, is ${c.condition(c.subject!)}; the writer stays on ${c.writerHolder()}`,

  ErrantTransactions: (c) => {
    const h = c.subject!;
    return `${h} is REPLICATION_FAIL because it has transactions the writer ${c.writerHolder()} lacks: ${c.hosts[h]!.errant!.gtids}`;
  },

  ReplicaDead: (c) => `${c.subject} is ${c.condition(c.subject!)}, so it holds no roles`,
  ReplicaBroken: (c) => `${c.subject} is ${c.condition(c.subject!)}, so it holds no roles`,
  ReplicaLagging: (c) => `${c.subject} is ${c.condition(c.subject!)}, so it holds no roles`,

  FlappingHost: (c) => {
    const h = c.subject!;
    const window = `more than ${c.cfg.flapCount} downtimes within flap_duration ${c.cfg.flapDurationMs / 1000} s`;
    const until =
      c.cfg.autoSetOnlineMs > 0
        ? `until it has been quiet for flap_duration or \`mmm control set_online ${h}\``
        : `until \`mmm control set_online ${h}\``;
    return `${h} is flapping (${window}) and stays AWAITING_RECOVERY ${until}`;
  },

  HostRecovering: (c) => {
    const h = c.subject!;
    const r = c.hosts[h]!;
    const prefix = c.writerHolder() === null ? "no writer yet: " : "";
    if (!c.ok(h, "rep_threads") || !c.ok(h, "rep_backlog")) {
      const failing = c.ok(h, "rep_threads") ? "rep_backlog" : "rep_threads";
      return `${prefix}${h} is AWAITING_RECOVERY and waits for its replication (${describeFailure(c.snap.checks, h, failing, c.now)})`;
    }
    if (c.cfg.autoSetOnlineMs > 0) {
      const left = c.cfg.autoSetOnlineMs - (c.now - r.since);
      return `${prefix}${h} is AWAITING_RECOVERY and becomes ONLINE by auto_set_online in ${formatSeconds(left)}`;
    }
    return `${prefix}${h} is AWAITING_RECOVERY until \`mmm control set_online ${h}\``;
  },

  Healthy: (c) => {
    const off = c.cfg.hosts.map((h) => h.name).filter((h) => c.hosts[h]?.state !== "ONLINE");
    const agents = c.cfg.hosts.map((h) => h.name).filter((h) => !c.agentUp(h));
    let s = `writer on ${c.writerHolder()}; all hosts ONLINE`;
    if (off.length > 0) s += ` except ${off.map((h) => `${h} (${c.state(h)})`).join(", ")}`;
    if (agents.length > 0) s += `; no answer from the agent on ${agents.join(", ")}`;
    return s;
  },
};

/** For explain(): the same blockers and catch-up verdict decide() would use. */
export function analyzeWriterMove(
  snapshot: Snapshot,
  now: number,
  deps: DecideDeps = DEFAULT_DEPS,
): { blockers: string[]; catchup: CatchupStatus | null; candidate: string | null } {
  const c = new Cycle(snapshot, now, deps);
  c.forgetDisprovedGrants();
  const t = c.transition;
  const to = t?.to ?? c.electWriter(c.writerHolder() !== null ? [c.writerHolder()!] : []);
  if (to === null) return { blockers: [], catchup: null, candidate: null };
  return { blockers: c.writerBlockers(to), catchup: t ? catchup(c, t) : null, candidate: to };
}
