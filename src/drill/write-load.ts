import { withTimeout } from "../util/with-timeout.js";
import type { Duplex } from "node:stream";
import { MysqlSession } from "../remote/mysql.js";
import type { Transport } from "../remote/transport.js";
import type { Secret } from "../secret.js";
import { errorMessage } from "../errors.js";
import type { Ack, Unacked } from "./drill-analysis.js";

/**
 * N clients writing through the writer VIP as the app account, each a loop of autocommit
 * INSERTs with a unique (client, seq), recording every acknowledged write and every write whose
 * outcome is unknown.
 *
 * Where the clients run: in this process, each connection an SSH direct-tcpip channel from the
 * monitor host to the VIP (Transport.forwardTcp). The VIPs are reachable only on the cluster
 * network, and the monitor host sits there like an application server would; running in-process
 * keeps every acknowledgement on one clock (the controller's, the one the drill's timeline
 * uses), needs nothing installed beyond sshd, and does not depend on the version of the runtime
 * bootstrap put on the monitor host. The price is a tunnel hop per statement (under a
 * millisecond in the lab). A dead VIP must not stall a client: opening the channel, logging in
 * and each COMMIT are bounded by short timers, and a client that hits any error drops its
 * connection and reconnects, as an application's pool would.
 */

/** Opens a byte stream to mysqld behind the VIP (an SSH channel from the monitor host). */
export type StreamOpener = () => Promise<Duplex>;

export interface WriteLoadOptions {
  readonly open: StreamOpener;
  readonly account: { readonly user: string; readonly password: Secret };
  readonly table: DrillTable;
  readonly run: string;
  readonly clients: number;
  /** Pause between one client's writes; 0 writes as fast as acknowledgements come. */
  readonly intervalMs: number;
  /** Opening the channel plus logging in. */
  readonly connectTimeoutMs: number;
  /** One INSERT (autocommit: its COMMIT) before it counts as unacknowledged. */
  readonly commitTimeoutMs: number;
  /** server_id → inventory host, to say where each acknowledged write went. */
  readonly hostOfServerId: ReadonlyMap<number, string>;
  readonly now?: () => number;
  /** Each client's first acknowledgement after a failure, and each failure after a success. */
  readonly onEvent?: (e: LoadEvent) => void;
}

export type LoadEvent =
  | { readonly kind: "failing"; readonly client: number; readonly at: number; readonly error: string }
  | { readonly kind: "writing"; readonly client: number; readonly at: number; readonly host: string | null };

export interface DrillTable {
  readonly database: string;
  readonly table: string;
}

export const DEFAULT_DRILL_TABLE: DrillTable = { database: "mmm_drill", table: "writes" };

/**
 * The drill's table. `id` is the only key that is unique: (run, round, client, seq) is indexed
 * but NOT unique, so a write applied twice shows up as two rows instead of an error.
 */
export function createTableSql(t: DrillTable): string[] {
  const name = `\`${t.database}\`.\`${t.table}\``;
  return [
    `CREATE DATABASE IF NOT EXISTS \`${t.database}\``,
    `CREATE TABLE IF NOT EXISTS ${name} (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  run CHAR(12) NOT NULL,
  round INT NOT NULL,
  client INT NOT NULL,
  seq INT NOT NULL,
  server_id INT UNSIGNED NOT NULL,
  written_at DATETIME(6) NOT NULL,
  KEY write_id (run, round, client, seq)
) ENGINE=InnoDB`,
  ];
}

/** Identifiers are ours (checked at the CLI), never user data; see assertIdentifier. */
export function assertIdentifier(what: string, name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) throw new Error(`${what} "${name}": use letters, digits and _ only`);
  return name;
}

interface Connection {
  readonly session: MysqlSession;
  readonly stream: Duplex;
  readonly host: string | null;
}

export class WriteLoad {
  readonly acks: Ack[] = [];
  readonly unacked: Unacked[] = [];
  /** Connection attempts that failed (no write was sent on them). */
  connectFailures = 0;
  #round = 0;
  #stopped = true;
  #loops: Promise<void>[] = [];
  readonly #seq: number[];
  readonly #now: () => number;

  constructor(private readonly o: WriteLoadOptions) {
    this.#seq = Array.from({ length: o.clients }, () => 0);
    this.#now = o.now ?? Date.now;
  }

  /** Starts the clients for a round; acknowledgements accumulate until stop(). */
  start(round: number): void {
    if (!this.#stopped) throw new Error("write load already running");
    this.#round = round;
    this.#stopped = false;
    this.#loops = this.#seq.map((_, c) => this.#client(c + 1));
  }

  /** Stops the clients and waits for their last write to settle (acknowledged or not). */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(this.#loops);
    this.#loops = [];
  }

  /** Drops the round's records (the next round starts counting afresh). */
  reset(): void {
    this.acks.length = 0;
    this.unacked.length = 0;
    this.connectFailures = 0;
  }

  async #connect(): Promise<Connection> {
    let stream: Duplex | undefined;
    const opened = (async () => {
      stream = await this.o.open();
      const session = await MysqlSession.openStream("writer VIP", stream, { ...this.o.account, database: this.o.table.database });
      return { session, stream, host: this.o.hostOfServerId.get(session.serverId) ?? null };
    })();
    // A channel or login that completes after the deadline is closed, never used.
    return withTimeout(opened, this.o.connectTimeoutMs, "connect through the writer VIP", (late) => late.stream.destroy()).catch((err: unknown) => {
      stream?.destroy();
      throw err;
    });
  }

  async #client(client: number): Promise<void> {
    const t = this.o.table;
    const insert = `INSERT INTO \`${t.database}\`.\`${t.table}\` (run, round, client, seq, server_id, written_at) VALUES (?, ?, ?, ?, @@server_id, NOW(6))`;
    let conn: Connection | null = null;
    let failing = false;
    const fail = (error: string) => {
      if (!failing) this.o.onEvent?.({ kind: "failing", client, at: this.#now(), error });
      failing = true;
      conn?.stream.destroy();
      conn = null;
    };
    while (!this.#stopped) {
      if (!conn) {
        try {
          conn = await this.#connect();
        } catch (err) {
          this.connectFailures += 1;
          fail(errorMessage(err));
          await sleep(50);
          continue;
        }
      }
      const seq = ++this.#seq[client - 1]!;
      try {
        await withTimeout(conn.session.query(insert, [this.o.run, this.#round, client, seq]), this.o.commitTimeoutMs, "COMMIT");
        const at = this.#now();
        this.acks.push({ client, seq, at, host: conn.host });
        if (failing) this.o.onEvent?.({ kind: "writing", client, at, host: conn.host });
        failing = false;
      } catch (err) {
        // The server may have committed it: unknown, which is neither a loss nor a duplicate.
        this.unacked.push({ client, seq, at: this.#now(), error: errorMessage(err) });
        fail(errorMessage(err));
        continue;
      }
      if (this.o.intervalMs > 0) await sleep(this.o.intervalMs);
    }
    const last: Connection | null = conn;
    if (last) void last.session.close().finally(() => last.stream.destroy());
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A stream opener over the monitor host's SSH connection; `ip:port` as seen from there. */
export function tunnelFrom(transport: Transport, ip: string, port: number): StreamOpener {
  return () => transport.forwardTcp(ip, port);
}
