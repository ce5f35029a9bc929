import { describe, expect, it } from "vitest";
import { connect, createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { open, ReplayGuard, seal, canonicalJson } from "../../src/protocol/envelope.js";
import { request, RequestError, serve } from "../../src/protocol/wire.js";

const SECRET = Buffer.alloc(32, 7);
const OTHER = Buffer.alloc(32, 8);
const opts = (now: number, replay = new ReplayGuard(5000)) => ({ self: "db1", now, maxSkewMs: 5000, replay });

describe("signed envelopes", () => {
  it("opens what was sealed with the same secret, once", () => {
    const e = seal(SECRET, "monitor", "db1", { cmd: "set_roles", roles: ["writer"] }, 1000);
    const replay = new ReplayGuard(5000);
    expect(open(SECRET, e, opts(1200, replay))).toEqual({ ok: true, envelope: e });
    expect(open(SECRET, e, opts(1300, replay))).toMatchObject({ ok: false, reason: expect.stringContaining("replayed") });
  });

  it.each([
    ["another secret", (e: ReturnType<typeof seal>) => open(OTHER, e, opts(1000)), "bad MAC"],
    ["a changed body", (e: ReturnType<typeof seal>) => open(SECRET, { ...e, body: { cmd: "set_roles", roles: [] } }, opts(1000)), "bad MAC"],
    ["a changed recipient", (e: ReturnType<typeof seal>) => open(SECRET, { ...e, to: "db2" }, { ...opts(1000), self: "db2" }), "bad MAC"],
    ["the wrong recipient", (e: ReturnType<typeof seal>) => open(SECRET, e, { ...opts(1000), self: "db2" }), "addressed to db1"],
    ["an old message", (e: ReturnType<typeof seal>) => open(SECRET, e, opts(7000)), "stale"],
    ["garbage", () => open(SECRET, { hello: 1 }, opts(1000)), "malformed"],
  ])("refuses %s", (_name, attempt, reason) => {
    const e = seal(SECRET, "monitor", "db1", { cmd: "set_roles", roles: ["writer"] }, 1000);
    const r = attempt(e);
    expect(r.ok).toBe(false);
    expect(r.ok ? "" : r.reason).toContain(reason);
  });

  it("MACs canonical JSON: key order does not matter", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 1 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"e":1,"f":2}]},"b":1}');
  });
});

describe("request/response over TCP", () => {
  it("answers a signed request and refuses a forged or replayed one", async () => {
    const logs: string[] = [];
    const server = await serve({ name: "db1", secret: SECRET, log: (l) => logs.push(l) }, 0, "127.0.0.1", async (body, from) => ({ echo: body, from }));
    const port = (server.address() as AddressInfo).port;
    try {
      expect(await request({ name: "monitor", secret: SECRET }, "db1", "127.0.0.1", port, { ping: 1 }, 2000)).toEqual({ echo: { ping: 1 }, from: "monitor" });
      await expect(request({ name: "monitor", secret: OTHER }, "db1", "127.0.0.1", port, { ping: 1 }, 2000)).rejects.toThrow(/without an answer/);

      const captured = seal(SECRET, "monitor", "db1", { ping: 2 }, Date.now());
      const send = () =>
        new Promise<string>((resolve) => {
          const s = connect({ host: "127.0.0.1", port }, () => s.write(`${JSON.stringify(captured)}\n`));
          let got = "";
          s.on("data", (d) => (got += d.toString()));
          s.on("close", () => resolve(got));
          setTimeout(() => s.end(), 300);
        });
      expect(await send()).toContain('"ok":true');
      expect(await send()).toBe("");
      expect(logs.join("\n")).toMatch(/bad MAC[\s\S]*replayed message from monitor/);
    } finally {
      server.close();
    }
  });

  it("says whether a failed request may have been sent: only one that connected may have", async () => {
    const failure = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e);
    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const open = (silent.address() as AddressInfo).port;
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const gone = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    try {
      const unanswered = await failure(request({ name: "monitor", secret: SECRET }, "db1", "127.0.0.1", open, { ping: 1 }, 200));
      expect(unanswered).toBeInstanceOf(RequestError);
      expect((unanswered as RequestError).sent).toBe(true);
      expect((unanswered as Error).message).toMatch(/did not answer within 200 ms/);
      // Withdrawn before its connection opened: never sent. Withdrawn after: it runs its course.
      const early = new AbortController();
      const withdrawn = failure(request({ name: "monitor", secret: SECRET }, "db1", "127.0.0.1", open, { ping: 1 }, 200, early.signal));
      early.abort();
      expect(((await withdrawn) as RequestError).sent).toBe(false);
      expect(((await withdrawn) as Error).message).toMatch(/not sent/);
      const late = new AbortController();
      const kept = failure(request({ name: "monitor", secret: SECRET }, "db1", "127.0.0.1", open, { ping: 1 }, 200, late.signal));
      await new Promise((r) => setTimeout(r, 50));
      late.abort();
      expect(((await kept) as RequestError).sent).toBe(true);
      expect(((await kept) as Error).message).toMatch(/did not answer within 200 ms/);
      const refused = await failure(request({ name: "monitor", secret: SECRET }, "db1", "127.0.0.1", gone, { ping: 1 }, 200));
      expect(refused).toBeInstanceOf(RequestError);
      expect((refused as RequestError).sent).toBe(false);
      expect((refused as Error).message).toMatch(/ECONNREFUSED/);
    } finally {
      silent.close();
    }
  });
});
