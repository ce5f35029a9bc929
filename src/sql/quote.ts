import { ConfigError } from "../errors.js";

/**
 * The ONE audited place where values become SQL text. Everything else in src/sql builds statements
 * from these functions, from fixed keywords, or from `?` parameters.
 *
 * Choices, and why:
 *
 * - Identifiers and account names are quoted with backticks, doubling any backtick inside. Inside
 *   backticks a backslash is an ordinary character whatever sql_mode says (NO_BACKSLASH_ESCAPES and
 *   ANSI_QUOTES change string literals, not backtick identifiers), and MySQL and MariaDB accept
 *   account names as `user`@`host` (CREATE USER docs: "quote user names and host names as
 *   identifiers or as strings"). So account names need no sql_mode knowledge at all. `%` and `_` in
 *   a host are the server's wildcards by design ('repl'@'10.0.0.%'); in a user name they are
 *   ordinary characters; neither is escaped.
 *
 * - String literals are needed where the grammar takes no `?` placeholder: IDENTIFIED BY '…' in
 *   CREATE USER / ALTER USER and MASTER_PASSWORD='…' in CHANGE MASTER (both parse a literal, not an
 *   expression: `PREPARE s FROM "CREATE USER u IDENTIFIED BY ?"` is a syntax error; checked on
 *   MariaDB 10.11). A literal is written '…' with every `'` doubled (valid in every sql_mode) and,
 *   only when the session does NOT have NO_BACKSLASH_ESCAPES, every `\` doubled: with the mode on, a
 *   doubled backslash would store two backslashes, and with it off, a single one would start an
 *   escape. Nothing else is escaped: newlines, tabs, `%`, `_` and any Unicode are literal inside
 *   '…'. The connection character set must be utf8mb4 (mysql2's default) so that no multibyte
 *   sequence can end in a 0x5C byte; U+0000 is refused because C-level authentication code may stop
 *   at it.
 *
 * - Database names in GRANT … ON `db`.* are LIKE patterns: `_` and `%` are wildcards, so "my_app"
 *   would also cover "myXapp". `grantDatabasePattern` escapes them with a backslash (inside the
 *   backticks the backslash reaches the grant matcher unchanged), except under MySQL's
 *   partial_revokes=ON, where the server treats them literally and a backslash would be literal too.
 */

export interface AccountName {
  readonly user: string;
  readonly host: string;
}

export interface LiteralOptions {
  readonly noBackslashEscapes: boolean;
}

function rejectNul(value: string, what: string): void {
  if (value.includes("\u0000")) {
    throw new ConfigError(`${what} contains a NUL character (U+0000), which MySQL and MariaDB cannot store safely; remove it`);
  }
}

/**
 * Names live in utf8mb3 columns (mysql.user, the data dictionary): characters beyond U+FFFF, such as
 * emoji, fail with "Invalid utf8mb3 character string" (checked on MariaDB 10.11).
 */
function rejectOutsideBmp(value: string, what: string): void {
  if (/[\u{10000}-\u{10FFFF}]/u.test(value)) {
    throw new ConfigError(`${what} contains a character beyond U+FFFF (e.g. an emoji), which MySQL/MariaDB names cannot hold; use other characters`);
  }
}

/** `name` as a backtick-quoted identifier. Refuses what no MySQL/MariaDB identifier may hold. */
export function quoteIdentifier(name: string, what = "identifier"): string {
  if (name.length === 0) throw new ConfigError(`${what} is empty; give it a name`);
  rejectNul(name, `${what} ${JSON.stringify(name)}`);
  rejectOutsideBmp(name, `${what} ${JSON.stringify(name)}`);
  if ([...name].length > 64) {
    throw new ConfigError(`${what} ${JSON.stringify(name)} is longer than 64 characters, the MySQL/MariaDB limit; shorten it`);
  }
  if (/\s$/.test(name)) {
    throw new ConfigError(`${what} ${JSON.stringify(name)} ends with whitespace, which MySQL/MariaDB do not allow in names; remove it`);
  }
  return "`" + name.replace(/`/g, "``") + "`";
}

/** `'user'@'host'` written as `user`@`host` (see the module comment for why backticks). */
export function quoteAccount(account: AccountName): string {
  const { user, host } = account;
  if (user.length === 0) {
    throw new ConfigError("account user name is empty: mmm never manages anonymous accounts; set a user name");
  }
  if (host.length === 0) {
    throw new ConfigError(`account ${JSON.stringify(user)} has an empty host; use '%' for any host or a pattern such as '10.0.0.%'`);
  }
  rejectNul(user, `account user name ${JSON.stringify(user)}`);
  rejectNul(host, `account host ${JSON.stringify(host)}`);
  rejectOutsideBmp(user, `account user name ${JSON.stringify(user)}`);
  rejectOutsideBmp(host, `account host ${JSON.stringify(host)}`);
  if ([...host].length > 255) {
    throw new ConfigError(`account host ${JSON.stringify(host)} is longer than 255 characters; shorten it`);
  }
  return "`" + user.replace(/`/g, "``") + "`@`" + host.replace(/`/g, "``") + "`";
}

/** `value` as a single-quoted string literal for a session with the given sql_mode. */
export function quoteString(value: string, opts: LiteralOptions, what = "string"): string {
  rejectNul(value, what);
  let body = value.replace(/'/g, "''");
  if (!opts.noBackslashEscapes) body = body.replace(/\\/g, "\\\\");
  return "'" + body + "'";
}

/**
 * The database-name part of GRANT … ON `…`.* matching exactly `name`: `\`, `_` and `%` escaped with
 * a backslash, unless partial_revokes makes the server read them literally. Returns the pattern
 * unquoted (SHOW GRANTS prints it this way: `my\_app`.*); pass it to quoteIdentifier.
 */
export function grantDatabasePattern(name: string, opts: { readonly partialRevokes: boolean }): string {
  if (opts.partialRevokes) return name;
  return name.replace(/[\\_%]/g, (c) => "\\" + c);
}

/** Inverse of grantDatabasePattern for patterns without unescaped wildcards; undefined when it has some. */
export function databaseFromGrantPattern(pattern: string, opts: { readonly partialRevokes: boolean }): string | undefined {
  if (opts.partialRevokes) return pattern;
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "\\" && i + 1 < pattern.length) {
      out += pattern[++i]!;
    } else if (c === "_" || c === "%") {
      return undefined;
    } else {
      out += c;
    }
  }
  return out;
}

/** A non-negative safe integer as SQL text (connection ids, ports, positions, seconds). */
export function sqlInteger(n: number, what = "number"): string {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new ConfigError(`${what} must be a whole number ≥ 0, got ${String(n)}`);
  }
  return String(n);
}

/** A non-negative decimal with at most 6 fraction digits (timeouts in seconds). */
export function sqlDecimal(n: number, what = "number"): string {
  if (!Number.isFinite(n) || n < 0) throw new ConfigError(`${what} must be a number ≥ 0, got ${String(n)}`);
  const s = n.toFixed(6).replace(/\.?0+$/, "");
  return s === "" ? "0" : s;
}
