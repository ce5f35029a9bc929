import { describe, expect, it } from "vitest";
import { Prefetch } from "../../src/provision/prefetch.js";
import type { HostContext, Step } from "../../src/provision/context.js";
import type { InventoryHost } from "../../src/inventory/model.js";
import { sh } from "../../src/remote/shell.js";
import { localTransport } from "./local-transport.js";

const hosts = ["a", "b"].map((name) => ({ name, kind: "master" }) as unknown as InventoryHost);

interface Probe {
  calls: string[];
  running: Map<string, number>;
  peak: Map<string, number>;
}

function step(id: string, probe: Probe, opts: { fail?: string; delayMs?: number } = {}): Step<string> {
  return {
    id,
    title: id,
    appliesTo: () => true,
    async observe(ctx: HostContext) {
      const h = ctx.host.name;
      probe.calls.push(`${id}@${h}`);
      probe.running.set(h, (probe.running.get(h) ?? 0) + 1);
      probe.peak.set(h, Math.max(probe.peak.get(h) ?? 0, probe.running.get(h)!));
      await new Promise((r) => setTimeout(r, opts.delayMs ?? 5));
      probe.running.set(h, probe.running.get(h)! - 1);
      if (opts.fail === h) throw new Error(`${id} cannot be observed on ${h} yet`);
      return `${id} seen on ${h}`;
    },
    plan: () => ({ changes: [], reason: "" }),
  };
}

function prefetch(steps: Step[]): Prefetch {
  return new Prefetch(
    steps,
    hosts,
    (host) => ({ host }) as unknown as HostContext,
    () => "/run/mysqld/mysqld.sock",
    () => {
      throw new Error("no transport in this test");
    },
    [],
  );
}

const newProbe = (): Probe => ({ calls: [], running: new Map(), peak: new Map() });

describe("Prefetch", () => {
  it("observes every step on every host once, ahead of time, and hands the results to the steps", async () => {
    const p = newProbe();
    const pf = prefetch([step("one", p), step("two", p)]);
    expect(await pf.take("one", "a")).toEqual({ value: "one seen on a" });
    expect(await pf.take("two", "b")).toEqual({ value: "two seen on b" });
    await pf.close();
    expect(p.calls.sort()).toEqual(["one@a", "one@b", "two@a", "two@b"]);
  });

  it("drops the observations of every step after one that changed something, and only those", async () => {
    const p = newProbe();
    const pf = prefetch([step("one", p), step("two", p), step("three", p)]);
    pf.changed("two");
    expect(await pf.take("one", "a")).toEqual({ value: "one seen on a" });
    expect(await pf.take("two", "a")).toEqual({ value: "two seen on a" });
    expect(await pf.take("three", "a")).toBeUndefined();
    expect(await pf.take("three", "b")).toBeUndefined();
    await pf.close();
  });

  it("does not start observations that a change has already made useless", async () => {
    const p = newProbe();
    const steps = Array.from({ length: 8 }, (_, i) => step(`s${i}`, p, { delayMs: 20 }));
    const pf = prefetch(steps);
    pf.changed("s0");
    await pf.close();
    // At most the first wave (3 per host) had started before the change was known.
    expect(p.calls.length).toBeLessThanOrEqual(6);
  });

  it("lets a step observe in its turn when observing early failed", async () => {
    const p = newProbe();
    const pf = prefetch([step("one", p, { fail: "b" })]);
    expect(await pf.take("one", "b")).toBeUndefined();
    expect(await pf.take("one", "a")).toEqual({ value: "one seen on a" });
    await pf.close();
  });

  it("holds at most three channels per host at once", async () => {
    const p = newProbe();
    const pf = prefetch(Array.from({ length: 9 }, (_, i) => step(`s${i}`, p, { delayMs: 10 })));
    await pf.close();
    expect(p.calls.length).toBe(18);
    expect(Math.max(...p.peak.values())).toBe(3);
  });

  it("knows nothing of a step it was not given", async () => {
    const pf = prefetch([]);
    expect(await pf.take("unknown", "a")).toBeUndefined();
    await pf.close();
  });

  it("makes a shared read once while nothing changes, and again after a change", async () => {
    const pf = prefetch([step("one", newProbe()), step("two", newProbe())]);
    let reads = 0;
    const read = async () => ++reads;
    expect(await Promise.all([pf.shared("seeded a", read), pf.shared("seeded a", read)])).toEqual([1, 1]);
    expect(await pf.shared("seeded a", read)).toBe(1);
    expect(await pf.shared("seeded b", read)).toBe(2);
    pf.changed("two");
    expect(await pf.shared("seeded a", read)).toBe(3);
    expect(await pf.shared("seeded a", read)).toBe(3);
    await pf.close();
  });

  it("does not keep a shared read that failed", async () => {
    const pf = prefetch([]);
    let calls = 0;
    const read = async () => {
      calls++;
      if (calls === 1) throw new Error("connection reset");
      return "present";
    };
    await expect(pf.shared("seeded a", read)).rejects.toThrow("connection reset");
    expect(await pf.shared("seeded a", read)).toBe("present");
    expect(calls).toBe(2);
    await pf.close();
  });

  it("observes the steps that only run commands and read files in one round trip per host", async () => {
    const calls: string[] = [];
    const transport = localTransport(calls);
    const probeStep = (id: string, probe: Step["probe"]): Step => ({
      id,
      title: id,
      appliesTo: () => true,
      probe,
      observe: () => Promise.reject(new Error(`${id} observed alone`)),
      plan: () => ({ changes: [], reason: "" }),
    });
    const p = newProbe();
    const pf = new Prefetch(
      [
        probeStep("hostname", () => ({ commands: { n: sh`echo host` }, files: [], read: (o) => o.outputs.get("n")!.stdout.trim() })),
        step("sql", p),
        probeStep("uptime", () => ({ commands: { u: sh`echo 42` }, files: [], read: (o) => Number(o.outputs.get("u")!.stdout) })),
        probeStep("broken", () => ({ commands: { b: sh`exit 2` }, files: [], read: () => "never" })),
        probeStep("no-server", () => {
          throw new Error("no MySQL/MariaDB server installed");
        }),
      ],
      [hosts[0]!],
      (host) => ({ host, transport }) as unknown as HostContext,
      () => "/run/mysqld/mysqld.sock",
      () => transport,
      [],
    );
    expect(await pf.take("hostname", "a")).toEqual({ value: "host" });
    expect(await pf.take("uptime", "a")).toEqual({ value: 42 });
    expect(await pf.take("sql", "a")).toEqual({ value: "sql seen on a" });
    // Each of these observes in its turn, and fails or succeeds there on its own.
    expect(await pf.take("broken", "a")).toBeUndefined();
    expect(await pf.take("no-server", "a")).toBeUndefined();
    await pf.close();
    expect(calls).toHaveLength(1);
  });
});
