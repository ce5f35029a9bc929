import type { MysqlSession } from "../../remote/mysql.js";
import type { Transport } from "../../remote/transport.js";

/** Schemas other than the server's own that hold tables: a host's user data. */
const USER_SCHEMAS_SQL =
  "SELECT DISTINCT table_schema AS s FROM information_schema.tables " +
  "WHERE table_schema NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY 1";

export async function userSchemas(session: MysqlSession): Promise<string[]> {
  return (await session.query(USER_SCHEMAS_SQL)).map((r) => String(r.s));
}

/**
 * Written once a copy and its GTID position are in place: the host's data is the authority's
 * (even when that position is empty because the authority had no binlog yet), so replication
 * may start with it.
 */
export const SEED_MARKER = "/var/lib/mysql-mmm/seeded.json";

export async function isSeeded(transport: Transport): Promise<boolean> {
  return (await transport.readFile(SEED_MARKER)) !== null;
}
