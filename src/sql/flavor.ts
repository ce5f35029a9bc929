/**
 * Which server we talk to: flavor and version, from `SELECT VERSION(), @@version_comment` or from
 * a `mariadbd --version` / `mysqld --version` line. Everything flavor- or version-dependent in
 * src/sql keys off the `ServerVersion` this module returns. Pure.
 */

export type Flavor = "mariadb" | "mysql" | "percona";

export interface ServerVersion {
  readonly flavor: Flavor;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** The version string as the server printed it, e.g. "10.11.6-MariaDB-0+deb12u1-log". */
  readonly raw: string;
}

/** "mariadb" for MariaDB; "mysql" for MySQL and Percona Server, which follow MySQL's syntax by version. */
export type Family = "mariadb" | "mysql";

export function familyOf(v: Pick<ServerVersion, "flavor">): Family {
  return v.flavor === "mariadb" ? "mariadb" : "mysql";
}

/** A version to compare against: "8.0.22", "10.5", or [8, 0, 22]. */
export type VersionLike = string | readonly [number, number?, number?] | Pick<ServerVersion, "major" | "minor" | "patch">;

function triple(v: VersionLike): [number, number, number] {
  if (typeof v === "string") {
    const m = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(v.trim());
    if (!m) throw new TypeError(`not a version: ${JSON.stringify(v)} (expected e.g. "8.0.22")`);
    return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
  }
  if (Array.isArray(v)) return [v[0] ?? 0, v[1] ?? 0, v[2] ?? 0];
  const o = v as Pick<ServerVersion, "major" | "minor" | "patch">;
  return [o.major, o.minor, o.patch];
}

/** -1, 0 or 1 as `a` is older than, equal to or newer than `b` (major.minor.patch only). */
export function compareVersions(a: VersionLike, b: VersionLike): -1 | 0 | 1 {
  const x = triple(a);
  const y = triple(b);
  for (let i = 0; i < 3; i++) {
    if (x[i]! < y[i]!) return -1;
    if (x[i]! > y[i]!) return 1;
  }
  return 0;
}

export function isAtLeast(v: VersionLike, min: VersionLike): boolean {
  return compareVersions(v, min) >= 0;
}

/** "MariaDB 10.11.6", "MySQL 8.0.36", "Percona Server 8.0.35" — for messages. */
export function describeVersion(v: ServerVersion): string {
  const name = v.flavor === "mariadb" ? "MariaDB" : v.flavor === "percona" ? "Percona Server" : "MySQL";
  return `${name} ${v.major}.${v.minor}.${v.patch}`;
}

export class VersionParseError extends Error {
  constructor(
    readonly input: string,
    message: string,
  ) {
    super(message);
    this.name = "VersionParseError";
  }
}

/**
 * Parses `SELECT VERSION()` (and, when available, `@@version_comment`, which is the only reliable
 * Percona marker).
 *
 * - "10.11.6-MariaDB-0+deb12u1", "10.11.6-MariaDB-log" → mariadb
 * - "5.5.5-10.11.6-MariaDB" → mariadb 10.11.6: MariaDB < 11 sends this fake prefix in the protocol
 *   handshake so that old MySQL clients accept a major version of 10; some drivers surface it.
 * - "8.0.35-27" with comment "Percona Server (GPL), Release 27, …" → percona. Without a comment a
 *   bare numeric release suffix ("-27", "-27.1") is taken as Percona's scheme: MySQL community
 *   builds print no suffix or "-log"/"-debug"/"-0ubuntu0.22.04.1", never a bare number.
 * - anything else with a x.y.z version → mysql
 */
export function parseServerVersion(versionString: string, versionComment?: string): ServerVersion {
  const raw = versionString.trim();
  let s = raw;
  const fake = /^5\.5\.5-(\d+\.\d+\.\d+.*MariaDB.*)$/i.exec(s);
  if (fake) s = fake[1]!;
  const m = /^(\d+)\.(\d+)\.(\d+)(.*)$/.exec(s);
  if (!m) {
    throw new VersionParseError(
      versionString,
      `cannot read a server version from ${JSON.stringify(versionString)}: expected "major.minor.patch…" as SELECT VERSION() returns it`,
    );
  }
  const suffix = m[4] ?? "";
  const comment = versionComment ?? "";
  let flavor: Flavor;
  if (/mariadb/i.test(suffix) || /mariadb/i.test(comment)) flavor = "mariadb";
  else if (/percona/i.test(comment) || /percona/i.test(suffix)) flavor = "percona";
  else if (versionComment === undefined && /^-\d+(\.\d+)?(-|$)/.test(suffix)) flavor = "percona";
  else flavor = "mysql";
  return { flavor, major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), raw };
}

/**
 * Parses the first line of `mariadbd --version`, `mysqld --version` (or `mariadb --version`, whose
 * server version follows "Distrib"):
 *
 *   mariadbd  Ver 10.11.6-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64 (Debian 12)
 *   /usr/sbin/mysqld  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)
 *   /usr/sbin/mysqld  Ver 8.0.35-27 for Linux on x86_64 (Percona Server (GPL), Release 27, Revision 2f8eeab2)
 *
 * The trailing parenthesis is the build's version comment.
 */
export function parseVersionLine(line: string): ServerVersion {
  const text = line.trim();
  const distrib = /\bDistrib\s+(\S+?),?(?:\s|$)/.exec(text);
  const ver = distrib ?? /\bVer\s+(\S+)/.exec(text);
  if (!ver) {
    throw new VersionParseError(
      line,
      `cannot read a server version from ${JSON.stringify(line)}: expected a "mysqld --version" line such as "mysqld  Ver 8.0.36 for Linux on x86_64 (…)"`,
    );
  }
  const open = text.indexOf("(", ver.index + ver[0].length);
  const comment = open >= 0 && text.endsWith(")") ? text.slice(open + 1, -1) : undefined;
  // The comment of a MariaDB build names the distribution ("Debian 12"), not the flavor, so the
  // version string decides unless the comment itself says Percona or MariaDB.
  const v = parseServerVersion(ver[1]!, comment);
  if (v.flavor === "mysql" && /mariadb/i.test(text)) return { ...v, flavor: "mariadb" };
  return v;
}
