import { createHash } from "node:crypto";
import { PlanError } from "../errors.js";
import { Secret } from "../secret.js";
import type { Dialect } from "./dialect.js";
import { grantDatabasePattern, type AccountName } from "./quote.js";
import { grant, grantRoles, revoke, revokeRoles, type Statement } from "./statements.js";

/**
 * What each mmm account must be granted on each flavor/version, SHOW GRANTS parsed into the same
 * shape, and the difference between the two — so bootstrap makes every account hold EXACTLY its
 * grants, idempotently, and a re-run finds nothing to do. Pure.
 *
 * Sources (verified on MariaDB 10.11.19 where marked):
 * - MariaDB split SUPER in 10.5.2 (READ_ONLY ADMIN, CONNECTION ADMIN, REPLICATION SLAVE ADMIN,
 *   REPLICATION MASTER ADMIN, BINLOG ADMIN …) and renamed REPLICATION CLIENT to BINLOG MONITOR, which
 *   no longer allows SHOW SLAVE STATUS: https://mariadb.com/docs/reference/mdb/privileges/BINLOG_MONITOR/,
 *   https://mariadb.com/docs/server/ha-and-performance/standard-replication/read-only-replicas
 * - SHOW SLAVE STATUS needs SLAVE MONITOR from 10.5.9, REPLICATION SLAVE ADMIN in 10.5.2–10.5.8:
 *   https://mariadb.com/kb/en/mariadb-maxscale-25-mariadb-monitor ; MariaDB sql/privilege.h
 *   (PRIV_STMT_SHOW_SLAVE_STATUS history).
 * - From 10.11.0 SUPER no longer includes READ_ONLY ADMIN (MDEV-29596,
 *   https://github.com/MariaDB/server/commit/47dccace13): a SUPER-only agent cannot change
 *   read_only — the "writer that could not write" of the tutorial's grants. Verified on 10.11.19:
 *   SUPER can neither write under read_only=1 nor SET GLOBAL read_only; READ_ONLY ADMIN can do both.
 * - MySQL 8: read_only lets through CONNECTION_ADMIN (and SUPER) holders; SET GLOBAL needs
 *   SYSTEM_VARIABLES_ADMIN; CHANGE REPLICATION SOURCE / START REPLICA need REPLICATION_SLAVE_ADMIN;
 *   KILL of other users' sessions needs CONNECTION_ADMIN (MySQL 8.0 "Privileges Provided by MySQL").
 */

// ---------------------------------------------------------------------------------------------
// Model

export type RoutineType = "FUNCTION" | "PROCEDURE" | "PACKAGE" | "PACKAGE BODY";

/**
 * Where privileges apply. `db` of a database scope is the GRANT pattern exactly as SHOW GRANTS
 * prints it (`my\_app`, not `my_app`, which would be a wildcard): build it with grantDatabasePattern.
 */
export type GrantScope =
  | { readonly kind: "global" }
  | { readonly kind: "database"; readonly db: string }
  | { readonly kind: "table"; readonly db: string; readonly table: string }
  | { readonly kind: "routine"; readonly routineType: RoutineType; readonly db: string; readonly name: string };

export interface ColumnPrivilege {
  readonly privilege: string;
  readonly column: string;
}

export interface ScopeGrants {
  readonly scope: GrantScope;
  /** Canonical names (see canonicalPrivilege), ALL PRIVILEGES expanded, USAGE dropped, in server order. */
  readonly privileges: readonly string[];
  readonly columns: readonly ColumnPrivilege[];
  readonly grantOption: boolean;
}

/** A role: MariaDB roles are names; MySQL roles are accounts (name@host). */
export interface RoleName {
  readonly name: string;
  readonly host?: string;
}

export interface AccountGrants {
  readonly scopes: readonly ScopeGrants[];
  readonly roles: readonly RoleName[];
}

/** Privileges to add to or remove from one scope. */
export interface GrantChange {
  readonly scope: GrantScope;
  readonly privileges: readonly string[];
  readonly columns?: readonly ColumnPrivilege[];
  readonly grantOption?: boolean;
}

export function scopeKey(s: GrantScope): string {
  switch (s.kind) {
    case "global":
      return "*.*";
    case "database":
      return `db:${s.db}`;
    case "table":
      return `table:${s.db}\u0000${s.table}`;
    case "routine":
      return `${s.routineType}:${s.db}\u0000${s.name}`;
  }
}

/** "*.*", "`shop`.*", "`shop`.`t`", "PROCEDURE `shop`.`p`" — for messages (no quoting guarantees). */
export function describeScope(s: GrantScope): string {
  switch (s.kind) {
    case "global":
      return "*.*";
    case "database":
      return `\`${s.db}\`.*`;
    case "table":
      return `\`${s.db}\`.\`${s.table}\``;
    case "routine":
      return `${s.routineType} \`${s.db}\`.\`${s.name}\``;
  }
}

// ---------------------------------------------------------------------------------------------
// Names

/** The order the servers print privileges in; unknown (dynamic) ones sort after, alphabetically. */
const SERVER_ORDER = [
  "SELECT",
  "INSERT",
  "UPDATE",
  "DELETE",
  "CREATE",
  "DROP",
  "RELOAD",
  "SHUTDOWN",
  "PROCESS",
  "FILE",
  "REFERENCES",
  "INDEX",
  "ALTER",
  "SHOW DATABASES",
  "SUPER",
  "CREATE TEMPORARY TABLES",
  "LOCK TABLES",
  "EXECUTE",
  "REPLICATION SLAVE",
  "REPLICATION CLIENT",
  "BINLOG MONITOR",
  "CREATE VIEW",
  "SHOW VIEW",
  "CREATE ROUTINE",
  "ALTER ROUTINE",
  "CREATE USER",
  "EVENT",
  "TRIGGER",
  "CREATE TABLESPACE",
  "CREATE ROLE",
  "DROP ROLE",
  "DELETE HISTORY",
  "SET USER",
  "FEDERATED ADMIN",
  "CONNECTION ADMIN",
  "READ_ONLY ADMIN",
  "REPLICATION SLAVE ADMIN",
  "REPLICATION MASTER ADMIN",
  "BINLOG ADMIN",
  "BINLOG REPLAY",
  "SLAVE MONITOR",
  "SHOW CREATE ROUTINE",
];
const ORDER_INDEX = new Map(SERVER_ORDER.map((p, i) => [p, i]));

export function sortPrivileges(privs: Iterable<string>): string[] {
  return [...new Set(privs)].sort((a, b) => {
    const x = ORDER_INDEX.get(a) ?? Infinity;
    const y = ORDER_INDEX.get(b) ?? Infinity;
    return x !== y ? x - y : a < b ? -1 : a > b ? 1 : 0;
  });
}

/** MariaDB's alternative spellings → the name SHOW GRANTS prints. */
const MARIADB_ALIASES: Readonly<Record<string, string>> = {
  "REPLICATION REPLICA": "REPLICATION SLAVE",
  "REPLICA MONITOR": "SLAVE MONITOR",
  "REPLICATION REPLICA ADMIN": "REPLICATION SLAVE ADMIN",
  "READ ONLY ADMIN": "READ_ONLY ADMIN",
};

/**
 * The name SHOW GRANTS prints for `p` on `d`: upper case, single spaces, ALL → ALL PRIVILEGES, and
 * on MariaDB ≥ 10.5.2 REPLICATION CLIENT → BINLOG MONITOR (same privilege bit, renamed), REPLICA
 * MONITOR → SLAVE MONITOR, REPLICATION REPLICA → REPLICATION SLAVE …
 */
export function canonicalPrivilege(p: string, d: Dialect): string {
  const n = p.trim().replace(/\s+/g, " ").toUpperCase();
  if (n === "ALL") return "ALL PRIVILEGES";
  if (d.family === "mariadb") {
    if (n === "REPLICATION CLIENT" && d.has("fineGrainedSuper")) return "BINLOG MONITOR";
    if (n === "BINLOG MONITOR" && !d.has("fineGrainedSuper")) return "REPLICATION CLIENT";
    return MARIADB_ALIASES[n] ?? n;
  }
  return n;
}

const TABLE_ALL = ["SELECT", "INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "REFERENCES", "INDEX", "ALTER", "CREATE VIEW", "SHOW VIEW", "TRIGGER"];
const DB_ALL = [...TABLE_ALL, "CREATE TEMPORARY TABLES", "LOCK TABLES", "EXECUTE", "CREATE ROUTINE", "ALTER ROUTINE", "EVENT"];
const GLOBAL_ALL_BASE = [
  ...DB_ALL,
  "RELOAD",
  "SHUTDOWN",
  "PROCESS",
  "FILE",
  "SHOW DATABASES",
  "SUPER",
  "REPLICATION SLAVE",
  "CREATE USER",
  "CREATE TABLESPACE",
];

/**
 * What ALL PRIVILEGES stands for at a scope of `d` (checked against SHOW GRANTS of MariaDB 10.11
 * after revoking one privilege from an ALL grant). MySQL 8 prints global ALL expanded, with its
 * dynamic privileges on a line of their own, so only its static privileges are listed here.
 */
export function allPrivileges(kind: GrantScope["kind"], d: Dialect): string[] {
  const maria = d.family === "mariadb";
  let list: string[];
  switch (kind) {
    case "routine":
      return ["EXECUTE", "ALTER ROUTINE"];
    case "table":
      list = [...TABLE_ALL];
      if (d.has("deleteHistoryPrivilege")) list.push("DELETE HISTORY");
      break;
    case "database":
      list = [...DB_ALL];
      if (d.has("deleteHistoryPrivilege")) list.push("DELETE HISTORY");
      if (d.has("showCreateRoutinePrivilege")) list.push("SHOW CREATE ROUTINE");
      break;
    case "global":
      list = [...GLOBAL_ALL_BASE, maria && d.has("fineGrainedSuper") ? "BINLOG MONITOR" : "REPLICATION CLIENT"];
      if (d.has("deleteHistoryPrivilege")) list.push("DELETE HISTORY");
      if (d.has("rolePrivileges")) list.push("CREATE ROLE", "DROP ROLE");
      if (d.has("fineGrainedSuper")) {
        list.push(
          "SET USER",
          "FEDERATED ADMIN",
          "CONNECTION ADMIN",
          "READ_ONLY ADMIN",
          "REPLICATION SLAVE ADMIN",
          "REPLICATION MASTER ADMIN",
          "BINLOG ADMIN",
          "BINLOG REPLAY",
        );
      }
      if (d.has("slaveMonitor")) list.push("SLAVE MONITOR");
      if (d.has("showCreateRoutinePrivilege")) list.push("SHOW CREATE ROUTINE");
      break;
  }
  return sortPrivileges(list);
}

// ---------------------------------------------------------------------------------------------
// What mmm's accounts need

export type MmmAccount = "replication" | "monitor" | "agent" | "app";

export interface Requirement {
  readonly privilege: string;
  /** Why the account needs it, for --diff output and docs. */
  readonly why: string;
}

export interface RequiredGrantOptions {
  /**
   * App account: databases (literal names) to grant on; "*" or "*.*" (the default) means every
   * database, granted at global level.
   */
  readonly databases?: readonly string[];
  /** Agent: semi-sync is on, so it may switch rpl_semi_sync_* during role changes. */
  readonly semiSync?: boolean;
}

/** The app account's data and DDL privileges: nothing that can write through read_only. */
export const APP_PRIVILEGES = sortPrivileges([
  "SELECT",
  "INSERT",
  "UPDATE",
  "DELETE",
  "CREATE",
  "DROP",
  "ALTER",
  "INDEX",
  "CREATE TEMPORARY TABLES",
  "LOCK TABLES",
  "EXECUTE",
  "CREATE VIEW",
  "SHOW VIEW",
  "CREATE ROUTINE",
  "ALTER ROUTINE",
  "EVENT",
  "TRIGGER",
  "REFERENCES",
]);

/** Global privileges of `account` on `d`, each with its reason. */
export function requirements(account: Exclude<MmmAccount, "app">, d: Dialect, opts: RequiredGrantOptions = {}): Requirement[] {
  const maria = d.family === "mariadb";
  const fine = d.has("fineGrainedSuper");
  const out: Requirement[] = [];
  const need = (privilege: string, why: string): void => {
    out.push({ privilege, why });
  };
  const replicaStatus = (who: string): void => {
    if (!maria || !fine) {
      need("REPLICATION CLIENT", `${who}: SHOW ${d.has("replicaKeyword") ? "REPLICA" : "SLAVE"} STATUS and SHOW MASTER STATUS`);
      return;
    }
    need("BINLOG MONITOR", `${who}: SHOW MASTER STATUS (REPLICATION CLIENT's name from MariaDB 10.5.2)`);
    if (d.has("slaveMonitor")) {
      need("SLAVE MONITOR", `${who}: SHOW SLAVE STATUS (MariaDB ≥ 10.5.9: REPLICATION CLIENT no longer allows it)`);
    } else {
      need("REPLICATION SLAVE ADMIN", `${who}: SHOW SLAVE STATUS (MariaDB 10.5.2–10.5.8 ties it to REPLICATION SLAVE ADMIN)`);
    }
  };

  switch (account) {
    case "replication":
      need("REPLICATION SLAVE", "replicas read the binlog with it (COM_BINLOG_DUMP)");
      break;
    case "monitor":
      replicaStatus("rep_threads and rep_backlog checks");
      break;
    case "agent":
      need("PROCESS", "list other users' sessions to kill them when the host loses the writer role");
      replicaStatus("replication state during role changes");
      if (maria && fine) {
        need("READ_ONLY ADMIN", "SET GLOBAL read_only (from MariaDB 10.11.0 SUPER no longer allows it, MDEV-29596)");
        need("CONNECTION ADMIN", "KILL other users' connections when fencing");
        const rsa = "CHANGE MASTER, START/STOP SLAVE and gtid_slave_pos on role changes";
        const i = out.findIndex((r) => r.privilege === "REPLICATION SLAVE ADMIN");
        if (i < 0) need("REPLICATION SLAVE ADMIN", rsa);
        else out[i] = { privilege: "REPLICATION SLAVE ADMIN", why: `${rsa}; ${out[i]!.why}` };
        if (opts.semiSync) need("REPLICATION MASTER ADMIN", "SET GLOBAL rpl_semi_sync_master_* on role changes");
      } else if (d.has("dynamicPrivileges")) {
        need("CONNECTION_ADMIN", "KILL other users' connections when fencing");
        need("REPLICATION_SLAVE_ADMIN", `${d.changeSource.replace(/ TO$/, "")}, ${d.startReplica}/${d.stopReplica} on role changes`);
        need("SYSTEM_VARIABLES_ADMIN", `SET GLOBAL ${d.readOnlyVariables.join(", ")}${opts.semiSync ? " and semi-sync variables" : ""}`);
      } else {
        need("SUPER", `SET GLOBAL ${d.readOnlyVariables.join(", ")}, KILL, CHANGE MASTER and START/STOP SLAVE (${d.description} has no finer privileges)`);
      }
      break;
  }
  const order = new Map(sortPrivileges(out.map((r) => r.privilege)).map((p, i) => [p, i]));
  return out.sort((a, b) => order.get(a.privilege)! - order.get(b.privilege)!);
}

function isAllDatabases(db: string): boolean {
  return db === "*" || db === "*.*";
}

/** The exact grants `account` should hold on `d`. */
export function requiredGrants(account: MmmAccount, d: Dialect, opts: RequiredGrantOptions = {}): AccountGrants {
  if (account !== "app") {
    return {
      scopes: [{ scope: { kind: "global" }, privileges: requirements(account, d, opts).map((r) => r.privilege), columns: [], grantOption: false }],
      roles: [],
    };
  }
  const dbs = opts.databases && opts.databases.length > 0 ? opts.databases : ["*.*"];
  const scopes: ScopeGrants[] = [];
  const seen = new Set<string>();
  for (const db of dbs.some(isAllDatabases) ? ["*.*"] : dbs) {
    const scope: GrantScope = isAllDatabases(db) ? { kind: "global" } : { kind: "database", db: grantDatabasePattern(db, d) };
    if (seen.has(scopeKey(scope))) continue;
    seen.add(scopeKey(scope));
    scopes.push({ scope, privileges: [...APP_PRIVILEGES], columns: [], grantOption: false });
  }
  const grants: AccountGrants = { scopes, roles: [] };
  const bypass = findReadOnlyBypass(grants, d);
  if (bypass.length > 0) throw new PlanError(`internal: app grants include ${bypass.map((b) => b.privilege).join(", ")}`);
  return grants;
}

/**
 * Global privileges that let a client write although read_only is ON (or switch it off, or write
 * outside replication): fencing relies on read_only, so the app account must hold none of them.
 */
export function readOnlyBypassPrivileges(d: Dialect): ReadonlyMap<string, string> {
  if (d.family === "mariadb") {
    const m = new Map<string, string>([
      [
        "SUPER",
        d.has("readOnlyAdminOutsideSuper")
          ? "SUPER holds most of what the agent may do (and implied READ_ONLY ADMIN before MariaDB 10.11)"
          : "SUPER writes through read_only and can switch it off",
      ],
    ]);
    if (d.has("fineGrainedSuper")) {
      m.set("READ_ONLY ADMIN", "writes through read_only and can switch it off");
      m.set("CONNECTION ADMIN", "kills other sessions and ignores max_connections and init_connect");
      m.set("BINLOG ADMIN", "SET sql_log_bin=0: writes that never replicate");
      m.set("BINLOG REPLAY", "BINLOG statements and gtid_seq_no: forged replication events");
      m.set("REPLICATION SLAVE ADMIN", "stops or re-points replication");
      m.set("REPLICATION MASTER ADMIN", "changes server_id, gtid_domain_id and semi-sync settings");
    }
    return m;
  }
  const m = new Map<string, string>([["SUPER", "writes through read_only and can switch it off"]]);
  if (d.has("dynamicPrivileges")) {
    m.set("CONNECTION_ADMIN", "writes through read_only (MySQL 8) and kills other sessions");
    m.set("SYSTEM_VARIABLES_ADMIN", "SET GLOBAL read_only=OFF");
    m.set("SESSION_VARIABLES_ADMIN", "SET sql_log_bin=0: writes that never replicate");
    m.set("BINLOG_ADMIN", "purges binlogs and controls binary logging");
    m.set("REPLICATION_SLAVE_ADMIN", "stops or re-points replication");
    m.set("REPLICATION_APPLIER", "applies forged replication events");
  }
  return m;
}

export function findReadOnlyBypass(grants: AccountGrants, d: Dialect): { privilege: string; why: string }[] {
  const bad = readOnlyBypassPrivileges(d);
  const out: { privilege: string; why: string }[] = [];
  for (const s of grants.scopes) {
    if (s.scope.kind !== "global") continue;
    for (const p of s.privileges) {
      const why = bad.get(p);
      if (why) out.push({ privilege: p, why });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// SHOW GRANTS

export interface AuthMethod {
  readonly plugin: string;
  /** The stored hash or plugin string: never printed. */
  readonly authString?: Secret;
}

export interface ParsedGrants extends AccountGrants {
  /** The grantee as printed in the TO clause of the first GRANT line. */
  readonly account?: AccountName;
  /** From IDENTIFIED BY PASSWORD / IDENTIFIED VIA … USING (MariaDB, MySQL ≤ 5.6): hashes kept secret. */
  readonly auth: readonly AuthMethod[];
  /** MySQL partial_revokes restrictions (REVOKE … ON db.* lines). */
  readonly restrictions: readonly ScopeGrants[];
  /** GRANT PROXY lines, verbatim (they hold no secret). */
  readonly proxies: readonly string[];
  readonly defaultRoles: readonly RoleName[];
}

type Tok =
  | { readonly t: "word"; readonly v: string }
  | { readonly t: "ident"; readonly v: string }
  | { readonly t: "string"; readonly v: string }
  | { readonly t: "punct"; readonly v: string };

/** Replaces the content of every quoted string with *** so a line can appear in an error. */
export function maskQuotedStrings(line: string): string {
  return line.replace(/'(?:[^'\\]|\\.|'')*'?/g, "'***'").replace(/"(?:[^"\\]|\\.|"")*"?/g, '"***"');
}

function tokenize(line: string, noBackslashEscapes: boolean): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const fail = (what: string): never => {
    throw new PlanError(`cannot parse SHOW GRANTS line (${what}): ${maskQuotedStrings(line)}`);
  };
  while (i < line.length) {
    const c = line[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "`") {
      let v = "";
      i++;
      for (;;) {
        if (i >= line.length) fail("unterminated `identifier`");
        if (line[i] === "`") {
          if (line[i + 1] === "`") {
            v += "`";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        v += line[i++];
      }
      out.push({ t: "ident", v });
    } else if (c === "'" || c === '"') {
      let v = "";
      i++;
      for (;;) {
        if (i >= line.length) fail("unterminated string");
        const ch = line[i]!;
        if (ch === c) {
          if (line[i + 1] === c) {
            v += c;
            i += 2;
            continue;
          }
          i++;
          break;
        }
        if (ch === "\\" && !noBackslashEscapes && i + 1 < line.length) {
          const n = line[i + 1]!;
          v += n === "n" ? "\n" : n === "t" ? "\t" : n === "r" ? "\r" : n === "0" ? "\u0000" : n === "Z" ? "\u001a" : n;
          i += 2;
          continue;
        }
        v += ch;
        i++;
      }
      out.push({ t: "string", v });
    } else if (/[A-Za-z0-9_$]/.test(c)) {
      let v = "";
      while (i < line.length && /[A-Za-z0-9_$]/.test(line[i]!)) v += line[i++];
      out.push({ t: "word", v });
    } else {
      out.push({ t: "punct", v: c });
      i++;
    }
  }
  return out;
}

class Cursor {
  i = 0;
  constructor(
    readonly toks: readonly Tok[],
    readonly line: string,
  ) {}
  peek(k = 0): Tok | undefined {
    return this.toks[this.i + k];
  }
  next(): Tok | undefined {
    return this.toks[this.i++];
  }
  isWord(w: string, k = 0): boolean {
    const t = this.peek(k);
    return t?.t === "word" && t.v.toUpperCase() === w;
  }
  isPunct(p: string, k = 0): boolean {
    const t = this.peek(k);
    return t?.t === "punct" && t.v === p;
  }
  fail(what: string): never {
    throw new PlanError(`cannot parse SHOW GRANTS line (${what}): ${maskQuotedStrings(this.line)}`);
  }
  expectWord(w: string): void {
    if (!this.isWord(w)) this.fail(`expected ${w}`);
    this.i++;
  }
  name(): string {
    const t = this.next();
    if (!t || t.t === "punct") this.fail("expected a name");
    return t.v;
  }
}

interface RawPrivileges {
  privileges: string[];
  columns: ColumnPrivilege[];
  grantOption: boolean;
}

function parsePrivilegeList(c: Cursor): RawPrivileges {
  const out: RawPrivileges = { privileges: [], columns: [], grantOption: false };
  for (;;) {
    const words: string[] = [];
    while (c.peek()?.t === "word" && !c.isWord("ON")) words.push(c.next()!.v);
    if (words.length === 0) c.fail("expected a privilege");
    const priv = words.join(" ").toUpperCase();
    if (c.isPunct("(")) {
      c.next();
      for (;;) {
        out.columns.push({ privilege: priv, column: c.name() });
        if (c.isPunct(",")) {
          c.next();
          continue;
        }
        if (c.isPunct(")")) {
          c.next();
          break;
        }
        c.fail("expected , or ) in a column list");
      }
    } else if (priv === "GRANT OPTION") {
      out.grantOption = true;
    } else {
      out.privileges.push(priv);
    }
    if (c.isPunct(",")) {
      c.next();
      continue;
    }
    if (c.isWord("ON")) return out;
    c.fail("expected , or ON after a privilege");
  }
}

function parseScope(c: Cursor): GrantScope {
  let routineType: RoutineType | undefined;
  if (c.isWord("FUNCTION") || c.isWord("PROCEDURE")) {
    routineType = c.next()!.v.toUpperCase() as RoutineType;
  } else if (c.isWord("PACKAGE")) {
    c.next();
    if (c.isWord("BODY")) {
      c.next();
      routineType = "PACKAGE BODY";
    } else {
      routineType = "PACKAGE";
    }
  } else if (c.isWord("TABLE")) {
    c.next();
  }
  if (c.isPunct("*")) {
    c.next();
    if (c.isPunct(".")) {
      c.next();
      if (!c.isPunct("*")) c.fail("expected *.*");
      c.next();
    }
    return { kind: "global" };
  }
  const db = c.name();
  if (!c.isPunct(".")) c.fail("expected db.* or db.table");
  c.next();
  if (c.isPunct("*")) {
    c.next();
    return { kind: "database", db };
  }
  const obj = c.name();
  return routineType ? { kind: "routine", routineType, db, name: obj } : { kind: "table", db, table: obj };
}

function parseAccount(c: Cursor): AccountName {
  const user = c.name();
  if (c.isPunct("@")) {
    c.next();
    return { user, host: c.name() };
  }
  return { user, host: "%" };
}

function parseRoleList(c: Cursor, until: string): RoleName[] {
  const roles: RoleName[] = [];
  for (;;) {
    const name = c.name();
    if (c.isPunct("@")) {
      c.next();
      roles.push({ name, host: c.name() });
    } else {
      roles.push({ name });
    }
    if (c.isPunct(",")) {
      c.next();
      continue;
    }
    if (c.isWord(until)) return roles;
    c.fail(`expected , or ${until} after a role`);
  }
}

/** The tail after the grantee: WITH GRANT OPTION and IDENTIFIED … clauses; the rest is ignored. */
function parseTail(c: Cursor, auth: AuthMethod[]): { grantOption: boolean } {
  let grantOption = false;
  const authString = (): Secret | undefined => {
    if (c.peek()?.t === "string") return new Secret(c.next()!.v);
    if (c.isWord("PASSWORD") && c.isPunct("(", 1)) {
      c.next();
      c.next();
      const s = c.peek()?.t === "string" ? new Secret(c.next()!.v) : undefined;
      if (c.isPunct(")")) c.next();
      return s;
    }
    return undefined;
  };
  while (c.peek()) {
    if (c.isWord("WITH") && c.isWord("GRANT", 1) && c.isWord("OPTION", 2)) {
      grantOption = true;
      c.i += 3;
    } else if (c.isWord("IDENTIFIED") && c.isWord("BY", 1)) {
      c.i += 2;
      const hashed = c.isWord("PASSWORD") && !c.isPunct("(", 1);
      if (hashed) c.next();
      const s = authString();
      auth.push(s ? { plugin: "mysql_native_password", authString: s } : { plugin: "mysql_native_password" });
    } else if (c.isWord("IDENTIFIED") && (c.isWord("VIA", 1) || c.isWord("WITH", 1))) {
      c.i += 2;
      for (;;) {
        const plugin = c.name();
        let s: Secret | undefined;
        if (c.isWord("USING") || c.isWord("AS") || c.isWord("BY")) {
          c.next();
          s = authString();
        }
        auth.push(s ? { plugin, authString: s } : { plugin });
        if (c.isWord("OR")) {
          c.next();
          continue;
        }
        break;
      }
    } else {
      c.next();
    }
  }
  return { grantOption };
}

/**
 * The authentication of an account from its SHOW CREATE USER row (MariaDB: IDENTIFIED BY PASSWORD
 * '*…' / IDENTIFIED VIA …; MySQL: IDENTIFIED WITH 'plugin' AS '…'). Strings become Secrets.
 */
export function parseShowCreateUser(row: unknown, d: Dialect): AuthMethod[] {
  const line = rowText(row).trim();
  const c = new Cursor(tokenize(line, d.noBackslashEscapes), line);
  c.expectWord("CREATE");
  c.expectWord("USER");
  if (c.isWord("IF")) c.i += 3;
  parseAccount(c);
  const auth: AuthMethod[] = [];
  parseTail(c, auth);
  return auth;
}

/** mysql_native_password's stored form of a password: "*" + upper-case hex SHA1(SHA1(password)). */
export function nativePasswordHash(password: Secret): string {
  const inner = createHash("sha1").update(password.reveal(), "utf8").digest();
  return "*" + createHash("sha1").update(inner).digest("hex").toUpperCase();
}

/**
 * Whether the account's stored credentials are `password`: true/false for mysql_native_password
 * (MariaDB's default, MySQL 5.7's); undefined when no method can be checked offline
 * (caching_sha2_password's salted hash, ed25519, …) — then try logging in instead.
 */
export function authMatchesPassword(auth: readonly AuthMethod[], password: Secret): boolean | undefined {
  const native = auth.filter((a) => a.plugin.toLowerCase() === "mysql_native_password" && a.authString !== undefined);
  if (native.length === 0) return undefined;
  const want = password.reveal() === "" ? "" : nativePasswordHash(password);
  return native.some((a) => a.authString!.reveal().toUpperCase() === want);
}

/** The grant text of one SHOW GRANTS row: a string, or the first string value of an object/array. */
function rowText(row: unknown): string {
  if (typeof row === "string") return row;
  const values = Array.isArray(row) ? row : row !== null && typeof row === "object" ? Object.values(row) : [];
  for (const v of values) {
    if (typeof v === "string") return v;
    if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  }
  throw new PlanError("a SHOW GRANTS row holds no text; pass the rows as the driver returned them");
}

class ScopeAccumulator {
  readonly map = new Map<string, { scope: GrantScope; privs: Set<string>; columns: ColumnPrivilege[]; grantOption: boolean }>();
  add(scope: GrantScope, privs: readonly string[], columns: readonly ColumnPrivilege[], grantOption: boolean, d: Dialect): void {
    const k = scopeKey(scope);
    const cur = this.map.get(k) ?? { scope, privs: new Set<string>(), columns: [], grantOption: false };
    for (const p of privs) {
      const n = canonicalPrivilege(p, d);
      if (n === "USAGE") continue;
      if (n === "ALL PRIVILEGES") for (const a of allPrivileges(scope.kind, d)) cur.privs.add(a);
      else cur.privs.add(n);
    }
    for (const col of columns) {
      const cp = { privilege: canonicalPrivilege(col.privilege, d), column: col.column };
      if (!cur.columns.some((x) => x.privilege === cp.privilege && x.column === cp.column)) cur.columns.push(cp);
    }
    cur.grantOption ||= grantOption;
    this.map.set(k, cur);
  }
  result(): ScopeGrants[] {
    return [...this.map.values()]
      .filter((s) => s.privs.size > 0 || s.columns.length > 0 || s.grantOption)
      .map((s) => ({
        scope: s.scope,
        privileges: sortPrivileges(s.privs),
        columns: [...s.columns].sort((a, b) => (a.column === b.column ? (a.privilege < b.privilege ? -1 : 1) : a.column < b.column ? -1 : 1)),
        grantOption: s.grantOption,
      }));
  }
}

/**
 * SHOW GRANTS FOR … rows (MariaDB 10.x, MySQL 5.7/8.x) → the account's grants, normalized like
 * requiredGrants' output: privileges canonical and merged per scope, ALL PRIVILEGES expanded,
 * USAGE dropped. Password hashes and plugin strings go into `auth` as Secrets and appear nowhere
 * else, not even in error messages.
 */
export function parseShowGrants(rows: readonly unknown[], d: Dialect): ParsedGrants {
  const grants = new ScopeAccumulator();
  const restrictions = new ScopeAccumulator();
  const roles: RoleName[] = [];
  const defaultRoles: RoleName[] = [];
  const proxies: string[] = [];
  const auth: AuthMethod[] = [];
  let account: AccountName | undefined;

  for (const row of rows) {
    const line = rowText(row).trim();
    if (line === "") continue;
    const c = new Cursor(tokenize(line, d.noBackslashEscapes), line);
    if (c.isWord("GRANT")) {
      c.next();
      if (c.isWord("PROXY") && c.isWord("ON", 1)) {
        proxies.push(line);
        continue;
      }
      const first = c.peek();
      if (first && (first.t === "ident" || first.t === "string")) {
        const list = parseRoleList(c, "TO");
        c.expectWord("TO");
        account ??= parseAccount(c);
        roles.push(...list);
        continue;
      }
      const privs = parsePrivilegeList(c);
      c.expectWord("ON");
      const scope = parseScope(c);
      c.expectWord("TO");
      const who = parseAccount(c);
      account ??= who;
      const tail = parseTail(c, auth);
      grants.add(scope, privs.privileges, privs.columns, privs.grantOption || tail.grantOption, d);
    } else if (c.isWord("REVOKE")) {
      c.next();
      const privs = parsePrivilegeList(c);
      c.expectWord("ON");
      const scope = parseScope(c);
      restrictions.add(scope, privs.privileges, privs.columns, false, d);
    } else if (c.isWord("SET") && c.isWord("DEFAULT", 1) && c.isWord("ROLE", 2)) {
      c.i += 3;
      if (c.isWord("NONE")) continue;
      defaultRoles.push(...parseRoleList(c, "FOR"));
    } else {
      c.fail("expected GRANT, REVOKE or SET DEFAULT ROLE");
    }
  }
  const base = { scopes: grants.result(), roles, auth, restrictions: restrictions.result(), proxies, defaultRoles };
  return account ? { ...base, account } : base;
}

// ---------------------------------------------------------------------------------------------
// Diff

export interface GrantDiff {
  readonly grant: readonly GrantChange[];
  readonly revoke: readonly GrantChange[];
  readonly grantRoles: readonly RoleName[];
  readonly revokeRoles: readonly RoleName[];
}

function roleKey(r: RoleName): string {
  return `${r.name}\u0000${r.host ?? ""}`;
}

/**
 * What to GRANT and REVOKE so that `actual` (parsed from SHOW GRANTS) becomes exactly `wanted`
 * (from requiredGrants). Empty when they already match: the step's no-op.
 */
export function diffGrants(wanted: AccountGrants, actual: AccountGrants & { readonly restrictions?: readonly ScopeGrants[] }, d: Dialect): GrantDiff {
  const norm = (s: ScopeGrants): ScopeGrants => ({ ...s, privileges: sortPrivileges(s.privileges.map((p) => canonicalPrivilege(p, d))) });
  const w = new Map(wanted.scopes.map((s) => [scopeKey(s.scope), norm(s)]));
  const a = new Map(actual.scopes.map((s) => [scopeKey(s.scope), norm(s)]));
  const grants: GrantChange[] = [];
  const revokes: GrantChange[] = [];
  const colKey = (c: ColumnPrivilege): string => `${c.privilege}\u0000${c.column}`;

  for (const key of new Set([...a.keys(), ...w.keys()])) {
    const ws = w.get(key);
    const as = a.get(key);
    const scope = (ws ?? as)!.scope;
    const wp = new Set(ws?.privileges ?? []);
    const ap = new Set(as?.privileges ?? []);
    const wc = new Map((ws?.columns ?? []).map((c) => [colKey(c), c]));
    const ac = new Map((as?.columns ?? []).map((c) => [colKey(c), c]));
    const addP = [...wp].filter((p) => !ap.has(p));
    const delP = [...ap].filter((p) => !wp.has(p));
    const addC = [...wc].filter(([k]) => !ac.has(k)).map(([, c]) => c);
    const delC = [...ac].filter(([k]) => !wc.has(k)).map(([, c]) => c);
    const addG = (ws?.grantOption ?? false) && !(as?.grantOption ?? false);
    const delG = !(ws?.grantOption ?? false) && (as?.grantOption ?? false);
    if (delP.length > 0 || delC.length > 0 || delG) {
      revokes.push({ scope, privileges: sortPrivileges(delP), ...(delC.length > 0 ? { columns: delC } : {}), ...(delG ? { grantOption: true } : {}) });
    }
    if (addP.length > 0 || addC.length > 0 || addG) {
      grants.push({ scope, privileges: sortPrivileges(addP), ...(addC.length > 0 ? { columns: addC } : {}), ...(addG ? { grantOption: true } : {}) });
    }
  }

  // A partial revoke (MySQL partial_revokes) removes a global privilege from one database; granting
  // the privilege on that database lifts it. Restrictions on privileges not wanted globally vanish
  // with the global privilege's REVOKE above.
  const wantedGlobal = new Set(w.get("*.*")?.privileges ?? []);
  for (const r of actual.restrictions ?? []) {
    const lift = r.privileges.map((p) => canonicalPrivilege(p, d)).filter((p) => wantedGlobal.has(p));
    if (lift.length > 0) grants.push({ scope: r.scope, privileges: sortPrivileges(lift) });
  }

  const wr = new Map(wanted.roles.map((r) => [roleKey(r), r]));
  const ar = new Map(actual.roles.map((r) => [roleKey(r), r]));
  return {
    grant: grants,
    revoke: revokes,
    grantRoles: [...wr].filter(([k]) => !ar.has(k)).map(([, r]) => r),
    revokeRoles: [...ar].filter(([k]) => !wr.has(k)).map(([, r]) => r),
  };
}

export function isEmptyGrantDiff(diff: GrantDiff): boolean {
  return diff.grant.length === 0 && diff.revoke.length === 0 && diff.grantRoles.length === 0 && diff.revokeRoles.length === 0;
}

/**
 * The statements that apply `diff` to `account`: revokes first (the account never holds more than
 * the union of before and after), then grants.
 */
export function grantDiffStatements(d: Dialect, account: AccountName, diff: GrantDiff): Statement[] {
  const out: Statement[] = [];
  if (diff.revokeRoles.length > 0) out.push(revokeRoles(d, account, diff.revokeRoles));
  for (const ch of diff.revoke) out.push(revoke(d, account, ch));
  for (const ch of diff.grant) out.push(grant(d, account, ch));
  if (diff.grantRoles.length > 0) out.push(grantRoles(d, account, diff.grantRoles));
  return out;
}

/** One line per change, for plans: "+ REPLICATION SLAVE ADMIN on *.*", "- SUPER on *.*". */
export function describeGrantDiff(diff: GrantDiff): string[] {
  const lines: string[] = [];
  const fmt = (sign: string, ch: GrantChange): string => {
    const items = [...ch.privileges, ...(ch.columns ?? []).map((c) => `${c.privilege} (${c.column})`), ...(ch.grantOption ? ["GRANT OPTION"] : [])];
    return `${sign} ${items.join(", ")} on ${describeScope(ch.scope)}`;
  };
  for (const r of diff.revokeRoles) lines.push(`- role ${r.host === undefined ? r.name : `${r.name}@${r.host}`}`);
  for (const ch of diff.revoke) lines.push(fmt("-", ch));
  for (const ch of diff.grant) lines.push(fmt("+", ch));
  for (const r of diff.grantRoles) lines.push(`+ role ${r.host === undefined ? r.name : `${r.name}@${r.host}`}`);
  return lines;
}
