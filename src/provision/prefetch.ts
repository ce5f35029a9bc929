import type { InventoryHost } from "../inventory/model.js";
import { MysqlSession } from "../remote/mysql.js";
import type { Secret } from "../secret.js";
import type { HostContext, Step } from "./context.js";
import { runProbes, type HostProbe } from "./files.js";

/** A read made once and shared while nothing changes: see Prefetch.shared. */
export type SharedRead = <T>(key: string, read: () => Promise<T>) => Promise<T>;

/** Channels a host's prefetch may hold at once: sshd allows 10 sessions per connection. */
const PER_HOST = 3;

/**
 * Observations made ahead of their step. A re-run that changes nothing spends nearly all its
 * time on round trips, step after step; observing every step at once turns that chain into
 * one wave. An early observation is only as good as the state it saw, so a step may use it
 * only while no earlier step has changed anything (or failed half-way) on any host; after
 * that, every later step observes again, as it would without prefetching.
 */
export class Prefetch {
  readonly #results = new Map<string, Promise<unknown>>();
  readonly #sessions = new Map<string, Promise<MysqlSession>>();
  readonly #stepIndex: Map<string, number>;
  #dirtyFrom = Infinity;
  /** Bumped by every change: a shared read made before it is not reused after it. */
  #generation = 0;
  readonly #reads = new Map<string, { generation: number; value: Promise<unknown> }>();

  constructor(
    steps: readonly Step[],
    hosts: readonly InventoryHost[],
    context: (host: InventoryHost, sessionOf: (name: string) => Promise<MysqlSession>, shared: SharedRead) => HostContext,
    private readonly socketOf: (name: string) => string,
    private readonly transportOf: (name: string) => HostContext["transport"],
    private readonly secrets: readonly Secret[],
  ) {
    this.#stepIndex = new Map(steps.map((s, i) => [s.id, i]));
    const sessionOf = (name: string) => this.#session(name);
    const shared: SharedRead = (k, read) => this.shared(k, read);
    for (const host of hosts) {
      const ctx = context(host, sessionOf, shared);
      const slot = slots(PER_HOST);
      const queue = steps.map((step, i) => ({ step, i })).filter(({ step }) => step.appliesTo(host));
      // Steps whose observation is only commands and files share one round trip, started first.
      const probes = new Map<string, HostProbe<unknown>>();
      for (const { step } of queue) {
        if (!step.probe) continue;
        try {
          probes.set(step.id, step.probe(ctx));
        } catch (err) {
          // Not observable yet (e.g. no server installed): the step observes in its turn.
          this.#keep(step.id, host.name, Promise.reject(err));
        }
      }
      if (probes.size > 0) {
        const answers = slot(() => runProbes(ctx.transport, probes));
        for (const id of probes.keys()) this.#keep(id, host.name, answers.then((a) => a.get(id)));
      }
      for (const { step, i } of queue) {
        if (step.probe) continue;
        this.#keep(
          step.id,
          host.name,
          slot(() => {
            // Once an earlier step has changed something this observation could never be used.
            if (i > this.#dirtyFrom) throw new Error("superseded");
            return step.observe(ctx);
          }),
        );
      }
    }
  }

  #keep(stepId: string, host: string, result: Promise<unknown>): void {
    result.catch(() => undefined);
    this.#results.set(key(stepId, host), result);
  }

  /** Step `stepId` (or a later one) changed something: later steps must observe afresh. */
  changed(stepId: string): void {
    this.#dirtyFrom = Math.min(this.#dirtyFrom, this.#stepIndex.get(stepId) ?? -1);
    this.#generation++;
  }

  /**
   * A read that several steps make (whether a host holds a seeded copy): made once and shared
   * for as long as no step has changed anything since it started, made again after a change.
   * A failed read is not kept.
   */
  shared<T>(key: string, read: () => Promise<T>): Promise<T> {
    const generation = this.#generation;
    const known = this.#reads.get(key);
    if (known && known.generation === generation) return known.value as Promise<T>;
    const value = read();
    const entry = { generation, value };
    this.#reads.set(key, entry);
    value.catch(() => {
      if (this.#reads.get(key) === entry) this.#reads.delete(key);
    });
    return value;
  }

  /** The early observation, when it is still valid and succeeded; undefined means observe now. */
  async take(stepId: string, host: string): Promise<{ value: unknown } | undefined> {
    const i = this.#stepIndex.get(stepId) ?? Infinity;
    const r = this.#results.get(key(stepId, host));
    if (!r || i > this.#dirtyFrom) return undefined;
    try {
      return { value: await r };
    } catch {
      // Observing early can fail where observing in turn succeeds (e.g. mysqld not yet set up).
      return undefined;
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.#results.values());
    for (const s of this.#sessions.values()) await s.then((x) => x.close(), () => undefined);
  }

  #session(name: string): Promise<MysqlSession> {
    let s = this.#sessions.get(name);
    if (!s) {
      s = MysqlSession.open(this.transportOf(name), this.socketOf(name), this.secrets);
      this.#sessions.set(name, s);
    }
    return s;
  }
}

const key = (step: string, host: string) => `${step}\u0000${host}`;

/** Runs tasks with at most `n` at once, in the order they were given. */
function slots(n: number): <T>(task: () => T | Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: Array<() => void> = [];
  return async (task) => {
    if (running >= n) await new Promise<void>((r) => waiting.push(r));
    running++;
    try {
      return await task();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
