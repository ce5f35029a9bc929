import mysql from "mysql2/promise";
import type { MysqlObservation, ReplicationObservation } from "../ha/index.js";
import type { Secret } from "../secret.js";
import { resolveDialect, type Dialect } from "../sql/dialect.js";
import { parseServerVersion } from "../sql/flavor.js";
import { SELECT_SERVER_IDENTITY, selectGtidState, selectHealth, showReplicaStatus } from "../sql/statements.js";
import { parseGtidState, parseReadOnly, parseReplicaStatus, type GtidState, type Row } from "../sql/status.js";
import type { MonitoredHost } from "./agent-request.js";
import type { MysqlProbe } from "./monitor-cycle.js";
import { TimeoutError, withTimeout } from "../util/with-timeout.js";

/** How long a query on a kept session may go unanswered before a fresh session is tried too. */
export const REPROBE_AFTER_MS = 250;

/**
 * The monitor's own look at each mysqld, over TCP as monitor_user (BINLOG MONITOR + SLAVE
 * MONITOR on MariaDB, REPLICATION CLIENT on MySQL). One connection per host, kept between
 * cycles; any failure or timeout destroys it and the next probe reconnects, so a half-dead
 * connection never hides a restarted server, and one slow to answer is raced by a fresh one
 * (REPROBE_AFTER_MS). MMM's check messages are kept.
 *
 * This talks to mysql2 directly instead of through src/remote (which tunnels admin sessions
 * over SSH to the Unix socket): the monitor must see mysqld the way clients do, over the network.
 */
type Session = { readonly conn: mysql.Connection; readonly dialect: Dialect };
/** A fresh session's probe, and the session when its queries answered. */
type Fresh = { readonly r: MysqlProbe; readonly session?: Session };

export class MysqlChecker {
  readonly #conns = new Map<string, Session>();
  #closed = false;

  constructor(
    private readonly user: string,
    private readonly password: Secret,
    /** ip → host name, to name Master_Host. */
    private readonly hostByIp: ReadonlyMap<string, string>,
    /** Called when mysqld closes a kept connection (killed, shutting down): worth a cycle now. */
    private readonly onLost: (host: string) => void = () => undefined,
  ) {}

  async probe(host: MonitoredHost, timeoutMs: number): Promise<MysqlProbe> {
    const deadline = Date.now() + timeoutMs;
    const kept = this.#conns.get(host.name);
    if (!kept) {
      const f = await this.#fresh(host, deadline, timeoutMs);
      if (f.session) this.#keep(host.name, f.session);
      return f.r;
    }
    // Only an answer or a refusal from the fresh session counts: any other failure ("Too many
    // connections", a timeout) says less than the kept session will.
    const fresh = this.#freshAfterDelay(host, deadline, timeoutMs, (f) => f.r.ok || !!f.r.refused);
    const won = await Promise.race([this.#ask(host, kept, deadline, timeoutMs).then((r) => ({ r, kept: true as const })), fresh.result]);
    fresh.cancel();
    if ("kept" in won) return won.r;
    // The fresh session answered (it replaces the kept one) or was refused (nothing listens).
    this.#dropConn(host.name, kept.conn);
    if (won.session) this.#keep(host.name, won.session);
    return won.r;
  }

  /**
   * A kept session that has not answered after REPROBE_AFTER_MS is raced by a fresh one: while
   * mysqld shuts down cleanly it refuses new connections at once, but a query on an open session
   * can go unanswered for a second (seen in the lab's clean-stop drills). `result` settles only
   * with a fresh probe that `counts`, and only before `cancel()`; any other fresh session is closed.
   */
  #freshAfterDelay(host: MonitoredHost, deadline: number, timeoutMs: number, counts: (f: Fresh) => boolean): { result: Promise<Fresh>; cancel(): void } {
    let cancelled = false;
    let timer: NodeJS.Timeout | undefined;
    const result = new Promise<Fresh>((resolve) => {
      timer = setTimeout(() => {
        void this.#fresh(host, deadline, timeoutMs).then((f) => {
          if (!cancelled && counts(f)) return resolve(f);
          f.session?.conn.destroy();
        });
      }, REPROBE_AFTER_MS);
    });
    return {
      result,
      cancel: () => {
        cancelled = true;
        clearTimeout(timer);
      },
    };
  }

  /** Connects and asks; the session comes back (unkept) when the queries answered. */
  async #fresh(host: MonitoredHost, deadline: number, timeoutMs: number): Promise<Fresh> {
    let session: Session;
    try {
      session = await this.#connect(host, Math.max(1, deadline - Date.now()));
    } catch (err) {
      return { r: this.#failure(host, err, "connect", timeoutMs) };
    }
    const r = await this.#ask(host, session, deadline, timeoutMs);
    return r.ok ? { r, session } : { r };
  }

  /** The probe's queries on `session`; `timeoutMs` (the whole probe's) only names the bound in messages. */
  async #ask(host: MonitoredHost, session: Session, deadline: number, timeoutMs: number): Promise<MysqlProbe> {
    try {
      const left = () => Math.max(1, deadline - Date.now());
      const { conn, dialect } = session;
      // Two round trips (read_only and GTID state in one row, then the replica status): on a
      // loaded host each one waits for mysqld to get the CPU.
      const [health] = await withTimeout(conn.query(selectHealth(dialect).sql), left(), "read_only and GTID state");
      const [rs] = await withTimeout(conn.query(showReplicaStatus(dialect).sql), left(), dialect.showReplicaStatus);
      const readOnly = parseReadOnly(dialect, firstRow(health)).readOnly;
      const state = parseGtidState(dialect, firstRow(health));
      const replica = parseReplicaStatus(rows(rs));
      let replication: ReplicationObservation | null = null;
      if (replica) {
        const source = this.hostByIp.get(replica.sourceHost) ?? hostNamed(this.hostByIp, replica.sourceHost);
        const retrieved = replica.gtid.kind === "mariadb" ? replica.gtid.ioPos : replica.gtid.retrieved;
        replication = {
          ...(source !== undefined ? { source } : {}),
          ioRunning: replica.ioRunning === "yes",
          sqlRunning: replica.sqlRunning,
          secondsBehind: replica.secondsBehind,
          ...(retrieved !== "" ? { retrievedGtid: retrieved } : {}),
          relayLogApplied:
            replica.readSourceLogPos !== null &&
            replica.readSourceLogPos === replica.execSourceLogPos &&
            replica.sourceLogFile === replica.relaySourceLogFile,
          usingGtid: replica.gtid.kind === "mariadb" ? replica.gtid.using !== "no" : replica.gtid.autoPosition,
        };
      }
      const executed = gtidText(state);
      const observation: MysqlObservation = { readOnly, ...(executed !== "" ? { gtidExecuted: executed } : {}), replication };
      return { ok: true, observation };
    } catch (err) {
      this.#dropConn(host.name, session.conn);
      return this.#failure(host, err, "query", timeoutMs);
    }
  }

  /** The executed GTID set alone (the writer's, read after the others'). */
  async readGtid(host: MonitoredHost, timeoutMs: number): Promise<string | null> {
    const session = this.#conns.get(host.name);
    if (!session) return null;
    // As in probe: a session hung by a shutting-down mysqld must not hold the cycle for the
    // whole timeout when a fresh connect would be refused. (A fresh answer is no GTID re-read:
    // its session is closed and the kept one still has to answer.)
    const fresh = this.#freshAfterDelay(host, Date.now() + timeoutMs, timeoutMs, (f) => !f.r.ok && !!f.r.refused);
    const refused = fresh.result.then((): never => {
      throw new Error(`${host.name}: mysqld refuses new connections`);
    });
    try {
      const [gtid] = await Promise.race([withTimeout(session.conn.query(selectGtidState(session.dialect).sql), timeoutMs, "GTID state"), refused]);
      return gtidText(parseGtidState(session.dialect, firstRow(gtid))) || null;
    } catch (err) {
      this.#dropConn(host.name, session.conn);
      throw err;
    } finally {
      fresh.cancel();
    }
  }

  close(): void {
    this.#closed = true;
    for (const name of [...this.#conns.keys()]) this.#drop(name);
  }

  /** Makes `session` the host's kept one, closing any earlier one (or it, once closed). */
  #keep(name: string, session: Session): void {
    if (this.#closed) return void session.conn.destroy();
    const before = this.#conns.get(name);
    this.#conns.set(name, session);
    if (before && before.conn !== session.conn) before.conn.destroy();
  }

  /** A new session, not kept yet: the caller decides (#keep). */
  async #connect(host: MonitoredHost, timeoutMs: number): Promise<Session> {
    const pending = mysql.createConnection({
      host: host.ip,
      port: host.mysqlPort,
      user: this.user,
      password: this.password.reveal(),
      charset: "utf8mb4",
      connectTimeout: timeoutMs,
      supportBigNumbers: true,
      bigNumberStrings: true,
    });
    // A connect that loses the race still resolves later: close it then.
    const conn = await withTimeout(pending, timeoutMs, "connect", (late) => late.destroy());
    const lost = () => {
      // Only the kept connection's loss is news; one we dropped ourselves is not. It is closed
      // on the next tick: closing it now would keep a query under way from hearing of the loss
      // (it would wait for its timeout instead).
      if (this.#conns.get(host.name)?.conn !== conn) return;
      this.#conns.delete(host.name);
      setImmediate(() => conn.destroy());
      this.onLost(host.name);
    };
    conn.on("error", lost);
    conn.on("end", lost);
    try {
      const [id] = await withTimeout(conn.query(SELECT_SERVER_IDENTITY.sql), timeoutMs, "SELECT VERSION()");
      const row = firstRow(id);
      const dialect = resolveDialect(parseServerVersion(String(row.version), String(row.version_comment ?? "")));
      return { conn, dialect };
    } catch (err) {
      conn.destroy();
      throw err;
    }
  }

  #drop(name: string): void {
    const s = this.#conns.get(name);
    this.#conns.delete(name);
    s?.conn.destroy();
  }

  /** Closes `conn`, and forgets it if it is still the host's kept session (a newer one stays). */
  #dropConn(name: string, conn: mysql.Connection): void {
    if (this.#conns.get(name)?.conn === conn) this.#conns.delete(name);
    conn.destroy();
  }

  #failure(host: MonitoredHost, err: unknown, phase: "connect" | "query", timeoutMs: number): MysqlProbe {
    const e = err as { code?: string; errno?: number; message?: string };
    const text = e.message ?? String(err);
    // MMM: "Too many connections" (1040) says nothing about the host's health.
    if (e.errno === 1040 || e.code === "ER_CON_COUNT_ERROR") {
      return { ok: false, outcome: "unknown", message: `UNKNOWN: Too many connections! ${text}`, cause: "too many connections" };
    }
    const cause =
      err instanceof TimeoutError
        ? `timeout after ${timeoutMs / 1000} s`
        : e.code === "ECONNREFUSED"
          ? "connection refused"
          : e.code === "EHOSTUNREACH"
            ? "host unreachable"
            : text;
    const message =
      phase === "connect"
        ? `ERROR: Connect error (host = ${host.ip}:${host.mysqlPort}, user = ${this.user})! ${text}`
        : `ERROR: Query error (host = ${host.ip}:${host.mysqlPort})! ${text}`;
    // Refused, or told by mysqld itself at connect that it is shutting down: an answer, not a
    // silence. (On an open session MySQL also reports a KILL as 1053, so only the connect counts.)
    const shutdown = e.errno === 1053 || e.code === "ER_SERVER_SHUTDOWN";
    const refused = e.code === "ECONNREFUSED" || (shutdown && phase === "connect");
    const silent = err instanceof TimeoutError || e.code === "ETIMEDOUT";
    return { ok: false, outcome: "error", message, cause: shutdown ? "server shutdown in progress" : cause, ...(refused ? { refused: true } : {}), ...(silent ? { silent: true } : {}) };
  }
}

function rows(x: unknown): Row[] {
  return Array.isArray(x) ? (x as Row[]) : [];
}

function firstRow(x: unknown): Row {
  return rows(x)[0] ?? {};
}

/** MariaDB: gtid_binlog_state (every server's last GTID per domain, see gtid-ops.ts); MySQL: gtid_executed. */
function gtidText(s: GtidState): string {
  return s.kind === "mariadb" ? s.binlogState : s.executed;
}

function hostNamed(byIp: ReadonlyMap<string, string>, nameOrIp: string): string | undefined {
  for (const name of byIp.values()) if (name === nameOrIp) return name;
  return undefined;
}
