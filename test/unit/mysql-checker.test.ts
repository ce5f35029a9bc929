import { afterEach, describe, expect, it } from "vitest";
import mysql2 from "mysql2";
import type { AddressInfo } from "node:net";
import { MysqlChecker, REPROBE_AFTER_MS } from "../../src/monitor/mysql-checker.js";
import { Secret } from "../../src/secret.js";

/**
 * A stand-in for mysqld speaking the wire protocol (mysql2's server side): it answers every
 * SELECT with one row whose columns are the query's aliases, and SHOW SLAVE STATUS with no row.
 * `hang` makes it stop answering on the sessions open at that moment, as mysqld does for a
 * while during a clean shutdown, and `close` stops it listening.
 */
class FakeMysqld {
  readonly #server = mysql2.createServer();
  readonly #hung = new Set<number>();
  readonly #open = new Map<number, { end(): void }>();
  #next = 0;
  sessions = 0;

  async start(): Promise<number> {
    this.#server.on("connection", (conn) => {
      const id = ++this.#next;
      this.sessions += 1;
      this.#open.set(id, conn);
      conn.serverHandshake({
        protocolVersion: 10,
        serverVersion: "10.11.19-MariaDB",
        connectionId: id,
        statusFlags: 2,
        characterSet: 33,
        capabilityFlags: 0x0000f7ff,
      });
      conn.on("error", () => undefined);
      conn.on("query", (sql: string) => {
        if (this.#hung.has(id)) return;
        const names = /^SHOW/i.test(sql) ? ["Slave_IO_State"] : [...sql.matchAll(/ AS (\w+)/g)].map((m) => m[1]!);
        const columns = names.map((name) => ({ catalog: "def", schema: "", table: "", orgTable: "", name, orgName: name, characterSet: 33, columnLength: 255, columnType: 253, flags: 0, decimals: 0 }));
        const row = Object.fromEntries(names.map((n) => [n, n === "version" ? "10.11.19-MariaDB" : n === "read_only" ? "1" : ""]));
        conn.writeTextResult(/^SHOW/i.test(sql) ? [] : [row], columns);
      });
    });
    await new Promise<void>((r) => this.#server.listen(0, "127.0.0.1", () => r()));
    return ((this.#server as unknown as { _server: { address(): AddressInfo } })._server.address()).port;
  }

  /** Every session open now stops answering (they stay open). */
  hang(): void {
    for (const id of this.#open.keys()) this.#hung.add(id);
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

const host = (port: number) => ({ name: "db1", ip: "127.0.0.1", agentPort: 9989, mysqlPort: port });

describe("MysqlChecker", () => {
  let fake: FakeMysqld | null = null;
  let checker: MysqlChecker | null = null;
  afterEach(() => {
    checker?.close();
    fake?.end();
    fake = checker = null;
  });

  it("keeps one session between probes", async () => {
    fake = new FakeMysqld();
    const port = await fake.start();
    checker = new MysqlChecker("mmm_monitor", new Secret("pw"), new Map());
    expect(await checker.probe(host(port), 1000)).toMatchObject({ ok: true, observation: { readOnly: true, replication: null } });
    expect(await checker.probe(host(port), 1000)).toMatchObject({ ok: true });
    expect(fake.sessions).toBe(1);
  });

  it("reports a refusal within REPROBE_AFTER_MS, not at the timeout, when the kept session hangs and mysqld stopped listening", async () => {
    fake = new FakeMysqld();
    const port = await fake.start();
    checker = new MysqlChecker("mmm_monitor", new Secret("pw"), new Map());
    expect((await checker.probe(host(port), 1000)).ok).toBe(true);
    fake.hang();
    fake.stopListening();
    const t = Date.now();
    const r = await checker.probe(host(port), 1000);
    expect(Date.now() - t).toBeLessThan(REPROBE_AFTER_MS + 300);
    expect(r).toMatchObject({ ok: false, refused: true, cause: "connection refused" });
    // The hung session is gone: the next probe connects afresh (and is refused at once).
    const t2 = Date.now();
    expect(await checker.probe(host(port), 1000)).toMatchObject({ ok: false, refused: true });
    expect(Date.now() - t2).toBeLessThan(REPROBE_AFTER_MS);
  });

  it("answers from a fresh session when the kept one hangs but mysqld still serves, and keeps the fresh one", async () => {
    fake = new FakeMysqld();
    const port = await fake.start();
    checker = new MysqlChecker("mmm_monitor", new Secret("pw"), new Map());
    expect((await checker.probe(host(port), 1000)).ok).toBe(true);
    fake.hang();
    const t = Date.now();
    expect(await checker.probe(host(port), 1000)).toMatchObject({ ok: true });
    expect(Date.now() - t).toBeLessThan(REPROBE_AFTER_MS + 300);
    expect(await checker.probe(host(port), 1000)).toMatchObject({ ok: true });
    expect(fake.sessions).toBe(2);
  });
});
