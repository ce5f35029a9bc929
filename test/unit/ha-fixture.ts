/**
 * Builds HA snapshots from compact fixtures (test/fixtures/ha/situations/*.json). Times in
 * fixtures are seconds relative to BASE; defaults describe a healthy tutorial cluster:
 * - checks: all OK since BASE − 3600 s unless overridden;
 * - observations: what the initial state implies physically — each agent holds the VIPs the
 *   initial roles give it, only the writer is writable, every mysqld answers with the same GTID
 *   set, masters replicate from their peer and slaves from the initial writer, relay logs applied.
 *   A step's `observe` overrides are merged into this picture and persist to later steps.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseMmmConfig } from "../../src/mmm-config/index.js";
import {
  CHECK_NAMES,
  EMPTY_CHECKS,
  haConfigFromMmm,
  initialMonitorState,
  newHostRecord,
  type AgentObservation,
  type CheckName,
  type CheckStatus,
  type ChecksState,
  type HaConfig,
  type HostObservation,
  type HostRecord,
  type HostState,
  type MonitorState,
  type MysqlObservation,
  type ReplicationObservation,
  type Snapshot,
  type WriterTransition,
} from "../../src/ha/index.js";

export const BASE = Date.UTC(2024, 4, 1, 10, 0, 0);
export const at = (s: number) => BASE + Math.round(s * 1000);
export const GTID = "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100";

const MMM_FIX = join(import.meta.dirname, "../fixtures/mmm-config");

export function loadHaConfig(name = "tutorial", overrides: Partial<HaConfig> = {}): HaConfig {
  const dir = join(MMM_FIX, name);
  const mmm = parseMmmConfig(readFileSync(join(dir, "mmm_mon.conf"), "utf8"), "mmm_mon.conf", (n) => readFileSync(join(dir, n), "utf8"));
  return { ...haConfigFromMmm(mmm), ...overrides };
}

type HostSpec = HostState | (Partial<Omit<HostRecord, "since" | "onlineSince" | "flapStart">> & { since?: number; onlineSince?: number; flapStart?: number });

export interface StateSpec {
  mode?: MonitorState["mode"];
  passiveInfo?: string;
  hosts?: Record<string, HostSpec>;
  /** ip → host (null: unassigned). Missing ips are unassigned. */
  roles?: Record<string, string | null>;
  /** host → seconds of the last renewal; default −0.5 s for every host. */
  leases?: Record<string, number>;
  /** Default: each ip granted to its holder, writable to the writer. */
  grants?: { vips: Record<string, string[]>; writable: string[] };
  transition?: Omit<WriterTransition, "startedAt" | "fencedAt"> & { startedAt: number; fencedAt: number | null };
  lastWriter?: string | null;
  writerSince?: number | null;
  situation?: MonitorState["situation"];
}

export function buildState(config: HaConfig, spec: StateSpec = {}): MonitorState {
  const base = initialMonitorState(config, at(0));
  const names = config.hosts.map((h) => h.name);
  const hosts: Record<string, HostRecord> = {};
  for (const n of names) {
    const s = spec.hosts?.[n] ?? "ONLINE";
    const o = typeof s === "string" ? { state: s } : s;
    const st = o.state ?? "ONLINE";
    const rec = newHostRecord(st, at(o.since ?? -3600), o.reason ?? "fixture");
    hosts[n] = {
      ...rec,
      ...o,
      state: st,
      since: at(o.since ?? -3600),
      reason: o.reason ?? "fixture",
      onlineSince: o.onlineSince !== undefined ? at(o.onlineSince) : st === "ONLINE" ? at(o.since ?? -3600) : null,
      flapStart: o.flapStart !== undefined ? at(o.flapStart) : null,
    } as HostRecord;
  }
  const roles = base.roles.map((a) => ({ ...a, host: spec.roles?.[a.ip] ?? null }));
  const writerIp = config.roles.find((r) => r.name === config.activeMasterRole)!.ips[0]!;
  const writer = roles.find((a) => a.ip === writerIp)?.host ?? null;
  const vips: Record<string, string[]> = {};
  for (const a of roles) vips[a.ip] = a.host !== null ? [a.host] : [];
  const t = spec.transition;
  return {
    ...base,
    mode: spec.mode ?? "ACTIVE",
    passiveInfo: spec.passiveInfo ?? "",
    hosts,
    roles,
    leases: Object.fromEntries(names.map((n) => [n, at(spec.leases?.[n] ?? -0.5)])),
    grants: spec.grants ?? { vips, writable: writer !== null ? [writer] : [] },
    transition: t ? { ...t, startedAt: at(t.startedAt), fencedAt: t.fencedAt === null ? null : at(t.fencedAt) } : null,
    lastWriter: spec.lastWriter !== undefined ? spec.lastWriter : writer,
    writerSince: spec.writerSince === undefined ? at(-3600) : spec.writerSince === null ? null : at(spec.writerSince),
    situation: spec.situation ?? "Healthy",
    updatedAt: at(-0.5),
  };
}

export interface CheckSpec {
  ok?: boolean;
  failingSince?: number;
  lastChange?: number;
  cause?: string;
  message?: string;
  backlog?: number | null;
  lastResultAt?: number;
  /** The first of the refusals ending the current run of errors. */
  refusedSince?: number;
}

/** All checks OK since −3600 s, except the overrides; `now` is the evaluation time in seconds. */
export function buildChecks(config: HaConfig, now: number, spec: Record<string, Partial<Record<CheckName, CheckSpec>>> = {}): ChecksState {
  const hosts: Record<string, Partial<Record<CheckName, CheckStatus>>> = {};
  for (const { name } of config.hosts) {
    const byHost: Partial<Record<CheckName, CheckStatus>> = {};
    for (const c of CHECK_NAMES) {
      const o = spec[name]?.[c];
      const ok = o?.ok ?? o?.failingSince === undefined;
      const failing = o?.failingSince !== undefined ? at(o.failingSince) : null;
      const okMessage = c === "rep_backlog" ? "OK: Backlog is null" : "OK";
      const message = o?.message ?? (ok ? okMessage : `ERROR: ${o?.cause ?? "failed"}`);
      byHost[c] = {
        ok,
        lastChange: at(o?.lastChange ?? (ok ? -3600 : now)),
        message,
        failingSince: failing,
        lastError: failing !== null ? `ERROR: ${o?.cause ?? "failed"}` : null,
        cause: failing !== null ? (o?.cause ?? "failed") : null,
        lastResultAt: at(o?.lastResultAt ?? now),
        ...(o?.refusedSince !== undefined ? { refusedSince: at(o.refusedSince) } : {}),
        ...(o?.backlog !== undefined ? { backlog: o.backlog } : {}),
      };
    }
    hosts[name] = byHost;
  }
  return { ...EMPTY_CHECKS, hosts };
}

export interface ObserveSpec {
  agent?: Partial<AgentObservation> | null;
  mysql?: (Partial<Omit<MysqlObservation, "replication">> & { replication?: Partial<ReplicationObservation> | null }) | null;
}

/** The physical picture implied by a state (see the header), with overrides. */
export function buildObserved(config: HaConfig, state: MonitorState, overrides: Record<string, ObserveSpec> = {}): Record<string, HostObservation> {
  const writerIp = config.roles.find((r) => r.name === config.activeMasterRole)!.ips[0]!;
  const writer = state.roles.find((a) => a.ip === writerIp)?.host ?? null;
  const out: Record<string, HostObservation> = {};
  for (const hc of config.hosts) {
    const h = hc.name;
    const source = hc.mode === "master" ? hc.peer : (writer ?? config.roles.find((r) => r.name === config.activeMasterRole)!.hosts[0]);
    const agent: AgentObservation = {
      vips: state.roles.filter((a) => a.host === h).map((a) => a.ip),
      writable: h === writer,
      uptime: 864000,
    };
    const replication: ReplicationObservation = {
      ...(source !== undefined ? { source } : {}),
      ioRunning: true,
      sqlRunning: true,
      secondsBehind: 0,
      retrievedGtid: GTID,
      relayLogApplied: true,
      usingGtid: true,
    };
    const mysql: MysqlObservation = { readOnly: h !== writer, gtidExecuted: GTID, replication };
    const o = overrides[h] ?? {};
    out[h] = {
      agent: o.agent === null ? null : { ...agent, ...(o.agent ?? {}) },
      mysql:
        o.mysql === null
          ? null
          : {
              ...mysql,
              ...(o.mysql ?? {}),
              replication:
                o.mysql?.replication === null ? null : o.mysql?.replication ? { ...replication, ...o.mysql.replication } : replication,
            },
    };
  }
  return out;
}

export function snapshotOf(config: HaConfig, state: MonitorState, checks: ChecksState, observed: Record<string, HostObservation>, network = true): Snapshot {
  return { config, state, checks, observed, network };
}
