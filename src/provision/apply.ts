import { Listr, PRESET_TIMER } from "listr2";
import type { Inventory, InventoryHost } from "../inventory/model.js";
import { inventorySecrets } from "../inventory/model.js";
import type { HostFacts } from "../facts/parse.js";
import { gatherFacts } from "../facts/gather.js";
import type { Fleet } from "../remote/fleet.js";
import { MysqlSession } from "../remote/mysql.js";
import { errorMessage, InternalError, RemoteError } from "../errors.js";
import { maskSecrets } from "../secret.js";
import type { Change, StepPlan } from "./change.js";
import type { ClusterValues, HostContext, Step } from "./context.js";
import type { StepOutcome } from "./report.js";
import { formatChange } from "./format-plan.js";
import { Prefetch, type SharedRead } from "./prefetch.js";
import { isSeeded } from "./steps/data.js";

export interface RunOptions {
  readonly inventory: Inventory;
  readonly fleet: Fleet;
  readonly hosts: readonly InventoryHost[];
  /** Updated in place when a step that refreshes facts changed a host. */
  readonly facts: Map<string, HostFacts>;
  readonly cluster: ClusterValues;
  readonly steps: readonly Step[];
  readonly check: boolean;
  /** "default" draws a live task list on a TTY; "simple" prints a line per event; "silent" for --json. */
  readonly renderer: "default" | "simple" | "silent";
  readonly parallel: number;
}

/**
 * Runs the steps in order; within a step, hosts run in parallel. A host whose step fails
 * skips its later steps; the other hosts carry on. Under --check nothing is applied: every
 * step plans against the state it observes.
 */
export async function runSteps(opts: RunOptions): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  const failedHosts = new Set<string>();
  /** Under --check: hosts whose later steps cannot be planned before an earlier change is made. */
  const pendingHosts = new Map<string, string>();
  const secrets = inventorySecrets(opts.inventory);
  const prefetch = new Prefetch(
    opts.steps,
    opts.hosts,
    (host, sessionOf, shared) => hostContext(opts, host, failedHosts, sessionOf, seededOf(opts, shared)),
    (name) => socketOf(opts, name),
    (name) => opts.fleet.get(name),
    secrets,
  );

  const list = new Listr(
    opts.steps.map((step) => ({
      title: step.title,
      task: (_: unknown, stepTask: { newListr: (tasks: unknown[], o: object) => Listr }) =>
        stepTask.newListr(
          opts.hosts
            .filter((h) => step.appliesTo(h))
            .map((host) => ({
              title: host.name,
              task: async (_c: unknown, task: { title: string; skip: (m: string) => void }) => {
                if (failedHosts.has(host.name)) {
                  outcomes.push({ step: step.id, host: host.name, status: "skipped", durationMs: 0 });
                  task.skip(`${host.name}: skipped (an earlier step failed)`);
                  return;
                }
                const pending = pendingHosts.get(host.name);
                if (pending) {
                  outcomes.push({ step: step.id, host: host.name, status: "skipped", durationMs: 0 });
                  task.skip(`${host.name}: planned after ${pending} is applied`);
                  return;
                }
                const outcome = await runHostStep(opts, step, host, failedHosts, prefetch);
                outcomes.push(outcome);
                if (outcome.status === "changed" || outcome.status === "failed") prefetch.changed(step.id);
                if (outcome.status === "would-change" && step.refreshesFacts) pendingHosts.set(host.name, step.id);
                if (outcome.status === "failed") {
                  failedHosts.add(host.name);
                  throw new Error(`${host.name}: ${maskSecrets(outcome.error ?? "failed", secrets)}`);
                }
                task.title = `${host.name}: ${describe(outcome, secrets)}`;
              },
            })),
          { concurrent: opts.parallel, exitOnError: false },
        ),
    })) as never,
    {
      exitOnError: false,
      renderer: opts.renderer,
      fallbackRenderer: opts.renderer === "silent" ? "silent" : "simple",
      fallbackRendererCondition: opts.renderer !== "default",
      rendererOptions: { timer: PRESET_TIMER, collapseSubtasks: false, collapseErrors: false },
      fallbackRendererOptions: { timer: PRESET_TIMER },
      registerSignalListeners: false,
    } as never,
  );
  await list.run().catch(() => undefined);
  await prefetch.close();
  // Hosts finish in any order; reports read in the tutorial's order: step by step, host by host.
  const stepIndex = (id: string) => opts.steps.findIndex((s) => s.id === id);
  const hostIndex = (name: string) => opts.hosts.findIndex((h) => h.name === name);
  return outcomes.sort((a, b) => stepIndex(a.step) - stepIndex(b.step) || hostIndex(a.host) - hostIndex(b.host));
}

function describe(o: StepOutcome, secrets: ReturnType<typeof inventorySecrets>): string {
  if (o.status === "unchanged") return `unchanged (${o.plan?.reason})`;
  const changes = o.plan?.changes ?? [];
  const verb = o.status === "would-change" ? "would change" : "changed";
  return `${verb}: ${changes.map((c) => formatChange(c, false, secrets)).join("; ")}`;
}

/** Several steps ask whether a host holds a seeded copy: one read per host, until a step changes something. */
function seededOf(opts: RunOptions, shared: SharedRead): (name: string) => Promise<boolean> {
  return (name) => shared(`seeded\u0000${name}`, () => isSeeded(opts.fleet.get(name)));
}

function socketOf(opts: RunOptions, name: string): string {
  return opts.facts.get(name)?.mysql?.socket ?? "/run/mysqld/mysqld.sock";
}

function hostContext(
  opts: RunOptions,
  host: InventoryHost,
  failedHosts: ReadonlySet<string>,
  sessionOf: (name: string) => Promise<MysqlSession>,
  seeded: (name: string) => Promise<boolean>,
): HostContext {
  return {
    inventory: opts.inventory,
    host,
    facts: opts.facts.get(host.name)!,
    allFacts: opts.facts,
    cluster: opts.cluster,
    failedHosts: new Set(failedHosts),
    transport: opts.fleet.get(host.name),
    mysql: () => sessionOf(host.name),
    mysqlOf: sessionOf,
    transportOf: (name) => opts.fleet.get(name),
    isSeeded: seeded,
  };
}

async function runHostStep(
  opts: RunOptions,
  step: Step,
  host: InventoryHost,
  failedHosts: ReadonlySet<string>,
  prefetch: Prefetch,
): Promise<StepOutcome> {
  const started = Date.now();
  const sessions = new Map<string, Promise<MysqlSession>>();
  const secrets = inventorySecrets(opts.inventory);
  const sessionOf = (name: string): Promise<MysqlSession> => {
    let s = sessions.get(name);
    if (!s) {
      s = MysqlSession.open(opts.fleet.get(name), socketOf(opts, name), secrets);
      sessions.set(name, s);
    }
    return s;
  };
  const ctx = hostContext(opts, host, failedHosts, sessionOf, seededOf(opts, (k, read) => prefetch.shared(k, read)));
  let plan: StepPlan | undefined;
  try {
    const early = await prefetch.take(step.id, host.name);
    const observed = early ? early.value : await step.observe(ctx);
    plan = step.plan(observed, ctx);
    if (plan.changes.length === 0) return { step: step.id, host: host.name, status: "unchanged", plan, durationMs: Date.now() - started };
    if (opts.check) return { step: step.id, host: host.name, status: "would-change", plan, durationMs: Date.now() - started };
    await (step.apply ?? applyChanges)(ctx, plan);
    if (step.refreshesFacts) opts.facts.set(host.name, await gatherFacts(ctx.transport));
    return { step: step.id, host: host.name, status: "changed", plan, durationMs: Date.now() - started };
  } catch (err) {
    return {
      step: step.id,
      host: host.name,
      status: "failed",
      ...(plan ? { plan } : {}),
      error: maskSecrets(describeError(err), secrets),
      durationMs: Date.now() - started,
    };
  } finally {
    for (const s of sessions.values()) await s.then((x) => x.close(), () => undefined);
  }
}

function describeError(err: unknown): string {
  if (err instanceof RemoteError) {
    const d = err.detail;
    const parts = [err.message.replace(/^[^:]+: /, "")];
    if (d.stderr) parts.push(d.stderr.trim().split("\n").slice(-3).join(" | "));
    return parts.join(": ");
  }
  return errorMessage(err);
}

/**
 * Applies a plan's changes in order. When one fails, the error says which changes were
 * already applied: nothing is left half-done without saying so.
 */
export async function applyChanges(ctx: HostContext, plan: StepPlan): Promise<void> {
  const secrets = inventorySecrets(ctx.inventory);
  for (const [i, change] of plan.changes.entries()) {
    try {
      await applyChange(ctx, change);
    } catch (err) {
      const done = plan.changes.slice(0, i).map((c) => formatChange(c, false, secrets));
      const what = formatChange(change, false, secrets);
      const prefix = done.length ? `applied: ${done.join("; ")}; then failed to ${what}` : `failed to ${what} (nothing applied)`;
      throw new Error(`${prefix}: ${describeError(err)}`);
    }
  }
}

async function applyChange(ctx: HostContext, change: Change): Promise<void> {
  switch (change.kind) {
    case "file":
      return ctx.transport.upload(change.path, change.after, { mode: change.mode, ...(change.owner ? { owner: change.owner } : {}) });
    case "command":
      await ctx.transport.exec(change.command, change.timeoutMs ? { timeoutMs: change.timeoutMs } : {});
      return;
    case "sql": {
      const session = await ctx.mysql();
      for (const s of change.statements) await session.run(s);
      return;
    }
    case "upload":
      return ctx.transport.upload(change.path, change.content, { mode: change.mode });
    case "copy":
      throw new InternalError(`a data copy has no generic apply (step plan for ${ctx.host.name})`);
  }
}
