import type { Dialect } from "./dialect.js";

/**
 * SHOW SLAVE/REPLICA STATUS and SHOW MASTER/BINLOG/BINARY LOG STATUS rows, in whichever naming the
 * server used, turned into one shape. Rows are what a MySQL driver returns: objects keyed by column
 * name, values as strings, numbers, bigints or null. Pure.
 */

export type Row = Readonly<Record<string, unknown>>;

/** Slave_IO_Running: "Yes", "No", "Connecting" (and "Preparing" on recent MariaDB). */
export type IoThreadState = "yes" | "no" | "connecting" | "preparing";

export type ReplicaGtid =
  | {
      readonly kind: "mariadb";
      /** Using_Gtid: no, slave_pos or current_pos. */
      readonly using: "no" | "slave_pos" | "current_pos";
      /** Gtid_IO_Pos: the last GTID the IO thread received. */
      readonly ioPos: string;
    }
  | {
      readonly kind: "mysql";
      readonly autoPosition: boolean;
      readonly retrieved: string;
      readonly executed: string;
    };

export interface ReplicaStatus {
  /** MySQL Channel_Name / MariaDB Connection_name; "" for the default connection. */
  readonly channel: string;
  readonly sourceHost: string;
  readonly sourcePort: number | null;
  readonly sourceUser: string;
  readonly sourceServerId: number | null;
  readonly sourceUuid: string | null;
  readonly connectRetry: number | null;
  /** Slave_IO_State: what the IO thread is doing, in words. */
  readonly ioState: string;
  readonly ioRunning: IoThreadState;
  readonly sqlRunning: boolean;
  /** Slave_SQL_Running_State. */
  readonly sqlState: string;
  /** NULL when the SQL thread is stopped or the IO thread is not connected. */
  readonly secondsBehind: number | null;
  readonly sourceLogFile: string;
  readonly readSourceLogPos: number | null;
  readonly relaySourceLogFile: string;
  readonly execSourceLogPos: number | null;
  readonly relayLogSpace: number | null;
  readonly lastErrno: number;
  readonly lastError: string;
  readonly lastIoErrno: number;
  readonly lastIoError: string;
  readonly lastSqlErrno: number;
  readonly lastSqlError: string;
  readonly sqlDelay: number | null;
  readonly gtid: ReplicaGtid;
}

/** Column name in the old Slave_/Master_ scheme: MySQL ≥ 8.0.22 renamed words, not columns. */
export function legacyColumnName(name: string): string {
  return name
    .split("_")
    .map((w) => (w === "Replica" ? "Slave" : w === "Source" ? "Master" : w === "replica" ? "slave" : w === "source" ? "master" : w))
    .join("_");
}

function legacyRow(row: Row): Map<string, unknown> {
  const m = new Map<string, unknown>();
  for (const [k, v] of Object.entries(row)) m.set(legacyColumnName(k).toLowerCase(), v);
  return m;
}

function str(v: unknown): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return new TextDecoder().decode(v);
  return String(v);
}

function int(v: unknown): number | null {
  if (v === null || v === undefined || v === "") return null;
  const n = typeof v === "number" ? v : Number(str(v));
  return Number.isFinite(n) ? n : null;
}

function yes(v: unknown): boolean {
  return /^(yes|on|1|true)$/i.test(str(v).trim());
}

function ioThreadState(v: unknown): IoThreadState {
  const s = str(v).trim().toLowerCase();
  if (s === "yes" || s === "connecting" || s === "preparing") return s;
  return "no";
}

/** One SHOW SLAVE/REPLICA STATUS row, either naming scheme, either flavor. */
export function parseReplicaStatusRow(row: Row): ReplicaStatus {
  const r = legacyRow(row);
  const get = (col: string): unknown => r.get(col.toLowerCase());
  const mariadb = r.has("using_gtid") || r.has("gtid_io_pos");
  const using = str(get("Using_Gtid")).toLowerCase();
  return {
    channel: str(get("Channel_Name") ?? get("Connection_name")),
    sourceHost: str(get("Master_Host")),
    sourcePort: int(get("Master_Port")),
    sourceUser: str(get("Master_User")),
    sourceServerId: int(get("Master_Server_Id")),
    sourceUuid: str(get("Master_UUID")) || null,
    connectRetry: int(get("Connect_Retry")),
    ioState: str(get("Slave_IO_State")),
    ioRunning: ioThreadState(get("Slave_IO_Running")),
    sqlRunning: yes(get("Slave_SQL_Running")),
    sqlState: str(get("Slave_SQL_Running_State")),
    secondsBehind: int(get("Seconds_Behind_Master")),
    sourceLogFile: str(get("Master_Log_File")),
    readSourceLogPos: int(get("Read_Master_Log_Pos")),
    relaySourceLogFile: str(get("Relay_Master_Log_File")),
    execSourceLogPos: int(get("Exec_Master_Log_Pos")),
    relayLogSpace: int(get("Relay_Log_Space")),
    lastErrno: int(get("Last_Errno")) ?? 0,
    lastError: str(get("Last_Error")),
    lastIoErrno: int(get("Last_IO_Errno")) ?? 0,
    lastIoError: str(get("Last_IO_Error")),
    lastSqlErrno: int(get("Last_SQL_Errno")) ?? 0,
    lastSqlError: str(get("Last_SQL_Error")),
    sqlDelay: int(get("SQL_Delay")),
    gtid: mariadb
      ? {
          kind: "mariadb",
          using: using === "slave_pos" || using === "current_pos" ? using : "no",
          ioPos: str(get("Gtid_IO_Pos")).trim(),
        }
      : {
          kind: "mysql",
          autoPosition: yes(get("Auto_Position")),
          retrieved: str(get("Retrieved_Gtid_Set")).replace(/\s+/g, ""),
          executed: str(get("Executed_Gtid_Set")).replace(/\s+/g, ""),
        },
  };
}

/** Every channel (MySQL multi-source rows; MariaDB SHOW ALL SLAVES STATUS rows). */
export function parseReplicaStatusRows(rows: readonly Row[]): ReplicaStatus[] {
  return rows.map(parseReplicaStatusRow);
}

/** The default channel's status, or null when the server is not a replica (no rows). */
export function parseReplicaStatus(rows: readonly Row[]): ReplicaStatus | null {
  const all = parseReplicaStatusRows(rows);
  return all.find((s) => s.channel === "") ?? all[0] ?? null;
}

export function isReplicating(s: ReplicaStatus): boolean {
  return s.ioRunning === "yes" && s.sqlRunning;
}

/** The replication error to show a user, or undefined when both threads report none. */
export function replicationError(s: ReplicaStatus): string | undefined {
  const errs: string[] = [];
  if (s.lastIoErrno !== 0 || s.lastIoError !== "") errs.push(`IO thread error ${s.lastIoErrno}: ${s.lastIoError}`);
  if (s.lastSqlErrno !== 0 || s.lastSqlError !== "") errs.push(`SQL thread error ${s.lastSqlErrno}: ${s.lastSqlError}`);
  if (errs.length === 0 && (s.lastErrno !== 0 || s.lastError !== "")) errs.push(`error ${s.lastErrno}: ${s.lastError}`);
  return errs.length > 0 ? errs.join("; ") : undefined;
}

// ---------------------------------------------------------------------------------------------

export interface PrimaryStatus {
  readonly file: string;
  readonly position: number;
  /** MySQL prints Executed_Gtid_Set here; MariaDB does not (read gtid_binlog_pos instead). */
  readonly gtid?: string;
}

/** SHOW MASTER/BINLOG/BINARY LOG STATUS; null when binary logging is off (no rows). */
export function parsePrimaryStatus(rows: readonly Row[]): PrimaryStatus | null {
  const row = rows[0];
  if (!row) return null;
  const r = legacyRow(row);
  const file = str(r.get("file"));
  const position = int(r.get("position"));
  if (file === "" || position === null) return null;
  const gtid = r.has("executed_gtid_set") ? str(r.get("executed_gtid_set")).replace(/\s+/g, "") : undefined;
  return gtid === undefined ? { file, position } : { file, position, gtid };
}

// ---------------------------------------------------------------------------------------------

export type GtidState =
  | {
      readonly kind: "mariadb";
      readonly binlogPos: string;
      readonly binlogState: string;
      readonly slavePos: string;
      readonly currentPos: string;
      readonly strictMode: boolean;
    }
  | { readonly kind: "mysql"; readonly executed: string; readonly purged: string; readonly mode: string };

/** The row of selectGtidState(d). */
export function parseGtidState(d: Dialect, row: Row): GtidState {
  const r = legacyRow(row);
  const g = d.gtid;
  if (g.kind === "mariadb") {
    return {
      kind: "mariadb",
      binlogPos: str(r.get(g.binlogPos)).trim(),
      binlogState: str(r.get(g.binlogState)).trim(),
      slavePos: str(r.get(g.slavePos)).trim(),
      currentPos: str(r.get(g.currentPos)).trim(),
      strictMode: yes(r.get(g.strictMode)),
    };
  }
  return {
    kind: "mysql",
    executed: str(r.get(g.executed)).replace(/\s+/g, ""),
    purged: str(r.get(g.purged)).replace(/\s+/g, ""),
    mode: str(r.get(g.mode)).toUpperCase(),
  };
}

export interface ReadOnlyState {
  readonly readOnly: boolean;
  /** undefined where the server has no super_read_only. */
  readonly superReadOnly?: boolean;
}

/** The row of selectReadOnly(d). */
export function parseReadOnly(d: Dialect, row: Row): ReadOnlyState {
  const r = legacyRow(row);
  const readOnly = yes(r.get("read_only"));
  return d.has("superReadOnly") ? { readOnly, superReadOnly: yes(r.get("super_read_only")) } : { readOnly };
}

/** True when clients other than replication cannot write: read_only, and super_read_only where it exists. */
export function isFenced(s: ReadOnlyState): boolean {
  return s.readOnly && s.superReadOnly !== false;
}
