import { afterEach, describe, expect, it } from "vitest";
import mysql2 from "mysql2";
import type { AddressInfo } from "node:net";
import { MysqlChecker, REPROBE_AFTER_MS } from "../../src/monitor/mysql-checker.js";
import type { MonitoredHost } from "../../src/monitor/agent-request.js";
import { Secret } from "../../src/secret.js";

/**
 * A stand-in for mysqld speaking the wire protocol (mysql2's server side): it answers every
 * SELECT with one row whose columns are the query's aliases, and SHOW SLAVE STATUS with no row.
 * `slow` makes the sessions open at that moment answer late or never, as mysqld's do for a while
 * during a clean shutdown; `greetAfterMs` and `tooMany` shape new connections; `stopListening`
 * closes the listener and leaves open sessions open.
 */
class FakeMysqld {
  readonly #server = mysql2.createServer();
  /** Session id → how long it takes to answer from now on (Infinity: never). */
  readonly #slow = new Map<number, number>();
  readonly #open = new Map<number, { end(): void }>();
  #next = 0;
  sessions = 0;
  /** The session that answered the last query. */
  answeredBy = 0;
  /** New connections: greeted after this long, or told "Too many connections". */
  greetAfterMs = 0;
  tooMany = false;

  async start(): Promise<number> {
    this.#server.on("connection", (conn) => {
      const id = ++this.#next;
      this.sessions += 1;
      this.#open.set(id, conn);
      conn.on("error", () => undefined);
      if (this.tooMany) {
        conn.writeError({ message: "Too many connections", code: 1040 });
        return void conn.end();
      }
      const greet = () =>
        conn.serverHandshake({ protocolVersion: 10, serverVersion: "10.11.19-MariaDB", connectionId: id, statusFlags: 2, characterSet: 33, capabilityFlags: 0x0000f7ff });
      if (this.greetAfterMs > 0) setTimeout(greet, this.greetAfterMs);
      else greet();
      conn.on("query", (sql: string) => {
        const after = this.#slow.get(id) ?? 0;
        if (after === Infinity) return;
        const names = /^SHOW/i.test(sql) ? ["Slave_IO_State"] : [...sql.matchAll(/ AS (\w+)/g)].map((m) => m[1]!);
        const columns = names.map((name) => ({ catalog: "def", schema: "", table: "", orgTable: "", name, orgName: name, characterSet: 33, columnLength: 255, columnType: 253, flags: 0, decimals: 0 }));
        const row = Object.fromEntries(names.map((n) => [n, n === "version" ? "10.11.19-MariaDB" : n === "read_only" ? "1" : ""]));
        setTimeout(() => {
          this.answeredBy = id;
          conn.writeTextResult(/^SHOW/i.test(sql) ? [] : [row], columns);
        }, after);
      });
    });
    await new Promise<void>((r) => this.#server.listen(0, "127.0.0.1", () => r()));
    return (this.#server as unknown as { _server: { address(): AddressInfo } })._server.address().port;
  }

  /** Every session open now answers after `ms` from now on (Infinity: never; they stay open). */
  slow(ms: number): void {
    for (const id of this.#open.keys()) this.#slow.set(id, ms);
  }

  /** Stops listening at once; the sessions still open stay open (net.Server.close). */
  stopListening(): void {
    this.#server.close();
  }

  /** Ends every session and stops listening. */
  end(): void {
    for (const c of this.#open.values()) c.end();
    this.#server.close();
  }
}

const host = (port: number): MonitoredHost => ({ name: "db1", ip: "127.0.0.1", agentPort: 9989, mysqlPort: port });

describe("MysqlChecker", () => {
  let fake: FakeMysqld | null = null;
  let checker: MysqlChecker | null = null;
  afterEach(() => {
    checker?.close();
    fake?.end();
    fake = checker = null;
  });

  /** A stand-in mysqld and a checker holding one session to it (its first probe answered). */
  async function connected(): Promise<{ fake: FakeMysqld; checker: MysqlChecker; db1: MonitoredHost }> {
    fake = new FakeMysqld();
    const db1 = host(await fake.start());
    checker = new MysqlChecker("mmm_monitor", new Secret("pw"), new Map());
    expect(await checker.probe(db1, 1000)).toMatchObject({ ok: true, observation: { readOnly: true, replication: null } });
    return { fake, checker, db1 };
  }

  it("keeps one session between probes", async () => {
    const { fake, checker, db1 } = await connected();
    expect(await checker.probe(db1, 1000)).toMatchObject({ ok: true });
    expect(fake.sessions).toBe(1);
  });

  it("reports a refusal within REPROBE_AFTER_MS, not at the timeout, when the kept session hangs and mysqld stopped listening", async () => {
    const { fake, checker, db1 } = await connected();
    fake.slow(Infinity);
    fake.stopListening();
    const t = Date.now();
    const r = await checker.probe(db1, 1000);
    expect(Date.now() - t).toBeLessThan(900);
    expect(r).toMatchObject({ ok: false, refused: true, cause: "connection refused" });
    // The hung session is gone: the next probe connects afresh (and is refused at once).
    const t2 = Date.now();
    expect(await checker.probe(db1, 1000)).toMatchObject({ ok: false, refused: true });
    expect(Date.now() - t2).toBeLessThan(900);
  });

  it("answers from a fresh session when the kept one hangs but mysqld still serves, and keeps the fresh one", async () => {
    const { fake, checker, db1 } = await connected();
    fake.slow(Infinity);
    const t = Date.now();
    expect(await checker.probe(db1, 1000)).toMatchObject({ ok: true });
    expect(Date.now() - t).toBeLessThan(900);
    expect(await checker.probe(db1, 1000)).toMatchObject({ ok: true });
    expect(fake.sessions).toBe(2);
  });

  it("keeps the kept session when it answers while the fresh one is still connecting, and closes the fresh one", async () => {
    const { fake, checker, db1 } = await connected();
    // Each of the probe's two queries takes 150 ms on the kept session: it answers at about
    // 300 ms, after the fresh session was started (250 ms) and before that one is greeted (650 ms).
    fake.slow(150);
    fake.greetAfterMs = 400;
    expect(await checker.probe(db1, 1000)).toMatchObject({ ok: true });
    expect(fake.answeredBy).toBe(1);
    // The fresh session greets later; it must be closed, not take the kept one's place.
    await new Promise((r) => setTimeout(r, 700));
    fake.slow(0);
    expect(fake.sessions).toBe(2);
    expect(await checker.probe(db1, 1000)).toMatchObject({ ok: true });
    expect(fake.answeredBy).toBe(1);
  });

  it("does not let a fresh session's 'Too many connections' win over the kept one", async () => {
    const { fake, checker, db1 } = await connected();
    // The kept session answers at about 400 ms; the fresh one is told "Too many connections" at 250.
    fake.slow(200);
    fake.tooMany = true;
    expect(await checker.probe(db1, 1000)).toMatchObject({ ok: true });
    expect(fake.sessions).toBe(2);
    // and the kept session stays kept
    expect(await checker.probe(db1, 1000)).toMatchObject({ ok: true });
    expect(fake.answeredBy).toBe(1);
  });

  it("gives up re-reading the GTID state within REPROBE_AFTER_MS or so when the session hangs and mysqld stopped listening", async () => {
    const { fake, checker, db1 } = await connected();
    fake.slow(Infinity);
    fake.stopListening();
    const t = Date.now();
    await expect(checker.readGtid(db1, 1000)).rejects.toThrow(/refuses new connections/);
    expect(Date.now() - t).toBeLessThan(900);
  });
});
