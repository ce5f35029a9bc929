import mysql from "mysql2/promise";
import { RemoteError } from "../errors.js";
import { maskSecrets, type Secret } from "../secret.js";
import { parseServerVersion } from "../sql/flavor.js";
import { isNoBackslashEscapes, resolveDialect, type Dialect } from "../sql/dialect.js";
import { SELECT_SERVER_IDENTITY, type Statement } from "../sql/statements.js";

export type Row = Record<string, unknown>;

export interface AgentMysqlOptions {
  /** The host's cluster address: the agent account is granted on the cluster network only. */
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: Secret;
  /** Secrets to mask in error messages (the replication password appears in CHANGE MASTER). */
  readonly secrets: readonly Secret[];
  readonly connectTimeoutMs: number;
}

/**
 * The agent's own session to its local mysqld, over TCP to its cluster address. Reconnects on
 * demand; `null` from connect() means mysqld does not answer (get-state reports writable null).
 */
export class AgentMysql {
  #conn: mysql.Connection | null = null;
  dialect: Dialect | null = null;

  constructor(private readonly o: AgentMysqlOptions) {}

  async connect(): Promise<mysql.Connection> {
    if (this.#conn) return this.#conn;
    const conn = await mysql.createConnection({
      host: this.o.host,
      port: this.o.port,
      user: this.o.user,
      password: this.o.password.reveal(),
      connectTimeout: this.o.connectTimeoutMs,
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
      multipleStatements: false,
      charset: "utf8mb4",
    });
    conn.on("error", () => this.drop(conn));
    try {
      const [rows] = await conn.query(SELECT_SERVER_IDENTITY.sql);
      const row = (rows as Row[])[0];
      const version = parseServerVersion(String(row?.version), String(row?.version_comment ?? ""));
      this.dialect = resolveDialect(version, { noBackslashEscapes: isNoBackslashEscapes(String(row?.sql_mode ?? "")) });
    } catch (err) {
      conn.destroy();
      throw err;
    }
    this.#conn = conn;
    return conn;
  }

  /** The dialect, connecting if needed. */
  async ready(): Promise<Dialect> {
    await this.connect();
    return this.dialect!;
  }

  /**
   * Runs one statement, bounded by `timeoutMs`. Without params it is sent as plain text (a `?`
   * inside a password literal must not be expanded); with params, as a prepared statement.
   */
  async run(st: Statement, timeoutMs: number): Promise<Row[]> {
    const conn = await this.connect().catch((err: unknown) => {
      throw new RemoteError(this.o.host, `cannot connect to mysqld at ${this.o.host}:${this.o.port} as ${this.o.user}: ${this.mask(err)}`);
    });
    try {
      const [rows] =
        st.params.length > 0
          ? await conn.execute({ sql: st.sql, timeout: timeoutMs }, st.params as never)
          : await conn.query({ sql: st.sql, timeout: timeoutMs });
      return Array.isArray(rows) ? (rows as Row[]) : [];
    } catch (err) {
      const e = err as { fatal?: boolean; code?: string };
      // A timed-out or broken session is not reused: its state is unknown.
      if (e.fatal || e.code === "PROTOCOL_SEQUENCE_TIMEOUT") this.drop(conn);
      throw new RemoteError(this.o.host, `SQL failed: ${this.mask(err)}`, { command: st.display });
    }
  }

  private mask(err: unknown): string {
    const e = err as { sqlMessage?: string; message?: string };
    return maskSecrets(e.sqlMessage ?? e.message ?? String(err), [this.o.password, ...this.o.secrets]);
  }

  private drop(conn: mysql.Connection): void {
    if (this.#conn === conn) this.#conn = null;
    conn.destroy();
  }

  async close(): Promise<void> {
    const c = this.#conn;
    this.#conn = null;
    if (c) await c.end().catch(() => c.destroy());
  }
}
