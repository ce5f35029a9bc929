import mysql from "mysql2/promise";
import type { Duplex } from "node:stream";
import { RemoteError } from "../errors.js";
import { maskSecrets, type Secret } from "../secret.js";
import type { Transport } from "./transport.js";
import { parseServerVersion } from "../sql/flavor.js";
import { isNoBackslashEscapes, resolveDialect, type Dialect } from "../sql/dialect.js";
import { SELECT_SERVER_IDENTITY } from "../sql/statements.js";

/** What a builder in src/sql returns: `display` shows secrets as ***. */
export interface SqlStatement {
  readonly sql: string;
  readonly params?: readonly unknown[];
  readonly display: string;
}

export type Row = Record<string, unknown>;

/**
 * An administrative MySQL session to one host, tunnelled through its SSH connection to the
 * server's Unix socket: nothing listens on the network for it, and passwords in statements
 * travel only inside the MySQL protocol.
 */
export class MysqlSession {
  /** Set by open(): the server's flavor and version, and this session's sql_mode. */
  dialect!: Dialect;
  serverId!: number;

  private constructor(
    readonly host: string,
    private readonly conn: mysql.Connection,
    private readonly secrets: readonly Secret[],
  ) {}

  static async open(transport: Transport, socket: string, secrets: readonly Secret[] = []): Promise<MysqlSession> {
    const stream: Duplex = await transport.openUnixSocket(socket);
    try {
      const conn = await mysql.createConnection({
        user: "root",
        stream,
        // Debian's root@localhost authenticates by unix_socket: the server checks the peer's uid.
        connectTimeout: 10_000,
        supportBigNumbers: true,
        bigNumberStrings: true,
        dateStrings: true,
        multipleStatements: false,
        // Passwords are literals in the SQL text (the grammar allows no placeholder there).
        charset: "utf8mb4",
      });
      const session = new MysqlSession(transport.host, conn, secrets);
      const [row] = await session.run(SELECT_SERVER_IDENTITY);
      const version = parseServerVersion(String(row?.version), String(row?.version_comment ?? ""));
      session.dialect = resolveDialect(version, { noBackslashEscapes: isNoBackslashEscapes(String(row?.sql_mode ?? "")) });
      session.serverId = Number(row?.server_id);
      return session;
    } catch (err) {
      stream.destroy();
      const e = err as { code?: string; message?: string };
      throw new RemoteError(transport.host, `cannot log in to MySQL as root through ${socket}: ${e.message ?? String(err)}`, {});
    }
  }

  async query(sql: string, params: readonly unknown[] = [], display?: string): Promise<Row[]> {
    try {
      // Without params the text is sent as is (client-side placeholder expansion would misread a
      // `?` inside a password literal); with params, as a prepared statement, because mysql2's
      // client-side escaping assumes backslash escapes and breaks under NO_BACKSLASH_ESCAPES.
      const [rows] = params.length > 0 ? await this.conn.execute(sql, params as never) : await this.conn.query(sql);
      return Array.isArray(rows) ? (rows as Row[]) : [];
    } catch (err) {
      const e = err as { code?: string; errno?: number; sqlMessage?: string; message?: string };
      throw new RemoteError(this.host, `SQL failed: ${maskSecrets(e.sqlMessage ?? e.message ?? String(err), this.secrets)}`, {
        command: display ?? maskSecrets(sql, this.secrets),
        ...(e.errno !== undefined ? { exitCode: e.errno } : {}),
      });
    }
  }

  run(statement: SqlStatement): Promise<Row[]> {
    return this.query(statement.sql, statement.params ?? [], statement.display);
  }

  async close(): Promise<void> {
    await this.conn.end().catch(() => this.conn.destroy());
  }
}
