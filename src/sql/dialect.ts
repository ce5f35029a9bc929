import { describeVersion, familyOf, isAtLeast, type Family, type ServerVersion } from "./flavor.js";

/**
 * Every flavor × version difference mmm cares about, in ONE table (the idea of community.mysql's
 * command_resolver.py: a statement name per (implementation, first version)). Statement builders
 * and grant derivation consult the resolved `Dialect`, never a version number directly, so a new
 * server release means a new row here and a new line in the table test.
 *
 * `mysql` rows apply to MySQL and Percona Server alike (Percona follows MySQL's syntax by version).
 * `null` means the flavor never has the feature.
 */
export interface FeatureRow {
  readonly mysql: string | null;
  readonly mariadb: string | null;
  /** Why, and where it is documented. */
  readonly source: string;
}

export const FEATURES = {
  /** START/STOP/RESET REPLICA, SHOW REPLICA STATUS accepted. */
  replicaKeyword: {
    mysql: "8.0.22",
    mariadb: "10.5.1",
    source: "MySQL 8.0.22 release notes (terminology); MariaDB MDEV-20601 (REPLICA as a synonym for SLAVE, 10.5.1)",
  },
  /** SHOW REPLICA STATUS prints Replica_IO_Running, Source_Host… (MariaDB keeps the Slave_/Master_ columns). */
  replicaStatusColumns: {
    mysql: "8.0.22",
    mariadb: null,
    source: "MySQL 8.0.22: SHOW REPLICA STATUS uses the new column names; SHOW SLAVE STATUS keeps the old ones",
  },
  /** CHANGE REPLICATION SOURCE TO with SOURCE_* options. */
  changeReplicationSource: {
    mysql: "8.0.23",
    mariadb: null,
    source: "MySQL 8.0.23 release notes; community.mysql command_resolver; removed CHANGE MASTER in MySQL 8.4",
  },
  /** SHOW BINARY LOG STATUS (SHOW MASTER STATUS is removed in 8.4). */
  showBinaryLogStatus: {
    mysql: "8.2.0",
    mariadb: null,
    source: "MySQL 8.2.0 release notes; community.mysql command_resolver",
  },
  /** SHOW BINLOG STATUS, MariaDB's new name for SHOW MASTER STATUS. */
  showBinlogStatus: {
    mysql: null,
    mariadb: "10.5.2",
    source: "MariaDB sql/privilege.h: 'This command was renamed from SHOW MASTER STATUS to SHOW BINLOG STATUS in 10.5.2'",
  },
  /** RESET BINARY LOGS AND GTIDS (RESET MASTER is removed in 8.4). */
  resetBinaryLogsAndGtids: {
    mysql: "8.2.0",
    mariadb: null,
    source: "MySQL 8.2.0 release notes",
  },
  /** SOURCE_POS_WAIT() instead of MASTER_POS_WAIT(). */
  sourcePosWait: {
    mysql: "8.0.26",
    mariadb: null,
    source: "MySQL 8.0.26 release notes (terminology in functions and variables)",
  },
  /** Semi-sync plugins semisync_source.so / semisync_replica.so and rpl_semi_sync_source_* variables. */
  semiSyncSourceNames: {
    mysql: "8.0.26",
    mariadb: null,
    source: "MySQL 8.0.26 release notes: new semisync_source/semisync_replica plugins",
  },
  /** Semi-sync built into the server: no INSTALL PLUGIN. */
  semiSyncBuiltIn: {
    mysql: null,
    mariadb: "10.3.3",
    source: "MariaDB semisynchronous replication docs: built in from 10.3.3",
  },
  /** super_read_only: read_only that also stops SUPER users. */
  superReadOnly: {
    mysql: "5.7.8",
    mariadb: null,
    source: "https://dev.mysql.com/worklog/task/?id=6799 (MySQL 5.7.8)",
  },
  createUserIfNotExists: {
    mysql: "5.7.6",
    mariadb: "10.1.3",
    source: "MySQL 5.7.6 / MariaDB 10.1.3 CREATE USER docs",
  },
  /** ALTER USER … IDENTIFIED BY; before it, SET PASSWORD FOR … = PASSWORD('…'). */
  alterUserIdentifiedBy: {
    mysql: "5.7.6",
    mariadb: "10.2.0",
    source: "MySQL 5.7.6 / MariaDB 10.2.0 ALTER USER docs",
  },
  /** MySQL 8 dynamic privileges (CONNECTION_ADMIN, SYSTEM_VARIABLES_ADMIN, REPLICATION_SLAVE_ADMIN …). */
  dynamicPrivileges: {
    mysql: "8.0.0",
    mariadb: null,
    source: "MySQL 8.0 privileges provided: dynamic privileges",
  },
  /**
   * MariaDB's fine-grained SUPER split: READ_ONLY ADMIN, CONNECTION ADMIN, REPLICATION SLAVE ADMIN,
   * BINLOG MONITOR (the new name of REPLICATION CLIENT) …
   * https://mariadb.com/docs/server/ha-and-performance/standard-replication/read-only-replicas
   * (READ ONLY ADMIN from 10.5.2); MariaDB sql/privilege.h ("Added in 10.5.2").
   */
  fineGrainedSuper: {
    mysql: null,
    mariadb: "10.5.2",
    source: "MariaDB sql/privilege.h; https://mariadb.com/docs/server/ha-and-performance/standard-replication/read-only-replicas",
  },
  /**
   * SLAVE MONITOR (alias REPLICA MONITOR): needed for SHOW SLAVE STATUS. 10.5.2–10.5.8 required
   * REPLICATION SLAVE ADMIN instead; before 10.5.2, REPLICATION CLIENT.
   * https://mariadb.com/kb/en/mariadb-maxscale-25-mariadb-monitor ("In MariaDB Server 10.5.9 and
   * later, REPLICA MONITOR is required"); MariaDB sql/privilege.h PRIV_STMT_SHOW_SLAVE_STATUS
   * ("Was (SUPER_ACL | REPL_SLAVE_ADMIN_ACL) from 10.5.2 to 10.5.7", "SLAVE_MONITOR_ACL was added in 10.5.9").
   */
  slaveMonitor: {
    mysql: null,
    mariadb: "10.5.9",
    source: "https://mariadb.com/kb/en/mariadb-maxscale-25-mariadb-monitor; MariaDB sql/privilege.h",
  },
  /**
   * SUPER no longer implies READ_ONLY ADMIN: a SUPER account can neither write while read_only=1
   * nor change read_only. MDEV-29596, https://github.com/MariaDB/server/commit/47dccace13
   * (10.11.0). Verified on 10.11.19: SET GLOBAL read_only=0 as a SUPER-only account fails with
   * "you need (at least one of) the READ_ONLY ADMIN privilege(s)".
   */
  readOnlyAdminOutsideSuper: {
    mysql: null,
    mariadb: "10.11.0",
    source: "MDEV-29596, https://github.com/MariaDB/server/commit/47dccace13",
  },
  /** CHANGE MASTER … MASTER_DEMOTE_TO_SLAVE=1 (MDEV-20122). */
  demoteToSlave: {
    mysql: null,
    mariadb: "10.10.1",
    source: "https://mariadb.com/kb/en/changes-improvements-in-mariadb-1010/ (MDEV-20122)",
  },
  /** SHOW CREATE ROUTINE privilege (part of ALL at global and database level). */
  showCreateRoutinePrivilege: {
    mysql: null,
    mariadb: "11.3.0",
    source: "https://mariadb.com/kb/en/show-create-procedure (SHOW CREATE ROUTINE privilege from MariaDB 11.3.0)",
  },
  /** DELETE HISTORY privilege (system-versioned tables; part of ALL). */
  deleteHistoryPrivilege: {
    mysql: null,
    mariadb: "10.3.4",
    source: "MariaDB sql/privilege.h: DELETE_HISTORY_ACL 'Added in 10.3.4'",
  },
  /** CREATE ROLE / DROP ROLE static privileges (part of global ALL). */
  rolePrivileges: {
    mysql: "8.0.0",
    mariadb: null,
    source: "MySQL 8.0 privileges provided",
  },
  /**
   * GET_SOURCE_PUBLIC_KEY / GET_MASTER_PUBLIC_KEY: without TLS, a replica can only authenticate
   * as a caching_sha2_password account (MySQL 8's default) when it may ask for the server's RSA key.
   */
  getSourcePublicKey: {
    mysql: "8.0.4",
    mariadb: null,
    source: "MySQL CHANGE MASTER TO docs: GET_MASTER_PUBLIC_KEY (8.0.4)",
  },
  /** WAIT_FOR_EXECUTED_GTID_SET / MASTER_POS_WAIT accept a fractional timeout in seconds. */
  fractionalWaitTimeout: {
    mysql: "8.0.0",
    mariadb: "10.0.0",
    source: "MariaDB MASTER_GTID_WAIT docs (timeout in seconds, fractions allowed); MySQL 8.0 GTID functions",
  },
} as const satisfies Record<string, FeatureRow>;

export type Feature = keyof typeof FEATURES;

/** Whether `v` has `feature` according to the table. */
export function hasFeature(v: ServerVersion, feature: Feature): boolean {
  const row: FeatureRow = FEATURES[feature];
  const since = familyOf(v) === "mariadb" ? row.mariadb : row.mysql;
  return since !== null && isAtLeast(v, since);
}

/** Session settings that change how literals must be written (see quote.ts). */
export interface SessionOptions {
  /** sql_mode contains NO_BACKSLASH_ESCAPES: a backslash inside '…' is an ordinary character. */
  readonly noBackslashEscapes?: boolean;
  /**
   * MySQL partial_revokes=ON: `_` and `%` in database names of GRANT are literal characters, so they
   * must not be escaped (https://dev.mysql.com/doc/refman/8.0/en/partial-revokes.html).
   */
  readonly partialRevokes?: boolean;
}

export type GtidVariables =
  | {
      readonly kind: "mariadb";
      /** Last GTID per domain written to this server's binlog. */
      readonly binlogPos: "gtid_binlog_pos";
      /** Last GTID per (domain, server_id) in the binlog: the one to compare for errant transactions. */
      readonly binlogState: "gtid_binlog_state";
      /** Last GTID per domain applied by the replication SQL thread. */
      readonly slavePos: "gtid_slave_pos";
      readonly currentPos: "gtid_current_pos";
      readonly strictMode: "gtid_strict_mode";
    }
  | {
      readonly kind: "mysql";
      readonly executed: "gtid_executed";
      readonly purged: "gtid_purged";
      readonly mode: "gtid_mode";
    };

export interface SemiSyncNames {
  /** Plugins to INSTALL (empty when built in). `name` is the INSTALL PLUGIN name, `soname` the library. */
  readonly sourcePlugin: { readonly name: string; readonly soname: string } | null;
  readonly replicaPlugin: { readonly name: string; readonly soname: string } | null;
  readonly sourceEnabled: string;
  readonly sourceTimeout: string;
  readonly replicaEnabled: string;
  /** Status variable: ON while the source waits for replica acknowledgements. */
  readonly sourceStatus: string;
  /** Status variable: number of semi-sync replicas connected. */
  readonly sourceClients: string;
}

export interface Dialect {
  readonly version: ServerVersion;
  readonly family: Family;
  readonly noBackslashEscapes: boolean;
  readonly partialRevokes: boolean;
  has(feature: Feature): boolean;

  readonly showReplicaStatus: "SHOW REPLICA STATUS" | "SHOW SLAVE STATUS";
  readonly showPrimaryStatus: "SHOW BINARY LOG STATUS" | "SHOW BINLOG STATUS" | "SHOW MASTER STATUS";
  readonly startReplica: "START REPLICA" | "START SLAVE";
  readonly stopReplica: "STOP REPLICA" | "STOP SLAVE";
  readonly resetReplica: "RESET REPLICA" | "RESET SLAVE";
  readonly resetBinaryLogs: "RESET BINARY LOGS AND GTIDS" | "RESET MASTER";
  readonly changeSource: "CHANGE REPLICATION SOURCE TO" | "CHANGE MASTER TO";
  /** Prefix of CHANGE … TO options: SOURCE_HOST or MASTER_HOST. */
  readonly sourceOptionPrefix: "SOURCE_" | "MASTER_";
  readonly posWaitFunction: "SOURCE_POS_WAIT" | "MASTER_POS_WAIT";
  readonly gtidWaitFunction: "MASTER_GTID_WAIT" | "WAIT_FOR_EXECUTED_GTID_SET";
  /** Variables that make the server refuse client writes, in the order to switch them ON. */
  readonly readOnlyVariables: readonly ("read_only" | "super_read_only")[];
  readonly gtid: GtidVariables;
  readonly semiSync: SemiSyncNames;
  /** "MariaDB 10.11.6" etc., for messages. */
  readonly description: string;
}

/** The dialect of one server (and one session's sql_mode). */
export function resolveDialect(version: ServerVersion, session: SessionOptions = {}): Dialect {
  const has = (f: Feature): boolean => hasFeature(version, f);
  const family = familyOf(version);
  const mariadb = family === "mariadb";
  const replica = has("replicaKeyword");
  const sourceNames = has("changeReplicationSource");
  const semiNew = has("semiSyncSourceNames");
  return {
    version,
    family,
    noBackslashEscapes: session.noBackslashEscapes ?? false,
    partialRevokes: session.partialRevokes ?? false,
    has,
    showReplicaStatus: replica ? "SHOW REPLICA STATUS" : "SHOW SLAVE STATUS",
    showPrimaryStatus: has("showBinaryLogStatus")
      ? "SHOW BINARY LOG STATUS"
      : has("showBinlogStatus")
        ? "SHOW BINLOG STATUS"
        : "SHOW MASTER STATUS",
    startReplica: replica ? "START REPLICA" : "START SLAVE",
    stopReplica: replica ? "STOP REPLICA" : "STOP SLAVE",
    resetReplica: replica ? "RESET REPLICA" : "RESET SLAVE",
    resetBinaryLogs: has("resetBinaryLogsAndGtids") ? "RESET BINARY LOGS AND GTIDS" : "RESET MASTER",
    changeSource: sourceNames ? "CHANGE REPLICATION SOURCE TO" : "CHANGE MASTER TO",
    sourceOptionPrefix: sourceNames ? "SOURCE_" : "MASTER_",
    posWaitFunction: has("sourcePosWait") ? "SOURCE_POS_WAIT" : "MASTER_POS_WAIT",
    gtidWaitFunction: mariadb ? "MASTER_GTID_WAIT" : "WAIT_FOR_EXECUTED_GTID_SET",
    readOnlyVariables: has("superReadOnly") ? ["read_only", "super_read_only"] : ["read_only"],
    gtid: mariadb
      ? {
          kind: "mariadb",
          binlogPos: "gtid_binlog_pos",
          binlogState: "gtid_binlog_state",
          slavePos: "gtid_slave_pos",
          currentPos: "gtid_current_pos",
          strictMode: "gtid_strict_mode",
        }
      : { kind: "mysql", executed: "gtid_executed", purged: "gtid_purged", mode: "gtid_mode" },
    semiSync: mariadb
      ? {
          sourcePlugin: has("semiSyncBuiltIn") ? null : { name: "rpl_semi_sync_master", soname: "semisync_master.so" },
          replicaPlugin: has("semiSyncBuiltIn") ? null : { name: "rpl_semi_sync_slave", soname: "semisync_slave.so" },
          sourceEnabled: "rpl_semi_sync_master_enabled",
          sourceTimeout: "rpl_semi_sync_master_timeout",
          replicaEnabled: "rpl_semi_sync_slave_enabled",
          sourceStatus: "Rpl_semi_sync_master_status",
          sourceClients: "Rpl_semi_sync_master_clients",
        }
      : semiNew
        ? {
            sourcePlugin: { name: "rpl_semi_sync_source", soname: "semisync_source.so" },
            replicaPlugin: { name: "rpl_semi_sync_replica", soname: "semisync_replica.so" },
            sourceEnabled: "rpl_semi_sync_source_enabled",
            sourceTimeout: "rpl_semi_sync_source_timeout",
            replicaEnabled: "rpl_semi_sync_replica_enabled",
            sourceStatus: "Rpl_semi_sync_source_status",
            sourceClients: "Rpl_semi_sync_source_clients",
          }
        : {
            sourcePlugin: { name: "rpl_semi_sync_master", soname: "semisync_master.so" },
            replicaPlugin: { name: "rpl_semi_sync_slave", soname: "semisync_slave.so" },
            sourceEnabled: "rpl_semi_sync_master_enabled",
            sourceTimeout: "rpl_semi_sync_master_timeout",
            replicaEnabled: "rpl_semi_sync_slave_enabled",
            sourceStatus: "Rpl_semi_sync_master_status",
            sourceClients: "Rpl_semi_sync_master_clients",
          },
    description: describeVersion(version),
  };
}

/** True when sql_mode (as `SELECT @@SESSION.sql_mode` returns it) makes backslashes literal. */
export function isNoBackslashEscapes(sqlMode: string): boolean {
  return sqlMode
    .split(",")
    .map((m) => m.trim().toUpperCase())
    .includes("NO_BACKSLASH_ESCAPES");
}
