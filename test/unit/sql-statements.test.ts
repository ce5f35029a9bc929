import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError, PlanError } from "../../src/errors.js";
import { Secret } from "../../src/secret.js";
import { resolveDialect } from "../../src/sql/dialect.js";
import { parseServerVersion } from "../../src/sql/flavor.js";
import { GtidParseError } from "../../src/sql/gtid.js";
import * as S from "../../src/sql/statements.js";

const dialect = (version: string, session = {}) => resolveDialect(parseServerVersion(version), session);

const VERSIONS = {
  "mariadb 10.5.1": "10.5.1-MariaDB",
  "mariadb 10.5.9": "10.5.9-MariaDB",
  "mariadb 10.6": "10.6.18-MariaDB",
  "mariadb 10.11": "10.11.6-MariaDB-0+deb12u1",
  "mariadb 11.4": "11.4.2-MariaDB",
  "mysql 5.7": "5.7.44-log",
  "mysql 8.0.21": "8.0.21",
  "mysql 8.0.23": "8.0.23",
  "mysql 8.0.26": "8.0.26",
  "mysql 8.2": "8.2.0",
  "mysql 8.4": "8.4.0",
} as const;

type Builder = (d: ReturnType<typeof dialect>) => string | string[];
const pw = new Secret("s3cr'et");
const BUILDERS: Record<string, Builder> = {
  "changeSource gtid": (d) =>
    S.changeSource(d, { host: "10.0.0.2", port: 3306, user: "repl", password: pw, position: { kind: "gtid" }, connectRetry: 10 }).display,
  "changeSource file": (d) =>
    S.changeSource(d, { host: "10.0.0.2", port: 3306, user: "repl", password: pw, position: { kind: "file", file: "mysql-bin.000006", pos: 1180 } })
      .display,
  startReplica: (d) => S.startReplica(d).display,
  "stopReplica io": (d) => S.stopReplica(d, "io").display,
  resetReplicaAll: (d) => S.resetReplicaAll(d).display,
  showReplicaStatus: (d) => S.showReplicaStatus(d).display,
  showPrimaryStatus: (d) => S.showPrimaryStatus(d).display,
  "setReadOnly on": (d) => S.setReadOnly(d, true).map(String),
  "setReadOnly off": (d) => S.setReadOnly(d, false).map(String),
  waitForGtid: (d) => S.waitForGtid(d, d.family === "mariadb" ? "0-1-100" : "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-100", 1.5).display,
  waitForPosition: (d) => S.waitForPosition(d, "mysql-bin.000006", 1180, 1.5).display,
  "semi-sync": (d) => [...S.installSemiSyncPlugins(d, ["source", "replica"]), ...S.setSemiSync(d, { source: true, replica: true, timeoutMs: 1000 })].map(String),
};

/** flavor × version × builder → the SQL shown (passwords as '***'). */
const TABLE: Record<keyof typeof VERSIONS, Record<keyof typeof BUILDERS, string | string[]>> = {
  "mariadb 10.5.1": {
    "changeSource gtid": "CHANGE MASTER TO MASTER_HOST = '10.0.0.2', MASTER_PORT = 3306, MASTER_USER = 'repl', MASTER_PASSWORD = '***', MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 10",
    "changeSource file": "CHANGE MASTER TO MASTER_HOST = '10.0.0.2', MASTER_PORT = 3306, MASTER_USER = 'repl', MASTER_PASSWORD = '***', MASTER_LOG_FILE = 'mysql-bin.000006', MASTER_LOG_POS = 1180, MASTER_USE_GTID = no",
    "startReplica": "START REPLICA",
    "stopReplica io": "STOP REPLICA IO_THREAD",
    "resetReplicaAll": "RESET REPLICA ALL",
    "showReplicaStatus": "SHOW REPLICA STATUS",
    "showPrimaryStatus": "SHOW MASTER STATUS",
    "setReadOnly on": ["SET GLOBAL read_only = ON"],
    "setReadOnly off": ["SET GLOBAL read_only = OFF"],
    "waitForGtid": "SELECT MASTER_GTID_WAIT('0-1-100', 1.5) AS result",
    "waitForPosition": "SELECT MASTER_POS_WAIT('mysql-bin.000006', 1180, 1.5) AS result",
    "semi-sync": ["SET GLOBAL rpl_semi_sync_master_timeout = 1000","SET GLOBAL rpl_semi_sync_master_enabled = ON","SET GLOBAL rpl_semi_sync_slave_enabled = ON"],
  },
  "mariadb 10.5.9": {
    "changeSource gtid": "CHANGE MASTER TO MASTER_HOST = '10.0.0.2', MASTER_PORT = 3306, MASTER_USER = 'repl', MASTER_PASSWORD = '***', MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 10",
    "changeSource file": "CHANGE MASTER TO MASTER_HOST = '10.0.0.2', MASTER_PORT = 3306, MASTER_USER = 'repl', MASTER_PASSWORD = '***', MASTER_LOG_FILE = 'mysql-bin.000006', MASTER_LOG_POS = 1180, MASTER_USE_GTID = no",
    "startReplica": "START REPLICA",
    "stopReplica io": "STOP REPLICA IO_THREAD",
    "resetReplicaAll": "RESET REPLICA ALL",
    "showReplicaStatus": "SHOW REPLICA STATUS",
    "showPrimaryStatus": "SHOW BINLOG STATUS",
    "setReadOnly on": ["SET GLOBAL read_only = ON"],
    "setReadOnly off": ["SET GLOBAL read_only = OFF"],
    "waitForGtid": "SELECT MASTER_GTID_WAIT('0-1-100', 1.5) AS result",
    "waitForPosition": "SELECT MASTER_POS_WAIT('mysql-bin.000006', 1180, 1.5) AS result",
    "semi-sync": ["SET GLOBAL rpl_semi_sync_master_timeout = 1000","SET GLOBAL rpl_semi_sync_master_enabled = ON","SET GLOBAL rpl_semi_sync_slave_enabled = ON"],
  },
  "mariadb 10.6": {
    "changeSource gtid": "CHANGE MASTER TO MASTER_HOST = '10.0.0.2', MASTER_PORT = 3306, MASTER_USER = 'repl', MASTER_PASSWORD = '***', MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 10",
    "changeSource file": "CHANGE MASTER TO MASTER_HOST = '10.0.0.2', MASTER_PORT = 3306, MASTER_USER = 'repl', MASTER_PASSWORD = '***', MASTER_LOG_FILE = 'mysql-bin.000006', MASTER_LOG_POS = 1180, MASTER_USE_GTID = no",
    "startReplica": "START REPLICA",
    "stopReplica io": "STOP REPLICA IO_THREAD",
    "resetReplicaAll": "RESET REPLICA ALL",
    "showReplicaStatus": "SHOW REPLICA STATUS",
    "showPrimaryStatus": "SHOW BINLOG STATUS",
    "setReadOnly on": ["SET GLOBAL read_only = ON"],
    "setReadOnly off": ["SET GLOBAL read_only = OFF"],
    "waitForGtid": "SELECT MASTER_GTID_WAIT('0-1-100', 1.5) AS result",
    "waitForPosition": "SELECT MASTER_POS_WAIT('mysql-bin.000006', 1180, 1.5) AS result",
    "semi-sync": ["SET GLOBAL rpl_semi_sync_master_timeout = 1000","SET GLOBAL rpl_semi_sync_master_enabled = ON","SET GLOBAL rpl_semi_sync_slave_enabled = ON"],
  },
  "mariadb 10.11": {
    "changeSource gtid": "CHANGE MASTER TO MASTER_HOST = '10.0.0.2', MASTER_PORT = 3306, MASTER_USER = 'repl', MASTER_PASSWORD = '***', MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 10",
    "changeSource file": "CHANGE MASTER TO MASTER_HOST = '10.0.0.2', MASTER_PORT = 3306, MASTER_USER = 'repl', MASTER_PASSWORD = '***', MASTER_LOG_FILE = 'mysql-bin.000006', MASTER_LOG_POS = 1180, MASTER_USE_GTID = no",
    "startReplica": "START REPLICA",
    "stopReplica io": "STOP REPLICA IO_THREAD",
    "resetReplicaAll": "RESET REPLICA ALL",
    "showReplicaStatus": "SHOW REPLICA STATUS",
    "showPrimaryStatus": "SHOW BINLOG STATUS",
    "setReadOnly on": ["SET GLOBAL read_only = ON"],
    "setReadOnly off": ["SET GLOBAL read_only = OFF"],
    "waitForGtid": "SELECT MASTER_GTID_WAIT('0-1-100', 1.5) AS result",
    "waitForPosition": "SELECT MASTER_POS_WAIT('mysql-bin.000006', 1180, 1.5) AS result",
    "semi-sync": ["SET GLOBAL rpl_semi_sync_master_timeout = 1000","SET GLOBAL rpl_semi_sync_master_enabled = ON","SET GLOBAL rpl_semi_sync_slave_enabled = ON"],
  },
  "mariadb 11.4": {
    "changeSource gtid": "CHANGE MASTER TO MASTER_HOST = '10.0.0.2', MASTER_PORT = 3306, MASTER_USER = 'repl', MASTER_PASSWORD = '***', MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 10",
    "changeSource file": "CHANGE MASTER TO MASTER_HOST = '10.0.0.2', MASTER_PORT = 3306, MASTER_USER = 'repl', MASTER_PASSWORD = '***', MASTER_LOG_FILE = 'mysql-bin.000006', MASTER_LOG_POS = 1180, MASTER_USE_GTID = no",
    "startReplica": "START REPLICA",
    "stopReplica io": "STOP REPLICA IO_THREAD",
    "resetReplicaAll": "RESET REPLICA ALL",
    "showReplicaStatus": "SHOW REPLICA STATUS",
    "showPrimaryStatus": "SHOW BINLOG STATUS",
    "setReadOnly on": ["SET GLOBAL read_only = ON"],
    "setReadOnly off": ["SET GLOBAL read_only = OFF"],
    "waitForGtid": "SELECT MASTER_GTID_WAIT('0-1-100', 1.5) AS result",
    "waitForPosition": "SELECT MASTER_POS_WAIT('mysql-bin.000006', 1180, 1.5) AS result",
    "semi-sync": ["SET GLOBAL rpl_semi_sync_master_timeout = 1000","SET GLOBAL rpl_semi_sync_master_enabled = ON","SET GLOBAL rpl_semi_sync_slave_enabled = ON"],
  },
  "mysql 5.7": {
    "changeSource gtid": "CHANGE MASTER TO MASTER_HOST = '10.0.0.2', MASTER_PORT = 3306, MASTER_USER = 'repl', MASTER_PASSWORD = '***', MASTER_AUTO_POSITION = 1, MASTER_CONNECT_RETRY = 10",
    "changeSource file": "CHANGE MASTER TO MASTER_HOST = '10.0.0.2', MASTER_PORT = 3306, MASTER_USER = 'repl', MASTER_PASSWORD = '***', MASTER_LOG_FILE = 'mysql-bin.000006', MASTER_LOG_POS = 1180, MASTER_AUTO_POSITION = 0",
    "startReplica": "START SLAVE",
    "stopReplica io": "STOP SLAVE IO_THREAD",
    "resetReplicaAll": "RESET SLAVE ALL",
    "showReplicaStatus": "SHOW SLAVE STATUS",
    "showPrimaryStatus": "SHOW MASTER STATUS",
    "setReadOnly on": ["SET GLOBAL read_only = ON","SET GLOBAL super_read_only = ON"],
    "setReadOnly off": ["SET GLOBAL super_read_only = OFF","SET GLOBAL read_only = OFF"],
    "waitForGtid": "SELECT WAIT_FOR_EXECUTED_GTID_SET('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100', 2) AS result",
    "waitForPosition": "SELECT MASTER_POS_WAIT('mysql-bin.000006', 1180, 2) AS result",
    "semi-sync": ["INSTALL PLUGIN rpl_semi_sync_master SONAME 'semisync_master.so'","INSTALL PLUGIN rpl_semi_sync_slave SONAME 'semisync_slave.so'","SET GLOBAL rpl_semi_sync_master_timeout = 1000","SET GLOBAL rpl_semi_sync_master_enabled = ON","SET GLOBAL rpl_semi_sync_slave_enabled = ON"],
  },
  "mysql 8.0.21": {
    "changeSource gtid": "CHANGE MASTER TO MASTER_HOST = '10.0.0.2', MASTER_PORT = 3306, MASTER_USER = 'repl', MASTER_PASSWORD = '***', MASTER_AUTO_POSITION = 1, MASTER_CONNECT_RETRY = 10, GET_MASTER_PUBLIC_KEY = 1",
    "changeSource file": "CHANGE MASTER TO MASTER_HOST = '10.0.0.2', MASTER_PORT = 3306, MASTER_USER = 'repl', MASTER_PASSWORD = '***', MASTER_LOG_FILE = 'mysql-bin.000006', MASTER_LOG_POS = 1180, MASTER_AUTO_POSITION = 0, GET_MASTER_PUBLIC_KEY = 1",
    "startReplica": "START SLAVE",
    "stopReplica io": "STOP SLAVE IO_THREAD",
    "resetReplicaAll": "RESET SLAVE ALL",
    "showReplicaStatus": "SHOW SLAVE STATUS",
    "showPrimaryStatus": "SHOW MASTER STATUS",
    "setReadOnly on": ["SET GLOBAL read_only = ON","SET GLOBAL super_read_only = ON"],
    "setReadOnly off": ["SET GLOBAL super_read_only = OFF","SET GLOBAL read_only = OFF"],
    "waitForGtid": "SELECT WAIT_FOR_EXECUTED_GTID_SET('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100', 1.5) AS result",
    "waitForPosition": "SELECT MASTER_POS_WAIT('mysql-bin.000006', 1180, 1.5) AS result",
    "semi-sync": ["INSTALL PLUGIN rpl_semi_sync_master SONAME 'semisync_master.so'","INSTALL PLUGIN rpl_semi_sync_slave SONAME 'semisync_slave.so'","SET GLOBAL rpl_semi_sync_master_timeout = 1000","SET GLOBAL rpl_semi_sync_master_enabled = ON","SET GLOBAL rpl_semi_sync_slave_enabled = ON"],
  },
  "mysql 8.0.23": {
    "changeSource gtid": "CHANGE REPLICATION SOURCE TO SOURCE_HOST = '10.0.0.2', SOURCE_PORT = 3306, SOURCE_USER = 'repl', SOURCE_PASSWORD = '***', SOURCE_AUTO_POSITION = 1, SOURCE_CONNECT_RETRY = 10, GET_SOURCE_PUBLIC_KEY = 1",
    "changeSource file": "CHANGE REPLICATION SOURCE TO SOURCE_HOST = '10.0.0.2', SOURCE_PORT = 3306, SOURCE_USER = 'repl', SOURCE_PASSWORD = '***', SOURCE_LOG_FILE = 'mysql-bin.000006', SOURCE_LOG_POS = 1180, SOURCE_AUTO_POSITION = 0, GET_SOURCE_PUBLIC_KEY = 1",
    "startReplica": "START REPLICA",
    "stopReplica io": "STOP REPLICA IO_THREAD",
    "resetReplicaAll": "RESET REPLICA ALL",
    "showReplicaStatus": "SHOW REPLICA STATUS",
    "showPrimaryStatus": "SHOW MASTER STATUS",
    "setReadOnly on": ["SET GLOBAL read_only = ON","SET GLOBAL super_read_only = ON"],
    "setReadOnly off": ["SET GLOBAL super_read_only = OFF","SET GLOBAL read_only = OFF"],
    "waitForGtid": "SELECT WAIT_FOR_EXECUTED_GTID_SET('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100', 1.5) AS result",
    "waitForPosition": "SELECT MASTER_POS_WAIT('mysql-bin.000006', 1180, 1.5) AS result",
    "semi-sync": ["INSTALL PLUGIN rpl_semi_sync_master SONAME 'semisync_master.so'","INSTALL PLUGIN rpl_semi_sync_slave SONAME 'semisync_slave.so'","SET GLOBAL rpl_semi_sync_master_timeout = 1000","SET GLOBAL rpl_semi_sync_master_enabled = ON","SET GLOBAL rpl_semi_sync_slave_enabled = ON"],
  },
  "mysql 8.0.26": {
    "changeSource gtid": "CHANGE REPLICATION SOURCE TO SOURCE_HOST = '10.0.0.2', SOURCE_PORT = 3306, SOURCE_USER = 'repl', SOURCE_PASSWORD = '***', SOURCE_AUTO_POSITION = 1, SOURCE_CONNECT_RETRY = 10, GET_SOURCE_PUBLIC_KEY = 1",
    "changeSource file": "CHANGE REPLICATION SOURCE TO SOURCE_HOST = '10.0.0.2', SOURCE_PORT = 3306, SOURCE_USER = 'repl', SOURCE_PASSWORD = '***', SOURCE_LOG_FILE = 'mysql-bin.000006', SOURCE_LOG_POS = 1180, SOURCE_AUTO_POSITION = 0, GET_SOURCE_PUBLIC_KEY = 1",
    "startReplica": "START REPLICA",
    "stopReplica io": "STOP REPLICA IO_THREAD",
    "resetReplicaAll": "RESET REPLICA ALL",
    "showReplicaStatus": "SHOW REPLICA STATUS",
    "showPrimaryStatus": "SHOW MASTER STATUS",
    "setReadOnly on": ["SET GLOBAL read_only = ON","SET GLOBAL super_read_only = ON"],
    "setReadOnly off": ["SET GLOBAL super_read_only = OFF","SET GLOBAL read_only = OFF"],
    "waitForGtid": "SELECT WAIT_FOR_EXECUTED_GTID_SET('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100', 1.5) AS result",
    "waitForPosition": "SELECT SOURCE_POS_WAIT('mysql-bin.000006', 1180, 1.5) AS result",
    "semi-sync": ["INSTALL PLUGIN rpl_semi_sync_source SONAME 'semisync_source.so'","INSTALL PLUGIN rpl_semi_sync_replica SONAME 'semisync_replica.so'","SET GLOBAL rpl_semi_sync_source_timeout = 1000","SET GLOBAL rpl_semi_sync_source_enabled = ON","SET GLOBAL rpl_semi_sync_replica_enabled = ON"],
  },
  "mysql 8.2": {
    "changeSource gtid": "CHANGE REPLICATION SOURCE TO SOURCE_HOST = '10.0.0.2', SOURCE_PORT = 3306, SOURCE_USER = 'repl', SOURCE_PASSWORD = '***', SOURCE_AUTO_POSITION = 1, SOURCE_CONNECT_RETRY = 10, GET_SOURCE_PUBLIC_KEY = 1",
    "changeSource file": "CHANGE REPLICATION SOURCE TO SOURCE_HOST = '10.0.0.2', SOURCE_PORT = 3306, SOURCE_USER = 'repl', SOURCE_PASSWORD = '***', SOURCE_LOG_FILE = 'mysql-bin.000006', SOURCE_LOG_POS = 1180, SOURCE_AUTO_POSITION = 0, GET_SOURCE_PUBLIC_KEY = 1",
    "startReplica": "START REPLICA",
    "stopReplica io": "STOP REPLICA IO_THREAD",
    "resetReplicaAll": "RESET REPLICA ALL",
    "showReplicaStatus": "SHOW REPLICA STATUS",
    "showPrimaryStatus": "SHOW BINARY LOG STATUS",
    "setReadOnly on": ["SET GLOBAL read_only = ON","SET GLOBAL super_read_only = ON"],
    "setReadOnly off": ["SET GLOBAL super_read_only = OFF","SET GLOBAL read_only = OFF"],
    "waitForGtid": "SELECT WAIT_FOR_EXECUTED_GTID_SET('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100', 1.5) AS result",
    "waitForPosition": "SELECT SOURCE_POS_WAIT('mysql-bin.000006', 1180, 1.5) AS result",
    "semi-sync": ["INSTALL PLUGIN rpl_semi_sync_source SONAME 'semisync_source.so'","INSTALL PLUGIN rpl_semi_sync_replica SONAME 'semisync_replica.so'","SET GLOBAL rpl_semi_sync_source_timeout = 1000","SET GLOBAL rpl_semi_sync_source_enabled = ON","SET GLOBAL rpl_semi_sync_replica_enabled = ON"],
  },
  "mysql 8.4": {
    "changeSource gtid": "CHANGE REPLICATION SOURCE TO SOURCE_HOST = '10.0.0.2', SOURCE_PORT = 3306, SOURCE_USER = 'repl', SOURCE_PASSWORD = '***', SOURCE_AUTO_POSITION = 1, SOURCE_CONNECT_RETRY = 10, GET_SOURCE_PUBLIC_KEY = 1",
    "changeSource file": "CHANGE REPLICATION SOURCE TO SOURCE_HOST = '10.0.0.2', SOURCE_PORT = 3306, SOURCE_USER = 'repl', SOURCE_PASSWORD = '***', SOURCE_LOG_FILE = 'mysql-bin.000006', SOURCE_LOG_POS = 1180, SOURCE_AUTO_POSITION = 0, GET_SOURCE_PUBLIC_KEY = 1",
    "startReplica": "START REPLICA",
    "stopReplica io": "STOP REPLICA IO_THREAD",
    "resetReplicaAll": "RESET REPLICA ALL",
    "showReplicaStatus": "SHOW REPLICA STATUS",
    "showPrimaryStatus": "SHOW BINARY LOG STATUS",
    "setReadOnly on": ["SET GLOBAL read_only = ON","SET GLOBAL super_read_only = ON"],
    "setReadOnly off": ["SET GLOBAL super_read_only = OFF","SET GLOBAL read_only = OFF"],
    "waitForGtid": "SELECT WAIT_FOR_EXECUTED_GTID_SET('3e11fa47-71ca-11e1-9e33-c80aa9429562:1-100', 1.5) AS result",
    "waitForPosition": "SELECT SOURCE_POS_WAIT('mysql-bin.000006', 1180, 1.5) AS result",
    "semi-sync": ["INSTALL PLUGIN rpl_semi_sync_source SONAME 'semisync_source.so'","INSTALL PLUGIN rpl_semi_sync_replica SONAME 'semisync_replica.so'","SET GLOBAL rpl_semi_sync_source_timeout = 1000","SET GLOBAL rpl_semi_sync_source_enabled = ON","SET GLOBAL rpl_semi_sync_replica_enabled = ON"],
  },
};

describe("statement builders over flavor × version", () => {
  const cases = Object.entries(TABLE).flatMap(([version, row]) => Object.entries(row).map(([builder, sql]) => [version, builder, sql] as const));
  it.each(cases)("%s %s", (version, builder, expected) => {
    const d = dialect(VERSIONS[version as keyof typeof VERSIONS]);
    expect(BUILDERS[builder]!(d)).toEqual(expected);
  });
});

describe("secrets in statements", () => {
  const d = dialect("10.11.6-MariaDB");
  const secret = new Secret("hunter2'\\");
  const stmt = S.createUser(d, { user: "repl", host: "10.0.0.%" }, secret);

  it("puts the escaped password in sql and '***' in display", () => {
    expect(stmt.sql).toBe("CREATE USER IF NOT EXISTS `repl`@`10.0.0.%` IDENTIFIED BY 'hunter2''\\\\'");
    expect(stmt.display).toBe("CREATE USER IF NOT EXISTS `repl`@`10.0.0.%` IDENTIFIED BY '***'");
    expect(stmt.params).toEqual([]);
  });

  it("never shows sql when the statement is logged, serialized or interpolated", () => {
    expect(Object.keys(stmt)).not.toContain("sql");
    expect(JSON.stringify(stmt)).not.toContain("hunter2");
    expect(inspect(stmt, { depth: 5 })).not.toContain("hunter2");
    expect(`${stmt}`).toBe(stmt.display);
  });

  it("writes the password for NO_BACKSLASH_ESCAPES sessions without doubling backslashes", () => {
    const s = S.alterUserPassword(dialect("8.0.36", { noBackslashEscapes: true }), { user: "a", host: "%" }, secret);
    expect(s.sql).toBe("ALTER USER `a`@`%` IDENTIFIED BY 'hunter2''\\'");
  });

  it("masks the replication password in CHANGE MASTER", () => {
    const s = S.changeSource(d, { host: "h", port: 3306, user: "repl", password: secret, position: { kind: "gtid" } });
    expect(s.sql).toContain("MASTER_PASSWORD = 'hunter2''\\\\'");
    expect(s.display).toContain("MASTER_PASSWORD = '***'");
    expect(s.display).not.toContain("hunter2");
  });

  it("uses SET PASSWORD and plain CREATE USER before ALTER USER / IF NOT EXISTS existed", () => {
    const old = dialect("5.7.5");
    expect(S.alterUserPassword(old, { user: "a", host: "%" }, secret).display).toBe("SET PASSWORD FOR `a`@`%` = PASSWORD('***')");
    expect(S.createUser(old, { user: "a", host: "%" }, secret).display).toBe("CREATE USER `a`@`%` IDENTIFIED BY '***'");
  });
});

describe("changeSource options", () => {
  const base = { host: "10.0.0.1", port: 3306, user: "repl", password: new Secret("x"), position: { kind: "gtid" } } as const;

  it("demotes a former MariaDB master with MASTER_DEMOTE_TO_SLAVE from 10.10", () => {
    expect(S.changeSource(dialect("10.11.6-MariaDB"), { ...base, demote: true }).display).toContain(", MASTER_DEMOTE_TO_SLAVE = 1");
  });

  it("points older MariaDB at adoptBinlogPosAsSlavePos instead", () => {
    expect(() => S.changeSource(dialect("10.6.18-MariaDB"), { ...base, demote: true })).toThrow(/adoptBinlogPosAsSlavePos/);
    expect(S.adoptBinlogPosAsSlavePos(dialect("10.6.18-MariaDB")).display).toBe("SET GLOBAL gtid_slave_pos = @@GLOBAL.gtid_binlog_pos");
    expect(() => S.adoptBinlogPosAsSlavePos(dialect("8.0.36"))).toThrow(PlanError);
  });

  it("refuses to demote with a file position", () => {
    expect(() =>
      S.changeSource(dialect("10.11.6-MariaDB"), { ...base, demote: true, position: { kind: "file", file: "b.1", pos: 4 } }),
    ).toThrow(/needs GTID/);
  });

  it("uses current_pos when asked", () => {
    expect(S.changeSource(dialect("10.11.6-MariaDB"), { ...base, mariadbGtidPos: "current_pos" }).display).toContain("MASTER_USE_GTID = current_pos");
  });

  it("asks for TLS instead of the RSA key when ssl is on", () => {
    const s = S.changeSource(dialect("8.4.0"), { ...base, ssl: true }).display;
    expect(s).toContain("SOURCE_SSL = 1");
    expect(s).not.toContain("PUBLIC_KEY");
    expect(S.changeSource(dialect("10.11.6-MariaDB"), { ...base, ssl: false }).display).toContain("MASTER_SSL = 0");
  });

  it("writes a fractional heartbeat period", () => {
    expect(S.changeSource(dialect("8.0.36"), { ...base, heartbeatPeriod: 0.5 }).display).toContain("SOURCE_HEARTBEAT_PERIOD = 0.5");
  });

  it("quotes host, user and file names as literals", () => {
    const s = S.changeSource(dialect("10.11.6-MariaDB"), { ...base, host: "db'1", user: "re\\pl", position: { kind: "file", file: "bin'.1", pos: 4 } });
    expect(s.display).toContain("MASTER_HOST = 'db''1'");
    expect(s.display).toContain("MASTER_USER = 're\\\\pl'");
    expect(s.display).toContain("MASTER_LOG_FILE = 'bin''.1'");
  });

  it("refuses a bad port with a message naming it", () => {
    expect(() => S.changeSource(dialect("8.0.36"), { ...base, port: 70000.5 })).toThrow(/replication source port/);
  });
});

describe("read_only", () => {
  it("bounds the wait for the global read lock when asked", () => {
    expect(S.setReadOnly(dialect("8.0.36"), true, { lockWaitTimeout: 1.2 }).map(String)).toEqual([
      "SET SESSION lock_wait_timeout = 2",
      "SET GLOBAL read_only = ON",
      "SET GLOBAL super_read_only = ON",
    ]);
  });

  it("selects the variables the server has", () => {
    expect(S.selectReadOnly(dialect("8.0.36")).display).toBe("SELECT @@GLOBAL.read_only AS read_only, @@GLOBAL.super_read_only AS super_read_only");
    expect(S.selectReadOnly(dialect("10.11.6-MariaDB")).display).toBe("SELECT @@GLOBAL.read_only AS read_only");
  });
});

describe("GTID waits", () => {
  it("refuses text that is not a GTID set, so nothing else reaches the literal", () => {
    expect(() => S.waitForGtid(dialect("10.11.6-MariaDB"), "0-1-1') OR SLEEP(10) -- ", 1)).toThrow(GtidParseError);
    expect(() => S.waitForGtid(dialect("8.0.36"), "x:1-5", 1)).toThrow(GtidParseError);
  });

  it("waits for the highest GTID per domain of a MariaDB binlog state", () => {
    expect(S.waitForGtid(dialect("10.11.6-MariaDB"), "0-2-50,0-1-105,1-1-7", 2).display).toBe("SELECT MASTER_GTID_WAIT('0-1-105,1-1-7', 2) AS result");
  });

  it.each([
    ["10.11.6-MariaDB", "gtid", 0, "reached"],
    ["10.11.6-MariaDB", "gtid", -1, "timeout"],
    ["10.11.6-MariaDB", "gtid", "0", "reached"],
    ["8.0.36", "gtid", 0, "reached"],
    ["8.0.36", "gtid", 1, "timeout"],
    ["8.0.36", "position", 12, "reached"],
    ["8.0.36", "position", 0, "reached"],
    ["8.0.36", "position", -1, "timeout"],
    ["8.0.36", "position", null, "not-replicating"],
    ["10.11.6-MariaDB", "position", BigInt(3), "reached"],
  ] as const)("%s %s result %s is %s", (version, kind, value, outcome) => {
    expect(S.parseWaitResult(dialect(version), kind, value)).toBe(outcome);
  });
});

describe("accounts and grants", () => {
  const d = dialect("10.11.6-MariaDB");
  const acct = { user: "mmm_app", host: "10.0.0.%" };

  it("looks accounts up with parameters", () => {
    const s = S.accountExists(d, { user: "o'neil", host: "%" });
    expect(s.sql).toBe("SELECT COUNT(*) AS n FROM mysql.user WHERE User = ? AND Host = ?");
    expect(s.params).toEqual(["o'neil", "%"]);
    expect(s.display).toBe("SELECT COUNT(*) AS n FROM mysql.user WHERE User = 'o''neil' AND Host = '%'");
  });

  it("shows grants and the create statement of a quoted account", () => {
    expect(S.showGrants(d, { user: "a`b", host: "%" }).sql).toBe("SHOW GRANTS FOR `a``b`@`%`");
    expect(S.showCreateUser(d, acct).sql).toBe("SHOW CREATE USER `mmm_app`@`10.0.0.%`");
  });

  it("grants on every kind of scope", () => {
    expect(S.grant(d, acct, { scope: { kind: "global" }, privileges: ["REPLICATION SLAVE"] }).sql).toBe(
      "GRANT REPLICATION SLAVE ON *.* TO `mmm_app`@`10.0.0.%`",
    );
    expect(S.grant(d, acct, { scope: { kind: "database", db: "my\\_app" }, privileges: ["SELECT", "INSERT"] }).sql).toBe(
      "GRANT SELECT, INSERT ON `my\\_app`.* TO `mmm_app`@`10.0.0.%`",
    );
    expect(
      S.grant(d, acct, { scope: { kind: "table", db: "t", table: "x" }, privileges: [], columns: [{ privilege: "SELECT", column: "a" }, { privilege: "SELECT", column: "b" }] }).sql,
    ).toBe("GRANT SELECT (`a`, `b`) ON `t`.`x` TO `mmm_app`@`10.0.0.%`");
    expect(S.grant(d, acct, { scope: { kind: "routine", routineType: "PROCEDURE", db: "t", name: "p" }, privileges: ["EXECUTE"], grantOption: true }).sql).toBe(
      "GRANT EXECUTE ON PROCEDURE `t`.`p` TO `mmm_app`@`10.0.0.%` WITH GRANT OPTION",
    );
  });

  it("revokes privileges, columns and GRANT OPTION in one statement", () => {
    expect(
      S.revoke(d, acct, { scope: { kind: "database", db: "shop" }, privileges: ["DELETE HISTORY"], columns: [], grantOption: true }).sql,
    ).toBe("REVOKE DELETE HISTORY, GRANT OPTION ON `shop`.* FROM `mmm_app`@`10.0.0.%`");
  });

  it("refuses empty changes and non-privilege words", () => {
    expect(() => S.grant(d, acct, { scope: { kind: "global" }, privileges: [] })).toThrow(PlanError);
    expect(() => S.revoke(d, acct, { scope: { kind: "global" }, privileges: [] })).toThrow(PlanError);
    expect(() => S.grant(d, acct, { scope: { kind: "global" }, privileges: ["SELECT ON *.* TO x; DROP"] })).toThrow(ConfigError);
  });

  it("revokes MariaDB roles by name and MySQL roles as accounts", () => {
    expect(S.revokeRoles(d, acct, [{ name: "r1" }]).sql).toBe("REVOKE `r1` FROM `mmm_app`@`10.0.0.%`");
    expect(S.revokeRoles(dialect("8.0.36"), acct, [{ name: "r1", host: "%" }]).sql).toBe("REVOKE `r1`@`%` FROM `mmm_app`@`10.0.0.%`");
    expect(S.grantRoles(d, acct, [{ name: "r1" }]).sql).toBe("GRANT `r1` TO `mmm_app`@`10.0.0.%`");
  });
});

describe("client connections", () => {
  it("kills by numeric id only", () => {
    expect(S.killConnection(dialect("8.0.36"), 42).sql).toBe("KILL CONNECTION 42");
    expect(() => S.killConnection(dialect("8.0.36"), 4.2)).toThrow(/connection id/);
  });

  it("lists client sessions with mmm's users as parameters", () => {
    const s = S.listClientConnections(dialect("10.11.6-MariaDB"), ["mmm_agent", "repl"]);
    expect(s.params).toEqual(["mmm_agent", "repl"]);
    expect(s.sql).toContain("USER NOT IN ('system user', 'event_scheduler', 'unauthenticated user', ?, ?)");
    expect(s.sql).toContain("COMMAND NOT IN ('Binlog Dump', 'Binlog Dump GTID'");
    expect(s.sql).toContain("ID <> CONNECTION_ID()");
  });
});

describe("state lookups", () => {
  it("selects each flavor's GTID variables", () => {
    expect(S.selectGtidState(dialect("10.11.6-MariaDB")).sql).toBe(
      "SELECT @@GLOBAL.gtid_binlog_pos AS gtid_binlog_pos, @@GLOBAL.gtid_binlog_state AS gtid_binlog_state, @@GLOBAL.gtid_slave_pos AS gtid_slave_pos, @@GLOBAL.gtid_current_pos AS gtid_current_pos, @@GLOBAL.gtid_strict_mode AS gtid_strict_mode",
    );
    expect(S.selectGtidState(dialect("8.0.36")).sql).toBe(
      "SELECT @@GLOBAL.gtid_executed AS gtid_executed, @@GLOBAL.gtid_purged AS gtid_purged, @@GLOBAL.gtid_mode AS gtid_mode",
    );
  });

  it("reads read_only and the GTID state in one row for the monitor's check", () => {
    expect(S.selectHealth(dialect("10.11.6-MariaDB")).sql).toBe(
      "SELECT @@GLOBAL.read_only AS read_only, @@GLOBAL.gtid_binlog_pos AS gtid_binlog_pos, @@GLOBAL.gtid_binlog_state AS gtid_binlog_state, @@GLOBAL.gtid_slave_pos AS gtid_slave_pos, @@GLOBAL.gtid_current_pos AS gtid_current_pos, @@GLOBAL.gtid_strict_mode AS gtid_strict_mode",
    );
    expect(S.selectHealth(dialect("8.0.36")).sql).toBe(
      "SELECT @@GLOBAL.read_only AS read_only, @@GLOBAL.super_read_only AS super_read_only, @@GLOBAL.gtid_executed AS gtid_executed, @@GLOBAL.gtid_purged AS gtid_purged, @@GLOBAL.gtid_mode AS gtid_mode",
    );
  });

  it("looks semi-sync plugins up only where they are plugins", () => {
    expect(S.selectSemiSyncPlugins(dialect("8.0.26")).sql).toContain("IN ('rpl_semi_sync_source', 'rpl_semi_sync_replica')");
    expect(() => S.selectSemiSyncPlugins(dialect("10.11.6-MariaDB"))).toThrow(/built into MariaDB 10.11.6/);
    expect(S.installSemiSyncPlugins(dialect("10.11.6-MariaDB"), ["source"])).toEqual([]);
  });

  it("identifies a server without knowing its dialect", () => {
    expect(S.SELECT_SERVER_IDENTITY.sql).toContain("VERSION() AS version");
    expect(S.SELECT_SERVER_IDENTITY.sql).toContain("@@version_comment AS version_comment");
  });
});
