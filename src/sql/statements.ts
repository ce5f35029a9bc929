import { ConfigError, PlanError } from "../errors.js";
import type { Secret } from "../secret.js";
import type { Dialect } from "./dialect.js";
import type { GrantChange, GrantScope, RoleName } from "./grants.js";
import { formatMariaGtidList, mariaGtidPosition, parseGtidSet } from "./gtid.js";
import { quoteAccount, quoteIdentifier, quoteString, sqlDecimal, sqlInteger, type AccountName } from "./quote.js";

/**
 * Statement builders: each returns what to run and what to show, and runs nothing.
 *
 * - `sql` is the text to send. It may hold a password as a literal (the grammar leaves no other way,
 *   see quote.ts), so it is NON-enumerable: logging, JSON.stringify or util.inspect of a Statement
 *   shows `display` and `params`, never `sql`; String(statement) is `display`.
 * - `params` fill the `?` placeholders in `sql`, in order. Only lookups have them (values the user
 *   controls in WHERE clauses); every other statement has none and must be sent as is, as a plain
 *   text query: client-side placeholder formatting would misread a `?` inside a password literal.
 * - `display` is `sql` with every secret as '***' and params written in, for --check --diff and logs.
 */
export type SqlParam = string | number;

export interface Statement {
  readonly sql: string;
  readonly params: readonly SqlParam[];
  readonly display: string;
}

type Part = string | { readonly secret: Secret; readonly what: string } | { readonly literal: string; readonly what: string } | { readonly param: SqlParam };

function build(d: Pick<Dialect, "noBackslashEscapes">, parts: readonly Part[]): Statement {
  let sql = "";
  let display = "";
  const params: SqlParam[] = [];
  for (const p of parts) {
    if (typeof p === "string") {
      sql += p;
      display += p;
    } else if ("secret" in p) {
      sql += quoteString(p.secret.reveal(), d, p.what);
      display += "'***'";
    } else if ("literal" in p) {
      const q = quoteString(p.literal, d, p.what);
      sql += q;
      display += q;
    } else {
      params.push(p.param);
      sql += "?";
      display += typeof p.param === "number" ? String(p.param) : quoteString(p.param, d);
    }
  }
  return makeStatement(sql, params, display);
}

export function makeStatement(sql: string, params: readonly SqlParam[], display: string): Statement {
  const s = { params: Object.freeze([...params]), display };
  Object.defineProperty(s, "sql", { value: sql, enumerable: false });
  Object.defineProperty(s, "toString", { value: () => display, enumerable: false });
  return Object.freeze(s) as unknown as Statement;
}

const plain = (d: Pick<Dialect, "noBackslashEscapes">, sql: string): Statement => build(d, [sql]);

/** Identity of the server, to run before any dialect is known (no flavor-specific syntax). */
export const SELECT_SERVER_IDENTITY: Statement = makeStatement(
  "SELECT VERSION() AS version, @@version_comment AS version_comment, @@server_id AS server_id, @@SESSION.sql_mode AS sql_mode",
  [],
  "SELECT VERSION() AS version, @@version_comment AS version_comment, @@server_id AS server_id, @@SESSION.sql_mode AS sql_mode",
);

// ---------------------------------------------------------------------------------------------
// Accounts

export function createUser(d: Dialect, account: AccountName, password: Secret): Statement {
  const ifNotExists = d.has("createUserIfNotExists") ? "IF NOT EXISTS " : "";
  return build(d, [`CREATE USER ${ifNotExists}${quoteAccount(account)} IDENTIFIED BY `, { secret: password, what: `password of ${account.user}` }]);
}

export function alterUserPassword(d: Dialect, account: AccountName, password: Secret): Statement {
  const what = `password of ${account.user}`;
  if (d.has("alterUserIdentifiedBy")) {
    return build(d, [`ALTER USER ${quoteAccount(account)} IDENTIFIED BY `, { secret: password, what }]);
  }
  return build(d, [`SET PASSWORD FOR ${quoteAccount(account)} = PASSWORD(`, { secret: password, what }, ")"]);
}

/** One row with `n` = 1 when the account exists (needs SELECT on mysql.user, as the admin has). */
export function accountExists(d: Dialect, account: AccountName): Statement {
  return build(d, ["SELECT COUNT(*) AS n FROM mysql.user WHERE User = ", { param: account.user }, " AND Host = ", { param: account.host }]);
}

export function showGrants(d: Dialect, account: AccountName): Statement {
  return plain(d, `SHOW GRANTS FOR ${quoteAccount(account)}`);
}

/** SHOW CREATE USER: the account's authentication (parse with parseShowCreateUser). */
export function showCreateUser(d: Dialect, account: AccountName): Statement {
  return plain(d, `SHOW CREATE USER ${quoteAccount(account)}`);
}

const PRIVILEGE_WORD = /^[A-Z][A-Z_]*( [A-Z_]+)*$/;

function privilegeText(p: string): string {
  if (!PRIVILEGE_WORD.test(p)) throw new ConfigError(`${JSON.stringify(p)} is not a privilege name`);
  return p;
}

export function formatScope(scope: GrantScope): string {
  switch (scope.kind) {
    case "global":
      return "*.*";
    case "database":
      return `${quoteIdentifier(scope.db, "database name")}.*`;
    case "table":
      return `${quoteIdentifier(scope.db, "database name")}.${quoteIdentifier(scope.table, "table name")}`;
    case "routine":
      return `${scope.routineType} ${quoteIdentifier(scope.db, "database name")}.${quoteIdentifier(scope.name, "routine name")}`;
  }
}

function privilegeList(change: GrantChange, withGrantOption: boolean): string {
  const items = change.privileges.map(privilegeText);
  const byPriv = new Map<string, string[]>();
  for (const c of change.columns ?? []) {
    const list = byPriv.get(c.privilege) ?? [];
    list.push(c.column);
    byPriv.set(c.privilege, list);
  }
  for (const [priv, cols] of byPriv) {
    items.push(`${privilegeText(priv)} (${cols.map((c) => quoteIdentifier(c, "column name")).join(", ")})`);
  }
  if (withGrantOption) items.push("GRANT OPTION");
  return items.join(", ");
}

/** GRANT the change's privileges (and columns) on its scope; WITH GRANT OPTION when it says so. */
export function grant(d: Dialect, account: AccountName, change: GrantChange): Statement {
  const list = privilegeList(change, false);
  if (list === "" && !change.grantOption) throw new PlanError(`nothing to grant to ${account.user}@${account.host} on ${formatScope(change.scope)}`);
  // GRANT OPTION alone is granted as USAGE … WITH GRANT OPTION.
  const privs = list === "" ? "USAGE" : list;
  return plain(d, `GRANT ${privs} ON ${formatScope(change.scope)} TO ${quoteAccount(account)}${change.grantOption ? " WITH GRANT OPTION" : ""}`);
}

/** REVOKE the change's privileges (and GRANT OPTION when `grantOption`) on its scope. */
export function revoke(d: Dialect, account: AccountName, change: GrantChange): Statement {
  const list = privilegeList(change, change.grantOption === true);
  if (list === "") throw new PlanError(`nothing to revoke from ${account.user}@${account.host} on ${formatScope(change.scope)}`);
  return plain(d, `REVOKE ${list} ON ${formatScope(change.scope)} FROM ${quoteAccount(account)}`);
}

function formatRole(role: RoleName): string {
  // MySQL roles are accounts ('r'@'%'); MariaDB roles are bare names.
  return role.host === undefined ? quoteIdentifier(role.name, "role name") : quoteAccount({ user: role.name, host: role.host });
}

export function grantRoles(d: Dialect, account: AccountName, roles: readonly RoleName[]): Statement {
  if (roles.length === 0) throw new PlanError(`no roles to grant to ${account.user}@${account.host}`);
  return plain(d, `GRANT ${roles.map(formatRole).join(", ")} TO ${quoteAccount(account)}`);
}

export function revokeRoles(d: Dialect, account: AccountName, roles: readonly RoleName[]): Statement {
  if (roles.length === 0) throw new PlanError(`no roles to revoke from ${account.user}@${account.host}`);
  return plain(d, `REVOKE ${roles.map(formatRole).join(", ")} FROM ${quoteAccount(account)}`);
}

// ---------------------------------------------------------------------------------------------
// Replication

export type SourcePosition =
  | { readonly kind: "gtid" }
  | { readonly kind: "file"; readonly file: string; readonly pos: number };

export interface ChangeSourceOptions {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: Secret;
  /** GTID auto-positioning (the default everywhere in mmm) or a binlog file/position. */
  readonly position: SourcePosition;
  /** Seconds between reconnection attempts (MASTER_CONNECT_RETRY). */
  readonly connectRetry?: number;
  /** Seconds between heartbeats from the source; bounds how fast a dead source is noticed. */
  readonly heartbeatPeriod?: number;
  /**
   * MariaDB: the position GTID replication resumes from. slave_pos (default) counts only what was
   * replicated; current_pos also counts this server's own binlog (deprecated in 10.10 for `demote`).
   */
  readonly mariadbGtidPos?: "slave_pos" | "current_pos";
  /**
   * MariaDB ≥ 10.10: MASTER_DEMOTE_TO_SLAVE=1, adding this server's own binlog GTIDs to its
   * gtid_slave_pos, for a former master that now replicates. Older servers: run
   * `adoptBinlogPosAsSlavePos` before this statement instead.
   */
  readonly demote?: boolean;
  /** Require TLS (true), forbid it (false), or leave the server's default (undefined). */
  readonly ssl?: boolean;
}

/** CHANGE MASTER TO / CHANGE REPLICATION SOURCE TO with the option names of `d`. */
export function changeSource(d: Dialect, o: ChangeSourceOptions): Statement {
  const P = d.sourceOptionPrefix;
  const parts: Part[] = [
    `${d.changeSource} ${P}HOST = `,
    { literal: o.host, what: "replication source host" },
    `, ${P}PORT = ${sqlInteger(o.port, "replication source port")}, ${P}USER = `,
    { literal: o.user, what: "replication user" },
    `, ${P}PASSWORD = `,
    { secret: o.password, what: `password of ${o.user}` },
  ];
  if (o.position.kind === "gtid") {
    if (d.family === "mariadb") parts.push(`, MASTER_USE_GTID = ${o.mariadbGtidPos ?? "slave_pos"}`);
    else parts.push(`, ${P}AUTO_POSITION = 1`);
  } else {
    if (o.demote) throw new PlanError("MASTER_DEMOTE_TO_SLAVE needs GTID positioning; drop `demote` or use position { kind: 'gtid' }");
    parts.push(`, ${P}LOG_FILE = `, { literal: o.position.file, what: "binlog file name" });
    parts.push(`, ${P}LOG_POS = ${sqlInteger(o.position.pos, "binlog position")}`);
    // Switching an auto-positioned replica to file/position must turn auto-positioning off in the
    // same statement, or the server refuses the LOG_FILE/LOG_POS options.
    parts.push(d.family === "mariadb" ? ", MASTER_USE_GTID = no" : `, ${P}AUTO_POSITION = 0`);
  }
  if (o.demote) {
    if (!d.has("demoteToSlave")) {
      throw new PlanError(
        `${d.description} has no MASTER_DEMOTE_TO_SLAVE (MariaDB ≥ 10.10): run adoptBinlogPosAsSlavePos() before CHANGE MASTER instead`,
      );
    }
    parts.push(", MASTER_DEMOTE_TO_SLAVE = 1");
  }
  if (o.connectRetry !== undefined) parts.push(`, ${P}CONNECT_RETRY = ${sqlInteger(o.connectRetry, "connect retry")}`);
  if (o.heartbeatPeriod !== undefined) parts.push(`, ${P}HEARTBEAT_PERIOD = ${sqlDecimal(o.heartbeatPeriod, "heartbeat period")}`);
  if (o.ssl !== undefined) parts.push(`, ${P}SSL = ${o.ssl ? 1 : 0}`);
  // caching_sha2_password (MySQL 8's default) over a connection without TLS needs the source's RSA
  // public key; without this option the replica's first connection fails with "Authentication
  // requires secure connection".
  if (o.ssl !== true && d.has("getSourcePublicKey")) parts.push(`, GET_${P}PUBLIC_KEY = 1`);
  return build(d, parts);
}

/**
 * MariaDB < 10.10's way to demote a former master: make its own binlog GTIDs count as replicated so
 * that slave_pos auto-positioning neither re-fetches nor misses them. Single-domain setups only.
 */
export function adoptBinlogPosAsSlavePos(d: Dialect): Statement {
  if (d.family !== "mariadb") throw new PlanError(`gtid_slave_pos exists only on MariaDB, not on ${d.description}`);
  return plain(d, "SET GLOBAL gtid_slave_pos = @@GLOBAL.gtid_binlog_pos");
}

export type ReplicationThread = "io" | "sql";

function threadSuffix(thread: ReplicationThread | undefined): string {
  return thread === undefined ? "" : thread === "io" ? " IO_THREAD" : " SQL_THREAD";
}

export function startReplica(d: Dialect, thread?: ReplicationThread): Statement {
  return plain(d, d.startReplica + threadSuffix(thread));
}

export function stopReplica(d: Dialect, thread?: ReplicationThread): Statement {
  return plain(d, d.stopReplica + threadSuffix(thread));
}

/** Forget the source entirely (connection settings and relay logs). Stop the replica first. */
export function resetReplicaAll(d: Dialect): Statement {
  return plain(d, `${d.resetReplica} ALL`);
}

export function showReplicaStatus(d: Dialect): Statement {
  return plain(d, d.showReplicaStatus);
}

export function showPrimaryStatus(d: Dialect): Statement {
  return plain(d, d.showPrimaryStatus);
}

/** Deletes every binlog (and, on MySQL, clears gtid_executed): only for a replica about to load a dump. */
export function resetBinaryLogs(d: Dialect): Statement {
  return plain(d, d.resetBinaryLogs);
}

/** One row with the GTID variables of `d` under their own names (parse with parseGtidState). */
export function selectGtidState(d: Dialect): Statement {
  const g = d.gtid;
  const vars = g.kind === "mariadb" ? [g.binlogPos, g.binlogState, g.slavePos, g.currentPos, g.strictMode] : [g.executed, g.purged, g.mode];
  return plain(d, "SELECT " + vars.map((v) => `@@GLOBAL.${v} AS ${v}`).join(", "));
}

// ---------------------------------------------------------------------------------------------
// read_only

/** One row: read_only and, where it exists, super_read_only (0/1). */
export function selectReadOnly(d: Dialect): Statement {
  return plain(d, "SELECT " + d.readOnlyVariables.map((v) => `@@GLOBAL.${v} AS ${v}`).join(", "));
}

/**
 * The monitor's check in one round trip: one row with selectReadOnly's and selectGtidState's
 * columns (each parser reads its own). On a busy server every round trip waits for CPU.
 */
export function selectHealth(d: Dialect): Statement {
  const strip = (st: Statement) => st.sql.replace(/^SELECT /, "");
  return plain(d, `SELECT ${strip(selectReadOnly(d))}, ${strip(selectGtidState(d))}`);
}

export interface ReadOnlyOptions {
  /**
   * Bound, in seconds, on waiting for the global read lock SET GLOBAL read_only takes (a client
   * holding LOCK TABLES or a long transaction would otherwise block it for lock_wait_timeout,
   * a year by default). It stays set for the rest of the session.
   */
  readonly lockWaitTimeout?: number;
}

/**
 * Statements to make the server refuse (on) or accept (off) client writes, in order.
 * On: read_only=ON, then super_read_only=ON (which would imply read_only anyway).
 * Off: super_read_only=OFF first — read_only=OFF while super_read_only=ON is refused by MySQL.
 */
export function setReadOnly(d: Dialect, on: boolean, opts: ReadOnlyOptions = {}): Statement[] {
  const out: Statement[] = [];
  if (opts.lockWaitTimeout !== undefined) {
    out.push(plain(d, `SET SESSION lock_wait_timeout = ${sqlInteger(Math.max(1, Math.ceil(opts.lockWaitTimeout)), "lock wait timeout")}`));
  }
  const vars = on ? d.readOnlyVariables : [...d.readOnlyVariables].reverse();
  for (const v of vars) out.push(plain(d, `SET GLOBAL ${v} = ${on ? "ON" : "OFF"}`));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Waiting, bounded

export type WaitOutcome = "reached" | "timeout" | "not-replicating";

function waitTimeout(d: Dialect, seconds: number): string {
  // Servers that read the timeout as an integer would turn 0.5 into 0 (= no wait, or wait forever
  // for some functions); round up there.
  return d.has("fractionalWaitTimeout") ? sqlDecimal(seconds, "wait timeout") : sqlInteger(Math.ceil(seconds), "wait timeout");
}

/**
 * Waits at most `timeoutSeconds` until this server has applied `gtids` — MariaDB: a GTID position
 * ("0-1-100,1-2-7") reached by the replication SQL thread (MASTER_GTID_WAIT); MySQL: a GTID set
 * contained in gtid_executed (WAIT_FOR_EXECUTED_GTID_SET). One row, column `result`; read it with
 * parseWaitResult. The GTID text is validated, then written as a literal.
 */
export function waitForGtid(d: Dialect, gtids: string, timeoutSeconds: number): Statement {
  const set = parseGtidSet(d.family, gtids); // throws on anything that is not a GTID list/set
  // MASTER_GTID_WAIT takes a position (one entry per domain); a gtid_binlog_state has several.
  const text = set.family === "mariadb" ? formatMariaGtidList(mariaGtidPosition(set.list)) : set.text;
  return build(d, [`SELECT ${d.gtidWaitFunction}(`, { literal: text, what: "GTID set" }, `, ${waitTimeout(d, timeoutSeconds)}) AS result`]);
}

/** Waits at most `timeoutSeconds` until the SQL thread has executed up to file:pos of its source. */
export function waitForPosition(d: Dialect, file: string, pos: number, timeoutSeconds: number): Statement {
  return build(d, [
    `SELECT ${d.posWaitFunction}(`,
    { literal: file, what: "binlog file name" },
    `, ${sqlInteger(pos, "binlog position")}, ${waitTimeout(d, timeoutSeconds)}) AS result`,
  ]);
}

/**
 * The `result` of waitForGtid / waitForPosition:
 * MASTER_GTID_WAIT 0 = reached, -1 = timeout; WAIT_FOR_EXECUTED_GTID_SET 0 = reached, 1 = timeout;
 * MASTER_POS_WAIT/SOURCE_POS_WAIT ≥ 0 = reached, -1 = timeout, NULL = SQL thread not running.
 */
export function parseWaitResult(d: Dialect, kind: "gtid" | "position", value: unknown): WaitOutcome {
  if (value === null || value === undefined) return "not-replicating";
  const n = typeof value === "number" ? value : typeof value === "bigint" ? Number(value) : Number(String(value));
  if (!Number.isFinite(n)) throw new PlanError(`unexpected result ${JSON.stringify(value)} from a replication wait function`);
  if (kind === "position") return n >= 0 ? "reached" : "timeout";
  if (d.gtidWaitFunction === "MASTER_GTID_WAIT") return n === 0 ? "reached" : "timeout";
  return n === 0 ? "reached" : "timeout";
}

// ---------------------------------------------------------------------------------------------
// Client connections

/** KILL CONNECTION id: ends the session (its open transaction rolls back). */
export function killConnection(d: Dialect, id: number): Statement {
  return plain(d, `KILL CONNECTION ${sqlInteger(id, "connection id")}`);
}

/**
 * Client sessions other than this one, replication threads, dump threads and daemons, and other
 * than `excludeUsers` (mmm's own accounts): what fencing kills. Columns id, user, host, db,
 * command, time. Needs PROCESS to see other users' sessions.
 */
export function listClientConnections(d: Dialect, excludeUsers: readonly string[] = []): Statement {
  const parts: Part[] = [
    "SELECT ID AS id, USER AS user, HOST AS host, DB AS db, COMMAND AS command, TIME AS time FROM information_schema.PROCESSLIST",
    " WHERE ID <> CONNECTION_ID() AND USER NOT IN ('system user', 'event_scheduler', 'unauthenticated user'",
  ];
  for (const u of excludeUsers) parts.push(", ", { param: u });
  parts.push(") AND COMMAND NOT IN ('Binlog Dump', 'Binlog Dump GTID', 'Daemon', 'Slave_IO', 'Slave_SQL', 'Slave_worker')");
  return build(d, parts);
}

// ---------------------------------------------------------------------------------------------
// Semi-synchronous replication

/** Which semi-sync plugins are loaded (MySQL, MariaDB < 10.3.3); columns name, status. */
export function selectSemiSyncPlugins(d: Dialect): Statement {
  const names = [d.semiSync.sourcePlugin, d.semiSync.replicaPlugin].flatMap((p) => (p ? [p.name] : []));
  if (names.length === 0) throw new PlanError(`semi-sync is built into ${d.description}; there is no plugin to look up`);
  return plain(d, `SELECT PLUGIN_NAME AS name, PLUGIN_STATUS AS status FROM information_schema.PLUGINS WHERE PLUGIN_NAME IN (${names.map((n) => `'${n}'`).join(", ")})`);
}

export type SemiSyncSide = "source" | "replica";

/**
 * INSTALL PLUGIN for the given sides; [] where semi-sync is built in. Not idempotent on MySQL
 * (no IF NOT EXISTS): install only what selectSemiSyncPlugins did not list. The durable setting is
 * plugin-load-add in my.cnf; this makes it effective without a restart.
 */
export function installSemiSyncPlugins(d: Dialect, sides: readonly SemiSyncSide[]): Statement[] {
  const out: Statement[] = [];
  for (const side of sides) {
    const p = side === "source" ? d.semiSync.sourcePlugin : d.semiSync.replicaPlugin;
    if (p) out.push(plain(d, `INSTALL PLUGIN ${p.name} SONAME '${p.soname}'`));
  }
  return out;
}

export interface SemiSyncSettings {
  readonly source?: boolean;
  readonly replica?: boolean;
  /** How long a commit waits for an acknowledgement before falling back to asynchronous. */
  readonly timeoutMs?: number;
}

/**
 * SET GLOBAL statements for semi-sync. A change of the replica side takes effect when the IO thread
 * reconnects: follow it with stopReplica(d, "io") and startReplica(d, "io") on a running replica.
 */
export function setSemiSync(d: Dialect, s: SemiSyncSettings): Statement[] {
  const n = d.semiSync;
  const out: Statement[] = [];
  if (s.timeoutMs !== undefined) out.push(plain(d, `SET GLOBAL ${n.sourceTimeout} = ${sqlInteger(s.timeoutMs, "semi-sync timeout")}`));
  if (s.source !== undefined) out.push(plain(d, `SET GLOBAL ${n.sourceEnabled} = ${s.source ? "ON" : "OFF"}`));
  if (s.replica !== undefined) out.push(plain(d, `SET GLOBAL ${n.replicaEnabled} = ${s.replica ? "ON" : "OFF"}`));
  return out;
}
