import { describe, expect, it } from "vitest";
import {
  compareVersions,
  describeVersion,
  isAtLeast,
  parseServerVersion,
  parseVersionLine,
  VersionParseError,
} from "../../src/sql/flavor.js";

describe("parseServerVersion", () => {
  it.each([
    ["10.11.6-MariaDB-0+deb12u1", undefined, "mariadb", [10, 11, 6]],
    ["10.11.19-MariaDB-0+deb12u1-log", "Debian 12", "mariadb", [10, 11, 19]],
    ["5.5.5-10.11.6-MariaDB", undefined, "mariadb", [10, 11, 6]],
    ["5.5.5-10.5.9-MariaDB-log", undefined, "mariadb", [10, 5, 9]],
    ["11.4.2-MariaDB", "mariadb.org binary distribution", "mariadb", [11, 4, 2]],
    ["8.0.36", "MySQL Community Server - GPL", "mysql", [8, 0, 36]],
    ["8.4.0", undefined, "mysql", [8, 4, 0]],
    ["5.7.44-log", "MySQL Community Server (GPL)", "mysql", [5, 7, 44]],
    ["8.0.36-0ubuntu0.22.04.1", "(Ubuntu)", "mysql", [8, 0, 36]],
    ["8.0.35-27", "Percona Server (GPL), Release 27, Revision 2f8eeab2", "percona", [8, 0, 35]],
    ["8.0.35-27", undefined, "percona", [8, 0, 35]],
    ["5.7.44-48-log", undefined, "percona", [5, 7, 44]],
    ["5.5.5", undefined, "mysql", [5, 5, 5]],
  ] as const)("reads %s (comment %s) as %s %j", (version, comment, flavor, [major, minor, patch]) => {
    const v = parseServerVersion(version, comment);
    expect(v).toEqual({ flavor, major, minor, patch, raw: version });
  });

  it("takes a comment that names MySQL over a numeric suffix", () => {
    expect(parseServerVersion("8.0.35-27", "MySQL Community Server - GPL").flavor).toBe("mysql");
  });

  it("refuses text without a version and says what it expected", () => {
    expect(() => parseServerVersion("MariaDB")).toThrow(VersionParseError);
    expect(() => parseServerVersion("")).toThrow(/expected "major.minor.patch/);
  });
});

describe("parseVersionLine", () => {
  it.each([
    ["mariadbd  Ver 10.11.6-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64 (Debian 12)", "mariadb", "10.11.6"],
    ["/usr/sbin/mariadbd  Ver 11.4.2-MariaDB-ubu2404 for debian-linux-gnu on x86_64 (mariadb.org binary distribution)", "mariadb", "11.4.2"],
    ["mysqld  Ver 10.3.39-MariaDB-0+deb10u1 for debian-linux-gnu on x86_64 (Debian 10)", "mariadb", "10.3.39"],
    ["/usr/sbin/mysqld  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)", "mysql", "8.0.36"],
    ["/usr/sbin/mysqld  Ver 8.4.0 for Linux on x86_64 (MySQL Community Server - GPL)", "mysql", "8.4.0"],
    ["mysqld  Ver 5.7.44 for Linux on x86_64 (MySQL Community Server (GPL))", "mysql", "5.7.44"],
    ["/usr/sbin/mysqld  Ver 8.0.36-0ubuntu0.22.04.1 for Linux on x86_64 ((Ubuntu))", "mysql", "8.0.36"],
    ["/usr/sbin/mysqld  Ver 8.0.35-27 for Linux on x86_64 (Percona Server (GPL), Release 27, Revision 2f8eeab2)", "percona", "8.0.35"],
    ["mariadb  Ver 15.1 Distrib 10.11.6-MariaDB, for debian-linux-gnu (x86_64) using  EditLine wrapper", "mariadb", "10.11.6"],
  ])("reads %s", (line, flavor, version) => {
    const v = parseVersionLine(line);
    expect(v.flavor).toBe(flavor);
    expect(`${v.major}.${v.minor}.${v.patch}`).toBe(version);
  });

  it("refuses a line without Ver and quotes it", () => {
    expect(() => parseVersionLine("bash: mysqld: command not found")).toThrow(/command not found/);
  });
});

describe("version comparison", () => {
  const v = parseServerVersion("8.0.22");
  it("orders by major, minor, patch numerically", () => {
    expect(compareVersions("10.5.10", "10.5.9")).toBe(1);
    expect(compareVersions("10.11", "10.5.9")).toBe(1);
    expect(compareVersions([8, 0, 21], "8.0.22")).toBe(-1);
    expect(compareVersions(v, "8.0.22")).toBe(0);
  });
  it("isAtLeast is inclusive", () => {
    expect(isAtLeast(v, "8.0.22")).toBe(true);
    expect(isAtLeast(v, "8.0.23")).toBe(false);
    expect(isAtLeast("8.0", "8.0.0")).toBe(true);
  });
  it("refuses a malformed bound", () => {
    expect(() => compareVersions("8.x", "8.0")).toThrow(/not a version/);
  });
  it("describes versions by product name", () => {
    expect(describeVersion(parseServerVersion("10.11.6-MariaDB"))).toBe("MariaDB 10.11.6");
    expect(describeVersion(parseServerVersion("8.0.35-27"))).toBe("Percona Server 8.0.35");
  });
});
