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
const CLOSE_TIMEOUT_MS = 1000;

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
    // Debian's root@localhost authenticates by unix_socket: the server checks the peer's uid.
    return MysqlSession.openStream(transport.host, stream, { user: "root" }, secrets, `as root through ${socket}`);
  }

  /**
   * A session over a byte stream already connected to mysqld: an SSH direct-tcpip tunnel to a
   * VIP or a host's port (Transport.forwardTcp), a Unix socket, or a plain TCP socket. The
   * stream is destroyed when the login fails. `where` completes the error ("as app through db1").
   */
  static async openStream(
    host: string,
    stream: Duplex,
    account: { readonly user: string; readonly password?: Secret; readonly database?: string },
    secrets: readonly Secret[] = [],
    where = `as ${account.user}`,
  ): Promise<MysqlSession> {
    try {
      const conn = await mysql.createConnection({
        user: account.user,
        ...(account.password ? { password: account.password.reveal() } : {}),
        ...(account.database ? { database: account.database } : {}),
        stream,
        connectTimeout: 10_000,
        supportBigNumbers: true,
        bigNumberStrings: true,
        dateStrings: true,
        multipleStatements: false,
        // mysql2 preallocates its prepared-statement cache (16000 entries by default) per
        // connection: tens of ms of CPU for sessions that prepare a handful of statements.
        maxPreparedStatements: 64,
        // Passwords are literals in the SQL text (the grammar allows no placeholder there).
        charset: "utf8mb4",
      });
      const all = account.password ? [...secrets, account.password] : secrets;
      const session = new MysqlSession(host, conn, all);
      const [row] = await session.run(SELECT_SERVER_IDENTITY);
      const version = parseServerVersion(String(row?.version), String(row?.version_comment ?? ""));
      session.dialect = resolveDialect(version, { noBackslashEscapes: isNoBackslashEscapes(String(row?.sql_mode ?? "")) });
      session.serverId = Number(row?.server_id);
      return session;
    } catch (err) {
      stream.destroy();
      const e = err as { code?: string; message?: string };
      const all = account.password ? [...secrets, account.password] : secrets;
      throw new RemoteError(host, `cannot log in to MySQL ${where}: ${maskSecrets(e.message ?? String(err), all)}`, {});
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

  /** Bounded: a peer that vanished (a VIP moved away mid-session) never answers COM_QUIT. */
  async close(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const cut = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.conn.destroy();
        resolve();
      }, CLOSE_TIMEOUT_MS);
    });
    await Promise.race([this.conn.end().catch(() => this.conn.destroy()), cut]);
    clearTimeout(timer);
  }
}
