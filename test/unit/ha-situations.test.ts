/**
 * Golden fixtures for every situation: each step builds a snapshot, optionally runs a control
 * command, calls decide(), and asserts the code, the exact one-sentence reason, the exact
 * actions (in order) and the resulting host states / roles. The state carries over to the next
 * step, as it does in the monitor.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  SITUATIONS,
  decide,
  parseControlCommand,
  runControlCommand,
  type Action,
  type CheckName,
  type HaConfig,
  type MonitorState,
  type Situation,
} from "../../src/ha/index.js";
import { BASE, at, buildChecks, buildObserved, buildState, loadHaConfig, snapshotOf, type CheckSpec, type ObserveSpec, type StateSpec } from "./ha-fixture.js";

interface Step {
  at: number;
  note?: string;
  checks?: Record<string, Partial<Record<CheckName, CheckSpec>>>;
  observe?: Record<string, ObserveSpec>;
  network?: boolean;
  arp?: Record<string, string | null>;
  command?: string;
  expect: {
    output?: string;
    code: Situation;
    reason: string;
    actions: string[];
    states?: Record<string, string>;
    roles?: Record<string, string | null>;
    transition?: null | { from: string | null; to: string; forced?: boolean };
    mode?: string;
    events?: string[];
  };
}

interface Fixture {
  title: string;
  config?: string;
  /** Seconds for *Ms fields are not converted: give milliseconds. */
  configOverrides?: Partial<HaConfig> & { preferWriter?: string };
  state: StateSpec;
  steps: Step[];
}

const rel = (ms: number) => `${+((ms - BASE) / 1000).toFixed(3)}`;

/** One line per action, every field included. */
export function renderAction(a: Action): string {
  switch (a.kind) {
    case "fence":
      return `fence ${a.host} ${a.ips.join(",")} (${a.reason})`;
    case "renew-lease":
      return `renew-lease ${a.host} ${a.leaseMs}`;
    case "set-writable":
    case "set-read-only":
    case "kill-host":
      return `${a.kind} ${a.host}`;
    case "add-vip":
    case "remove-vip":
      return `${a.kind} ${a.host} ${a.role} ${a.ip}`;
    case "announce-vip":
      return `announce-vip ${a.host} ${a.ip}`;
    case "wait-catchup":
      return `wait-catchup ${a.host} until ${rel(a.deadline)}${a.gtid !== undefined ? ` gtid ${a.gtid}` : ""}`;
    case "repoint-replica":
      return `repoint-replica ${a.host} -> ${a.source}`;
    case "alert":
      return `alert ${a.situation}`;
  }
}

/** Later overrides refine earlier ones field by field; `null` replaces (not observed). */
function mergeObserve(a: ObserveSpec | undefined, b: ObserveSpec): ObserveSpec {
  const out: ObserveSpec = { ...a };
  if ("agent" in b) out.agent = b.agent === null || a?.agent == null ? b.agent : { ...a.agent, ...b.agent };
  if (b.mysql !== undefined) {
    if (b.mysql === null || a?.mysql == null) out.mysql = b.mysql;
    else {
      const rep = "replication" in b.mysql ? (b.mysql.replication === null || a.mysql.replication == null ? b.mysql.replication : { ...a.mysql.replication, ...b.mysql.replication }) : a.mysql.replication;
      out.mysql = { ...a.mysql, ...b.mysql, ...(rep !== undefined ? { replication: rep } : {}) };
    }
  }
  return out;
}

const DIR = join(import.meta.dirname, "../fixtures/ha/situations");
const files = readdirSync(DIR).filter((f) => f.endsWith(".json")).sort();

function configFor(f: Fixture): HaConfig {
  const { preferWriter, ...o } = f.configOverrides ?? {};
  const c = loadHaConfig(f.config ?? "tutorial", o);
  if (preferWriter === undefined) return c;
  return { ...c, roles: c.roles.map((r) => (r.name === c.activeMasterRole ? { ...r, prefer: preferWriter } : r)) };
}

describe("decide() on situation fixtures", () => {
  const covered = new Set<Situation>();

  for (const file of files) {
    const fixture = JSON.parse(readFileSync(join(DIR, file), "utf8")) as Fixture;
    it(`${file}: ${fixture.title}`, () => {
      const config = configFor(fixture);
      const initial = buildState(config, fixture.state);
      let state: MonitorState = initial;
      const observe: Record<string, ObserveSpec> = {};
      const checks: Record<string, Partial<Record<CheckName, CheckSpec>>> = {};
      for (const [i, step] of fixture.steps.entries()) {
        const where = `${file} step ${i + 1} (t=${step.at}${step.note ? `, ${step.note}` : ""})`;
        for (const [h, o] of Object.entries(step.observe ?? {})) observe[h] = mergeObserve(observe[h], o);
        for (const [h, cs] of Object.entries(step.checks ?? {})) checks[h] = { ...checks[h], ...cs };
        const now = at(step.at);
        const observed = buildObserved(config, initial, observe);
        const snap = { ...snapshotOf(config, state, buildChecks(config, step.at, checks), observed, step.network ?? true), ...(step.arp ? { arp: step.arp } : {}) };

        let input = snap;
        if (step.command !== undefined) {
          const cmd = parseControlCommand(step.command);
          if ("invalid" in cmd) throw new Error(`${where}: ${cmd.invalid}`);
          const r = runControlCommand(snap, cmd, now, { timeZone: "utc" });
          expect(r.output, `${where}: command output`).toBe(step.expect.output);
          input = { ...snap, state: r.next };
        }

        const d = decide(input, now);
        covered.add(d.code);
        expect({ code: d.code, reason: d.reason }, where).toEqual({ code: step.expect.code, reason: step.expect.reason });
        expect(d.actions.map(renderAction), `${where}: actions`).toEqual(step.expect.actions);
        for (const a of d.actions) if (a.kind === "alert") expect(a.message, `${where}: alert text`).toBe(d.reason);
        if (step.expect.states) {
          const states = Object.fromEntries(Object.keys(step.expect.states).map((h) => [h, d.next.hosts[h]?.state]));
          expect(states, `${where}: host states`).toEqual(step.expect.states);
        }
        if (step.expect.roles) {
          const roles = Object.fromEntries(Object.keys(step.expect.roles).map((ip) => [ip, d.next.roles.find((r) => r.ip === ip)?.host ?? null]));
          expect(roles, `${where}: roles`).toEqual(step.expect.roles);
        }
        if (step.expect.transition !== undefined) {
          const t = d.next.transition;
          expect(t === null ? null : { from: t.from, to: t.to, ...(step.expect.transition?.forced !== undefined ? { forced: t.forced } : {}) }, `${where}: transition`).toEqual(
            step.expect.transition,
          );
        }
        if (step.expect.mode !== undefined) expect(d.next.mode, `${where}: mode`).toBe(step.expect.mode);
        if (step.expect.events !== undefined) expect(d.events, `${where}: events`).toEqual(step.expect.events);
        state = d.next;
      }
    });
  }

  it("has a fixture for every situation", () => {
    expect([...SITUATIONS].filter((s) => !covered.has(s))).toEqual([]);
  });
});
