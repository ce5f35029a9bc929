import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import {
  estimateOffset,
  parseIncludeDirs,
  parseMysqldVersion,
  parseProbe,
} from "../../src/facts/parse.js";

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/facts/${name}`, import.meta.url), "utf8");

describe("facts", () => {
  it("parses a Debian 12 host with MariaDB 10.11 from the probe's output", () => {
    const f = parseProbe("db1", fixture("debian12-mariadb.txt"), { offsetMs: 1, uncertaintyMs: 2 });
    expect(f.os).toEqual({ id: "debian", version: "12", name: "Debian GNU/Linux 12 (bookworm)", family: "debian" });
    expect(f.init).toBe("sysv");
    expect(f.root).toBe(true);
    expect(f.packageManager).toBe("apt");
    expect(f.mysql).toMatchObject({
      binary: "/usr/sbin/mariadbd",
      socket: "/run/mysqld/mysqld.sock",
      flavor: "mariadb",
      version: "10.11.19",
      includeDirs: ["/etc/mysql/conf.d", "/etc/mysql/mariadb.conf.d"],
    });
    const eth0 = f.interfaces.find((i) => i.name === "eth0");
    expect(eth0?.up).toBe(true);
    expect(eth0?.addresses[0]).toEqual({ family: "inet", address: "192.0.2.2", prefix: 24 });
    expect(f.node).toBe("v20.20.2");
  });

  it("reports a host without a server as mysql: null", () => {
    const text = fixture("debian12-mariadb.txt").replace(/@@mysqld\n[^@]*/, "@@mysqld\n");
    expect(parseProbe("monitor", text, { offsetMs: 0, uncertaintyMs: 0 }).mysql).toBeNull();
  });

  it.each([
    ["/usr/sbin/mariadbd  Ver 10.11.6-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64 (Debian 12)", "mariadb", "10.11.6"],
    ["/usr/sbin/mysqld  Ver 8.0.36 for Linux on x86_64 (MySQL Community Server - GPL)", "mysql", "8.0.36"],
    ["/usr/sbin/mysqld  Ver 8.0.35-27 for Linux on x86_64 (Percona Server (GPL), Release 27, Revision 2f8eeab2)", "percona", "8.0.35-27"],
    ["/usr/libexec/mysqld  Ver 5.7.44-log for Linux on x86_64 (MySQL Community Server (GPL))", "mysql", "5.7.44"],
  ])("reads flavor and version from %s", (line, flavor, version) => {
    expect(parseMysqldVersion(line)).toEqual({ flavor, version });
  });

  it("follows !include to the include dirs the server reads, in order, existing ones only", () => {
    const mycnf = ["## /etc/my.cnf", "!include /etc/my.cnf.extra", "!includedir /etc/my.cnf.d", "## /etc/my.cnf.extra", "!includedir /etc/mysql/conf.d/"].join("\n");
    expect(parseIncludeDirs(mycnf, ["/etc/my.cnf.d", "/etc/mysql/conf.d"])).toEqual(["/etc/mysql/conf.d", "/etc/my.cnf.d"]);
    expect(parseIncludeDirs(mycnf, ["/etc/my.cnf.d"])).toEqual(["/etc/my.cnf.d"]);
  });

  it("estimates the clock offset from the fastest round trip", () => {
    const c = estimateOffset([
      { sentMs: 0, receivedMs: 100, remoteMs: 1000 },
      { sentMs: 200, receivedMs: 210, remoteMs: 705 },
    ]);
    expect(c).toEqual({ offsetMs: 500, uncertaintyMs: 5 });
  });
});
