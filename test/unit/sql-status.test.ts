import { describe, expect, it } from "vitest";
import { resolveDialect } from "../../src/sql/dialect.js";
import { parseServerVersion } from "../../src/sql/flavor.js";
import {
  isFenced,
  isReplicating,
  legacyColumnName,
  parseGtidState,
  parsePrimaryStatus,
  parseReadOnly,
  parseReplicaStatus,
  parseReplicaStatusRows,
  replicationError,
} from "../../src/sql/status.js";

const dialect = (v: string) => resolveDialect(parseServerVersion(v));

/** SHOW REPLICA STATUS on MariaDB 10.11 (columns as the server printed them; values of a running replica). */
const MARIADB_ROW = {
  Slave_IO_State: "Waiting for master to send event",
  Master_Host: "10.0.0.1",
  Master_User: "repl",
  Master_Port: 3306,
  Connect_Retry: 10,
  Master_Log_File: "mysql-bin.000003",
  Read_Master_Log_Pos: 7433,
  Relay_Log_File: "relay-bin.000002",
  Relay_Log_Pos: 1024,
  Relay_Master_Log_File: "mysql-bin.000003",
  Slave_IO_Running: "Yes",
  Slave_SQL_Running: "Yes",
  Replicate_Do_DB: "",
  Last_Errno: 0,
  Last_Error: "",
  Skip_Counter: 0,
  Exec_Master_Log_Pos: 7433,
  Relay_Log_Space: 1337,
  Until_Condition: "None",
  Seconds_Behind_Master: 0,
  Last_IO_Errno: 0,
  Last_IO_Error: "",
  Last_SQL_Errno: 0,
  Last_SQL_Error: "",
  Master_Server_Id: 1,
  Using_Gtid: "Slave_Pos",
  Gtid_IO_Pos: "0-1-43",
  Parallel_Mode: "optimistic",
  SQL_Delay: 0,
  SQL_Remaining_Delay: null,
  Slave_SQL_Running_State: "Slave has read all relay log; waiting for more updates",
  Slave_DDL_Groups: 2,
};

/** SHOW REPLICA STATUS on MySQL 8.0.36 (new column names), IO thread failing to connect. */
const MYSQL_ROW = {
  Replica_IO_State: "Connecting to source",
  Source_Host: "10.0.0.2",
  Source_User: "repl",
  Source_Port: "3306",
  Connect_Retry: "60",
  Source_Log_File: "binlog.000002",
  Read_Source_Log_Pos: "157",
  Relay_Log_File: "relay.000001",
  Relay_Log_Pos: "4",
  Relay_Source_Log_File: "binlog.000002",
  Replica_IO_Running: "Connecting",
  Replica_SQL_Running: "Yes",
  Last_Errno: "0",
  Last_Error: "",
  Exec_Source_Log_Pos: "157",
  Relay_Log_Space: "157",
  Seconds_Behind_Source: null,
  Last_IO_Errno: "2061",
  Last_IO_Error:
    "error connecting to master 'repl@10.0.0.2:3306' - retry-time: 60 retries: 1 message: Authentication plugin 'caching_sha2_password' reported error: Authentication requires secure connection.",
  Last_SQL_Errno: "0",
  Last_SQL_Error: "",
  Source_Server_Id: "0",
  Source_UUID: "",
  SQL_Delay: "0",
  Replica_SQL_Running_State: "Replica has read all relay log; waiting for more updates",
  Retrieved_Gtid_Set: "",
  Executed_Gtid_Set: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,\n8b7c2a10-0d2e-11ef-8e1c-0242ac120002:1-3",
  Auto_Position: "1",
  Channel_Name: "",
  Get_Source_public_key: "1",
};

/** SHOW SLAVE STATUS on MySQL 5.7 (old names), SQL thread stopped on an error. */
const MYSQL57_ROW = {
  Slave_IO_State: "Waiting for master to send event",
  Master_Host: "192.168.1.3",
  Master_User: "zhuzhu",
  Master_Port: 3306,
  Connect_Retry: 10,
  Master_Log_File: "mysql-bin.000006",
  Read_Master_Log_Pos: 1180,
  Relay_Master_Log_File: "mysql-bin.000006",
  Slave_IO_Running: "Yes",
  Slave_SQL_Running: "No",
  Last_Errno: 1062,
  Last_Error: "Could not execute Write_rows event on table testdb.t; Duplicate entry '3' for key 'PRIMARY'",
  Exec_Master_Log_Pos: 1000,
  Relay_Log_Space: 2048,
  Seconds_Behind_Master: null,
  Last_IO_Errno: 0,
  Last_IO_Error: "",
  Last_SQL_Errno: 1062,
  Last_SQL_Error: "Could not execute Write_rows event on table testdb.t; Duplicate entry '3' for key 'PRIMARY'",
  Master_Server_Id: 2,
  Master_UUID: "8b7c2a10-0d2e-11ef-8e1c-0242ac120002",
  Retrieved_Gtid_Set: "",
  Executed_Gtid_Set: "",
  Auto_Position: 0,
};

describe("parseReplicaStatus", () => {
  it("reads a MariaDB row", () => {
    const s = parseReplicaStatus([MARIADB_ROW])!;
    expect(s).toMatchObject({
      channel: "",
      sourceHost: "10.0.0.1",
      sourcePort: 3306,
      sourceUser: "repl",
      sourceServerId: 1,
      ioRunning: "yes",
      sqlRunning: true,
      secondsBehind: 0,
      sourceLogFile: "mysql-bin.000003",
      readSourceLogPos: 7433,
      execSourceLogPos: 7433,
      relayLogSpace: 1337,
      sqlState: "Slave has read all relay log; waiting for more updates",
      gtid: { kind: "mariadb", using: "slave_pos", ioPos: "0-1-43" },
    });
    expect(isReplicating(s)).toBe(true);
    expect(replicationError(s)).toBeUndefined();
  });

  it("reads MySQL 8.0.22+ Replica_/Source_ names as the same fields", () => {
    const s = parseReplicaStatus([MYSQL_ROW])!;
    expect(s).toMatchObject({
      sourceHost: "10.0.0.2",
      sourcePort: 3306,
      ioRunning: "connecting",
      sqlRunning: true,
      secondsBehind: null,
      readSourceLogPos: 157,
      relaySourceLogFile: "binlog.000002",
      sourceUuid: null,
      sqlState: "Replica has read all relay log; waiting for more updates",
      gtid: {
        kind: "mysql",
        autoPosition: true,
        retrieved: "",
        executed: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,8b7c2a10-0d2e-11ef-8e1c-0242ac120002:1-3",
      },
    });
    expect(isReplicating(s)).toBe(false);
    expect(replicationError(s)).toMatch(/^IO thread error 2061: .*requires secure connection/);
  });

  it("reads MySQL 5.7 Slave_/Master_ names and the SQL error", () => {
    const s = parseReplicaStatus([MYSQL57_ROW])!;
    expect(s.sqlRunning).toBe(false);
    expect(s.sourceUuid).toBe("8b7c2a10-0d2e-11ef-8e1c-0242ac120002");
    expect(s.gtid).toEqual({ kind: "mysql", autoPosition: false, retrieved: "", executed: "" });
    expect(replicationError(s)).toBe("SQL thread error 1062: Could not execute Write_rows event on table testdb.t; Duplicate entry '3' for key 'PRIMARY'");
  });

  it("gives null for a server that is not a replica", () => {
    expect(parseReplicaStatus([])).toBeNull();
  });

  it("picks the default channel of several", () => {
    const rows = [
      { ...MYSQL_ROW, Channel_Name: "other", Source_Host: "h2" },
      { ...MYSQL_ROW, Channel_Name: "", Source_Host: "h1" },
    ];
    expect(parseReplicaStatus(rows)!.sourceHost).toBe("h1");
    expect(parseReplicaStatusRows(rows).map((s) => s.channel)).toEqual(["other", ""]);
  });

  it("accepts bigint and Buffer values", () => {
    const s = parseReplicaStatus([{ ...MARIADB_ROW, Read_Master_Log_Pos: BigInt(9007199254), Master_Host: Buffer.from("db1") }])!;
    expect(s.readSourceLogPos).toBe(9007199254);
    expect(s.sourceHost).toBe("db1");
  });

  it("maps new column words to the old ones, not other words", () => {
    expect(legacyColumnName("Seconds_Behind_Source")).toBe("Seconds_Behind_Master");
    expect(legacyColumnName("Relay_Source_Log_File")).toBe("Relay_Master_Log_File");
    expect(legacyColumnName("Replica_SQL_Running_State")).toBe("Slave_SQL_Running_State");
    expect(legacyColumnName("Replicate_Do_DB")).toBe("Replicate_Do_DB");
    expect(legacyColumnName("Get_Source_public_key")).toBe("Get_Master_public_key");
  });
});

describe("parsePrimaryStatus", () => {
  it("reads MariaDB's file and position", () => {
    expect(parsePrimaryStatus([{ File: "bin.000001", Position: 7433, Binlog_Do_DB: "", Binlog_Ignore_DB: "" }])).toEqual({ file: "bin.000001", position: 7433 });
  });
  it("reads MySQL's Executed_Gtid_Set too", () => {
    expect(
      parsePrimaryStatus([{ File: "binlog.000002", Position: "157", Binlog_Do_DB: "", Binlog_Ignore_DB: "", Executed_Gtid_Set: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,\n8b7c2a10-0d2e-11ef-8e1c-0242ac120002:1-3" }]),
    ).toEqual({ file: "binlog.000002", position: 157, gtid: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,8b7c2a10-0d2e-11ef-8e1c-0242ac120002:1-3" });
  });
  it("gives null when binary logging is off", () => {
    expect(parsePrimaryStatus([])).toBeNull();
  });
});

describe("GTID and read_only state", () => {
  it("reads MariaDB GTID variables", () => {
    const d = dialect("10.11.6-MariaDB");
    expect(
      parseGtidState(d, { gtid_binlog_pos: "0-1-329", gtid_binlog_state: "0-2-10,0-1-329", gtid_slave_pos: "0-2-10", gtid_current_pos: "0-1-329", gtid_strict_mode: 1 }),
    ).toEqual({ kind: "mariadb", binlogPos: "0-1-329", binlogState: "0-2-10,0-1-329", slavePos: "0-2-10", currentPos: "0-1-329", strictMode: true });
  });

  it("reads MySQL GTID variables", () => {
    const d = dialect("8.0.36");
    expect(parseGtidState(d, { gtid_executed: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,\n8b7c2a10-0d2e-11ef-8e1c-0242ac120002:1-3", gtid_purged: "", gtid_mode: "on" })).toEqual({
      kind: "mysql",
      executed: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,8b7c2a10-0d2e-11ef-8e1c-0242ac120002:1-3",
      purged: "",
      mode: "ON",
    });
  });

  it("reads read_only and super_read_only where it exists", () => {
    const my = dialect("8.0.36");
    expect(parseReadOnly(my, { read_only: 1, super_read_only: 0 })).toEqual({ readOnly: true, superReadOnly: false });
    expect(isFenced(parseReadOnly(my, { read_only: 1, super_read_only: 0 }))).toBe(false);
    expect(isFenced(parseReadOnly(my, { read_only: "ON", super_read_only: "ON" }))).toBe(true);
    const ma = dialect("10.11.6-MariaDB");
    expect(parseReadOnly(ma, { read_only: 1 })).toEqual({ readOnly: true });
    expect(isFenced(parseReadOnly(ma, { read_only: 1 }))).toBe(true);
    expect(isFenced(parseReadOnly(ma, { read_only: 0 }))).toBe(false);
  });
});
