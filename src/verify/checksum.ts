import { quoteIdentifier } from "../sql/quote.js";

/**
 * Chunked table checksums, compared across hosts (pure). A table with a single integer primary
 * key is cut into ranges of CHUNK_ROWS key values; anything else is one chunk. Each chunk is
 * COUNT(*) and BIT_XOR of CRC32 over every column (NULLs marked apart from empty strings, since
 * CONCAT_WS skips them), so one changed, added or removed row changes its chunk.
 */

export const CHUNK_ROWS = 1000;

export interface ChunkSum {
  readonly chunk: number;
  readonly rows: number;
  readonly crc: string;
}

export interface TableShape {
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly string[];
  /** The single integer primary key column, or null: the table is one chunk. */
  readonly intKey: string | null;
}

export function checksumSql(t: TableShape, chunkRows = CHUNK_ROWS): string {
  const cols = t.columns.map((c) => quoteIdentifier(c, "column"));
  const nulls = cols.map((c) => `ISNULL(${c})`).join(", ");
  const row = `CRC32(CONCAT_WS('#', ${cols.join(", ")}, CONCAT(${nulls})))`;
  const chunk = t.intKey ? `FLOOR((${quoteIdentifier(t.intKey, "column")} - 1) / ${chunkRows})` : "0";
  const from = `${quoteIdentifier(t.schema, "schema")}.${quoteIdentifier(t.table, "table")}`;
  return `SELECT ${chunk} AS chunk, COUNT(*) AS \`rows\`, COALESCE(BIT_XOR(${row}), 0) AS crc FROM ${from} GROUP BY chunk ORDER BY chunk`;
}

export function parseChecksumRows(rows: readonly Record<string, unknown>[]): ChunkSum[] {
  return rows.map((r) => ({ chunk: Number(r.chunk), rows: Number(r.rows), crc: String(r.crc) }));
}

/** "chunk 3 (id 3001–4000)" or "the table" when it is not chunked. */
export function chunkName(t: TableShape, chunk: number, chunkRows = CHUNK_ROWS): string {
  if (!t.intKey) return "";
  return ` chunk ${chunk + 1} (${t.intKey} ${chunk * chunkRows + 1}–${(chunk + 1) * chunkRows})`;
}

/** One sentence per chunk where `host` differs from the writer. */
export function compareChecksums(t: TableShape, writer: string, ref: readonly ChunkSum[], host: string, got: readonly ChunkSum[]): string[] {
  const name = `${t.schema}.${t.table}`;
  const a = new Map(ref.map((c) => [c.chunk, c]));
  const b = new Map(got.map((c) => [c.chunk, c]));
  const chunks = [...new Set([...a.keys(), ...b.keys()])].sort((x, y) => x - y);
  const out: string[] = [];
  for (const k of chunks) {
    const w = a.get(k);
    const h = b.get(k);
    if (w && h && w.rows === h.rows && w.crc === h.crc) continue;
    const rows = (w?.rows ?? 0) === (h?.rows ?? 0) ? `same row count ${h?.rows ?? 0}, different content` : `${h?.rows ?? 0} rows, the writer ${w?.rows ?? 0}`;
    out.push(`${host}: table ${name}${chunkName(t, k)} differs from the writer ${writer} (${rows})`);
  }
  return out;
}
