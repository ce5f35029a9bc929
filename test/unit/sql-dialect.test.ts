import { describe, expect, it } from "vitest";
import { FEATURES, hasFeature, isNoBackslashEscapes, resolveDialect } from "../../src/sql/dialect.js";
import { parseServerVersion } from "../../src/sql/flavor.js";

const v = (s: string) => parseServerVersion(s);

/** The versions every table test in src/sql runs over. */
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

type Expect = {
  showReplicaStatus: string;
  showPrimaryStatus: string;
  startReplica: string;
  changeSource: string;
  prefix: string;
  posWait: string;
  gtidWait: string;
  readOnly: string[];
  gtidKind: string;
  semiSyncSource: string;
  semiSyncPlugin: string | null;
  resetBinaryLogs: string;
};

const TABLE: Record<keyof typeof VERSIONS, Expect> = {
  "mariadb 10.5.1": {
    showReplicaStatus: "SHOW REPLICA STATUS",
    showPrimaryStatus: "SHOW MASTER STATUS",
    startReplica: "START REPLICA",
    changeSource: "CHANGE MASTER TO",
    prefix: "MASTER_",
    posWait: "MASTER_POS_WAIT",
    gtidWait: "MASTER_GTID_WAIT",
    readOnly: ["read_only"],
    gtidKind: "mariadb",
    semiSyncSource: "rpl_semi_sync_master_enabled",
    semiSyncPlugin: null,
    resetBinaryLogs: "RESET MASTER",
  },
  "mariadb 10.5.9": {
    showReplicaStatus: "SHOW REPLICA STATUS",
    showPrimaryStatus: "SHOW BINLOG STATUS",
    startReplica: "START REPLICA",
    changeSource: "CHANGE MASTER TO",
    prefix: "MASTER_",
    posWait: "MASTER_POS_WAIT",
    gtidWait: "MASTER_GTID_WAIT",
    readOnly: ["read_only"],
    gtidKind: "mariadb",
    semiSyncSource: "rpl_semi_sync_master_enabled",
    semiSyncPlugin: null,
    resetBinaryLogs: "RESET MASTER",
  },
  "mariadb 10.6": {
    showReplicaStatus: "SHOW REPLICA STATUS",
    showPrimaryStatus: "SHOW BINLOG STATUS",
    startReplica: "START REPLICA",
    changeSource: "CHANGE MASTER TO",
    prefix: "MASTER_",
    posWait: "MASTER_POS_WAIT",
    gtidWait: "MASTER_GTID_WAIT",
    readOnly: ["read_only"],
    gtidKind: "mariadb",
    semiSyncSource: "rpl_semi_sync_master_enabled",
    semiSyncPlugin: null,
    resetBinaryLogs: "RESET MASTER",
  },
  "mariadb 10.11": {
    showReplicaStatus: "SHOW REPLICA STATUS",
    showPrimaryStatus: "SHOW BINLOG STATUS",
    startReplica: "START REPLICA",
    changeSource: "CHANGE MASTER TO",
    prefix: "MASTER_",
    posWait: "MASTER_POS_WAIT",
    gtidWait: "MASTER_GTID_WAIT",
    readOnly: ["read_only"],
    gtidKind: "mariadb",
    semiSyncSource: "rpl_semi_sync_master_enabled",
    semiSyncPlugin: null,
    resetBinaryLogs: "RESET MASTER",
  },
  "mariadb 11.4": {
    showReplicaStatus: "SHOW REPLICA STATUS",
    showPrimaryStatus: "SHOW BINLOG STATUS",
    startReplica: "START REPLICA",
    changeSource: "CHANGE MASTER TO",
    prefix: "MASTER_",
    posWait: "MASTER_POS_WAIT",
    gtidWait: "MASTER_GTID_WAIT",
    readOnly: ["read_only"],
    gtidKind: "mariadb",
    semiSyncSource: "rpl_semi_sync_master_enabled",
    semiSyncPlugin: null,
    resetBinaryLogs: "RESET MASTER",
  },
  "mysql 5.7": {
    showReplicaStatus: "SHOW SLAVE STATUS",
    showPrimaryStatus: "SHOW MASTER STATUS",
    startReplica: "START SLAVE",
    changeSource: "CHANGE MASTER TO",
    prefix: "MASTER_",
    posWait: "MASTER_POS_WAIT",
    gtidWait: "WAIT_FOR_EXECUTED_GTID_SET",
    readOnly: ["read_only", "super_read_only"],
    gtidKind: "mysql",
    semiSyncSource: "rpl_semi_sync_master_enabled",
    semiSyncPlugin: "semisync_master.so",
    resetBinaryLogs: "RESET MASTER",
  },
  "mysql 8.0.21": {
    showReplicaStatus: "SHOW SLAVE STATUS",
    showPrimaryStatus: "SHOW MASTER STATUS",
    startReplica: "START SLAVE",
    changeSource: "CHANGE MASTER TO",
    prefix: "MASTER_",
    posWait: "MASTER_POS_WAIT",
    gtidWait: "WAIT_FOR_EXECUTED_GTID_SET",
    readOnly: ["read_only", "super_read_only"],
    gtidKind: "mysql",
    semiSyncSource: "rpl_semi_sync_master_enabled",
    semiSyncPlugin: "semisync_master.so",
    resetBinaryLogs: "RESET MASTER",
  },
  "mysql 8.0.23": {
    showReplicaStatus: "SHOW REPLICA STATUS",
    showPrimaryStatus: "SHOW MASTER STATUS",
    startReplica: "START REPLICA",
    changeSource: "CHANGE REPLICATION SOURCE TO",
    prefix: "SOURCE_",
    posWait: "MASTER_POS_WAIT",
    gtidWait: "WAIT_FOR_EXECUTED_GTID_SET",
    readOnly: ["read_only", "super_read_only"],
    gtidKind: "mysql",
    semiSyncSource: "rpl_semi_sync_master_enabled",
    semiSyncPlugin: "semisync_master.so",
    resetBinaryLogs: "RESET MASTER",
  },
  "mysql 8.0.26": {
    showReplicaStatus: "SHOW REPLICA STATUS",
    showPrimaryStatus: "SHOW MASTER STATUS",
    startReplica: "START REPLICA",
    changeSource: "CHANGE REPLICATION SOURCE TO",
    prefix: "SOURCE_",
    posWait: "SOURCE_POS_WAIT",
    gtidWait: "WAIT_FOR_EXECUTED_GTID_SET",
    readOnly: ["read_only", "super_read_only"],
    gtidKind: "mysql",
    semiSyncSource: "rpl_semi_sync_source_enabled",
    semiSyncPlugin: "semisync_source.so",
    resetBinaryLogs: "RESET MASTER",
  },
  "mysql 8.2": {
    showReplicaStatus: "SHOW REPLICA STATUS",
    showPrimaryStatus: "SHOW BINARY LOG STATUS",
    startReplica: "START REPLICA",
    changeSource: "CHANGE REPLICATION SOURCE TO",
    prefix: "SOURCE_",
    posWait: "SOURCE_POS_WAIT",
    gtidWait: "WAIT_FOR_EXECUTED_GTID_SET",
    readOnly: ["read_only", "super_read_only"],
    gtidKind: "mysql",
    semiSyncSource: "rpl_semi_sync_source_enabled",
    semiSyncPlugin: "semisync_source.so",
    resetBinaryLogs: "RESET BINARY LOGS AND GTIDS",
  },
  "mysql 8.4": {
    showReplicaStatus: "SHOW REPLICA STATUS",
    showPrimaryStatus: "SHOW BINARY LOG STATUS",
    startReplica: "START REPLICA",
    changeSource: "CHANGE REPLICATION SOURCE TO",
    prefix: "SOURCE_",
    posWait: "SOURCE_POS_WAIT",
    gtidWait: "WAIT_FOR_EXECUTED_GTID_SET",
    readOnly: ["read_only", "super_read_only"],
    gtidKind: "mysql",
    semiSyncSource: "rpl_semi_sync_source_enabled",
    semiSyncPlugin: "semisync_source.so",
    resetBinaryLogs: "RESET BINARY LOGS AND GTIDS",
  },
};

describe("resolveDialect over flavor × version", () => {
  it.each(Object.entries(TABLE))("%s", (name, e) => {
    const d = resolveDialect(v(VERSIONS[name as keyof typeof VERSIONS]));
    expect({
      showReplicaStatus: d.showReplicaStatus,
      showPrimaryStatus: d.showPrimaryStatus,
      startReplica: d.startReplica,
      changeSource: d.changeSource,
      prefix: d.sourceOptionPrefix,
      posWait: d.posWaitFunction,
      gtidWait: d.gtidWaitFunction,
      readOnly: [...d.readOnlyVariables],
      gtidKind: d.gtid.kind,
      semiSyncSource: d.semiSync.sourceEnabled,
      semiSyncPlugin: d.semiSync.sourcePlugin?.soname ?? null,
      resetBinaryLogs: d.resetBinaryLogs,
    }).toEqual(e);
  });
});

describe("feature boundaries", () => {
  it.each([
    ["replicaKeyword", "8.0.21", false],
    ["replicaKeyword", "8.0.22", true],
    ["replicaKeyword", "10.5.0-MariaDB", false],
    ["replicaKeyword", "10.5.1-MariaDB", true],
    ["changeReplicationSource", "8.0.22", false],
    ["changeReplicationSource", "8.0.23", true],
    ["changeReplicationSource", "11.4.2-MariaDB", false],
    ["showBinaryLogStatus", "8.1.0", false],
    ["showBinaryLogStatus", "8.2.0", true],
    ["superReadOnly", "5.7.7", false],
    ["superReadOnly", "5.7.8", true],
    ["superReadOnly", "10.11.6-MariaDB", false],
    ["fineGrainedSuper", "10.5.1-MariaDB", false],
    ["fineGrainedSuper", "10.5.2-MariaDB", true],
    ["slaveMonitor", "10.5.8-MariaDB", false],
    ["slaveMonitor", "10.5.9-MariaDB", true],
    ["readOnlyAdminOutsideSuper", "10.10.7-MariaDB", false],
    ["readOnlyAdminOutsideSuper", "10.11.0-MariaDB", true],
    ["semiSyncBuiltIn", "10.3.2-MariaDB", false],
    ["semiSyncBuiltIn", "10.3.3-MariaDB", true],
    ["semiSyncSourceNames", "8.0.25", false],
    ["semiSyncSourceNames", "8.0.26", true],
    ["createUserIfNotExists", "5.7.5", false],
    ["createUserIfNotExists", "5.7.6", true],
    ["createUserIfNotExists", "10.1.3-MariaDB", true],
    ["demoteToSlave", "10.6.18-MariaDB", false],
    ["demoteToSlave", "10.11.6-MariaDB", true],
    ["dynamicPrivileges", "5.7.44", false],
    ["dynamicPrivileges", "8.0.11", true],
  ] as const)("%s on %s: %s", (feature, version, expected) => {
    expect(hasFeature(v(version), feature)).toBe(expected);
  });

  it("treats Percona Server like MySQL of the same version", () => {
    const d = resolveDialect(parseServerVersion("8.0.35-27", "Percona Server (GPL), Release 27"));
    expect(d.family).toBe("mysql");
    expect(d.changeSource).toBe("CHANGE REPLICATION SOURCE TO");
  });

  it("documents every feature with a source", () => {
    for (const [name, row] of Object.entries(FEATURES)) {
      expect(row.source.length, name).toBeGreaterThan(10);
      expect(row.mysql !== null || row.mariadb !== null, name).toBe(true);
    }
  });
});

describe("session options", () => {
  it("reads NO_BACKSLASH_ESCAPES from sql_mode", () => {
    expect(isNoBackslashEscapes("STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES")).toBe(true);
    expect(isNoBackslashEscapes("STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION")).toBe(false);
    expect(isNoBackslashEscapes("")).toBe(false);
  });
  it("defaults to backslash escapes on and partial revokes off", () => {
    const d = resolveDialect(v("8.0.36"));
    expect(d.noBackslashEscapes).toBe(false);
    expect(d.partialRevokes).toBe(false);
    expect(resolveDialect(v("8.0.36"), { noBackslashEscapes: true }).noBackslashEscapes).toBe(true);
  });
});
