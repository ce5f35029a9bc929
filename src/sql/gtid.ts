import type { Family } from "./flavor.js";

/**
 * GTID arithmetic for both flavors. Pure.
 *
 * MariaDB writes positions, not sets: "domain-server-seq" per entry, comma-separated. In
 * gtid_binlog_pos / gtid_slave_pos there is one entry per domain (the last transaction); in
 * gtid_binlog_state one per (domain, server_id). Within a domain, seq numbers grow across servers.
 * So "a contains b" and "what b has that a lacks" can be asked per domain (positions) or per
 * (domain, server) (binlog states). For errant-transaction detection compare gtid_binlog_state
 * per (domain, server): after a failover the new writer's seq numbers continue from where it was,
 * so a per-domain comparison of an old master's 0-1-105 with the writer's 0-2-103 would call only
 * 104..105 missing when 101..105 (from server 1) are.
 *
 * MySQL writes sets: "uuid:1-5:7,uuid2:1-3" (from 8.3 also tagged: "uuid:1-5:tag:1-2"), with
 * optional newlines after commas (as SHOW REPLICA STATUS prints them).
 *
 * Sequence numbers are JS numbers; a value beyond 2^53 (nine quadrillion transactions) is refused.
 */

export class GtidParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "GtidParseError";
  }
}

function toSafe(text: string, what: string, input: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new GtidParseError(`${what} ${text} in GTID ${JSON.stringify(input)} is too large`);
  return n;
}

// ---------------------------------------------------------------------------------------------
// MariaDB

export interface MariaGtid {
  readonly domain: number;
  readonly server: number;
  readonly seq: number;
}

export function parseMariaGtidList(text: string): MariaGtid[] {
  const s = text.trim();
  if (s === "") return [];
  return s.split(",").map((raw) => {
    const e = raw.trim();
    const m = /^(\d+)-(\d+)-(\d+)$/.exec(e);
    if (!m) {
      throw new GtidParseError(
        `${JSON.stringify(e)} in ${JSON.stringify(text)} is not a MariaDB GTID: expected domain-server-seq such as 0-1-42`,
      );
    }
    return { domain: toSafe(m[1]!, "domain", text), server: toSafe(m[2]!, "server id", text), seq: toSafe(m[3]!, "seq", text) };
  });
}

export function formatMariaGtidList(list: readonly MariaGtid[]): string {
  return [...list]
    .sort((a, b) => a.domain - b.domain || a.server - b.server)
    .map((g) => `${g.domain}-${g.server}-${g.seq}`)
    .join(",");
}

export type MariaCompareBy = "domain" | "domain-server";

function keyOf(g: MariaGtid, by: MariaCompareBy): string {
  return by === "domain" ? String(g.domain) : `${g.domain}-${g.server}`;
}

/** Highest entry per key (several entries of one domain appear in gtid_binlog_state). */
function highest(list: readonly MariaGtid[], by: MariaCompareBy): Map<string, MariaGtid> {
  const out = new Map<string, MariaGtid>();
  for (const g of list) {
    const k = keyOf(g, by);
    const cur = out.get(k);
    if (!cur || g.seq > cur.seq) out.set(k, g);
  }
  return out;
}

/** The position a list describes: one entry per domain, the highest seq. */
export function mariaGtidPosition(list: readonly MariaGtid[]): MariaGtid[] {
  return [...highest(list, "domain").values()].sort((a, b) => a.domain - b.domain);
}

/** A run of seq numbers `b` has and `a` lacks, in one domain (and, by domain-server, from one server). */
export interface MariaGtidGap {
  readonly domain: number;
  /** The server id of b's last transaction in the run. */
  readonly server: number;
  readonly from: number;
  readonly to: number;
}

/** What `b` has beyond `a`. Empty when a ⊇ b. */
export function mariaGtidMissing(a: readonly MariaGtid[], b: readonly MariaGtid[], by: MariaCompareBy = "domain"): MariaGtidGap[] {
  const have = highest(a, by);
  const out: MariaGtidGap[] = [];
  for (const g of highest(b, by).values()) {
    const mine = have.get(keyOf(g, by))?.seq ?? 0;
    if (g.seq > mine) out.push({ domain: g.domain, server: g.server, from: mine + 1, to: g.seq });
  }
  return out.sort((x, y) => x.domain - y.domain || x.server - y.server);
}

export function mariaGtidContains(a: readonly MariaGtid[], b: readonly MariaGtid[], by: MariaCompareBy = "domain"): boolean {
  return mariaGtidMissing(a, b, by).length === 0;
}

export function formatMariaGaps(gaps: readonly MariaGtidGap[]): string {
  return gaps.map((g) => `${g.domain}-${g.server}-${g.from === g.to ? g.to : `${g.from}..${g.to}`}`).join(",");
}

// ---------------------------------------------------------------------------------------------
// MySQL

export interface Interval {
  /** First transaction number, ≥ 1. */
  readonly start: number;
  /** Last transaction number, inclusive. */
  readonly end: number;
}

/** uuid (lower case), or "uuid:tag" for tagged GTIDs → sorted, merged, disjoint intervals. */
export type MysqlGtidSet = ReadonlyMap<string, readonly Interval[]>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TAG = /^[a-z_][a-z0-9_]{0,31}$/i;

function normalize(intervals: readonly Interval[]): Interval[] {
  const sorted = [...intervals].sort((x, y) => x.start - y.start);
  const out: Interval[] = [];
  for (const iv of sorted) {
    const last = out[out.length - 1];
    if (last && iv.start <= last.end + 1) {
      if (iv.end > last.end) out[out.length - 1] = { start: last.start, end: iv.end };
    } else {
      out.push(iv);
    }
  }
  return out;
}

function fromEntries(entries: Iterable<[string, readonly Interval[]]>): MysqlGtidSet {
  const m = new Map<string, Interval[]>();
  for (const [k, ivs] of entries) {
    const merged = normalize([...(m.get(k) ?? []), ...ivs]);
    if (merged.length > 0) m.set(k, merged);
  }
  return new Map([...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function parseMysqlGtidSet(text: string): MysqlGtidSet {
  const s = text.replace(/\s+/g, "");
  if (s === "") return new Map();
  const entries: [string, Interval[]][] = [];
  for (const element of s.split(",")) {
    const parts = element.split(":");
    const uuid = parts[0] ?? "";
    if (!UUID.test(uuid)) {
      throw new GtidParseError(`${JSON.stringify(element)} in ${JSON.stringify(text)} does not start with a server UUID; expected uuid:1-5`);
    }
    let key = uuid.toLowerCase();
    let sawInterval = false;
    for (const p of parts.slice(1)) {
      const iv = /^(\d+)(?:-(\d+))?$/.exec(p);
      if (iv) {
        const start = toSafe(iv[1]!, "transaction number", text);
        const end = iv[2] === undefined ? start : toSafe(iv[2], "transaction number", text);
        if (start < 1 || end < start) throw new GtidParseError(`interval ${p} in ${JSON.stringify(text)} is empty or starts below 1`);
        entries.push([key, [{ start, end }]]);
        sawInterval = true;
      } else if (TAG.test(p)) {
        key = `${uuid.toLowerCase()}:${p.toLowerCase()}`;
      } else {
        throw new GtidParseError(`${JSON.stringify(p)} in ${JSON.stringify(text)} is neither an interval (1-5) nor a tag`);
      }
    }
    if (!sawInterval) throw new GtidParseError(`${JSON.stringify(element)} in ${JSON.stringify(text)} has no transaction interval`);
  }
  return fromEntries(entries);
}

export function formatMysqlGtidSet(set: MysqlGtidSet): string {
  const byUuid = new Map<string, string[]>();
  for (const [key, ivs] of fromEntries(set)) {
    const [uuid, tag] = key.split(":") as [string, string | undefined];
    const text = ivs.map((iv) => (iv.start === iv.end ? `${iv.start}` : `${iv.start}-${iv.end}`)).join(":");
    const list = byUuid.get(uuid) ?? [];
    // Untagged intervals first, then each tag: "uuid:1-5:tag:1-2".
    if (tag === undefined) list.unshift(text);
    else list.push(`${tag}:${text}`);
    byUuid.set(uuid, list);
  }
  return [...byUuid.entries()].map(([uuid, parts]) => `${uuid}:${parts.join(":")}`).join(",");
}

export function gtidUnion(a: MysqlGtidSet, b: MysqlGtidSet): MysqlGtidSet {
  return fromEntries([...a.entries(), ...b.entries()]);
}

/** The transactions in `a` that are not in `b`. */
export function gtidSubtract(a: MysqlGtidSet, b: MysqlGtidSet): MysqlGtidSet {
  const out: [string, Interval[]][] = [];
  for (const [key, ivs] of a) {
    let rest: Interval[] = [...ivs];
    for (const cut of b.get(key) ?? []) {
      const next: Interval[] = [];
      for (const iv of rest) {
        if (cut.end < iv.start || cut.start > iv.end) {
          next.push(iv);
          continue;
        }
        if (cut.start > iv.start) next.push({ start: iv.start, end: cut.start - 1 });
        if (cut.end < iv.end) next.push({ start: cut.end + 1, end: iv.end });
      }
      rest = next;
    }
    if (rest.length > 0) out.push([key, rest]);
  }
  return fromEntries(out);
}

/** a ⊇ b. */
export function gtidContains(a: MysqlGtidSet, b: MysqlGtidSet): boolean {
  return gtidSubtract(b, a).size === 0;
}

export function gtidEquals(a: MysqlGtidSet, b: MysqlGtidSet): boolean {
  return formatMysqlGtidSet(a) === formatMysqlGtidSet(b);
}

/** Number of transactions in the set. */
export function gtidCount(set: MysqlGtidSet): number {
  let n = 0;
  for (const ivs of set.values()) for (const iv of ivs) n += iv.end - iv.start + 1;
  return n;
}

// ---------------------------------------------------------------------------------------------
// Either flavor

export type GtidSet =
  | { readonly family: "mariadb"; readonly list: readonly MariaGtid[]; readonly text: string }
  | { readonly family: "mysql"; readonly set: MysqlGtidSet; readonly text: string };

/** Parses and validates; `text` is the normalized form. */
export function parseGtidSet(family: Family, text: string): GtidSet {
  if (family === "mariadb") {
    const list = parseMariaGtidList(text);
    return { family, list, text: formatMariaGtidList(list) };
  }
  const set = parseMysqlGtidSet(text);
  return { family, set, text: formatMysqlGtidSet(set) };
}

/**
 * What `candidate` has executed that `reference` has not, as GTID text ("" when nothing): the
 * errant transactions of a host that wants to replicate from `reference`. For MariaDB pass
 * gtid_binlog_state values (compared per domain and server, see the module comment).
 */
export function errantGtids(family: Family, reference: string, candidate: string): string {
  if (family === "mariadb") {
    return formatMariaGaps(mariaGtidMissing(parseMariaGtidList(reference), parseMariaGtidList(candidate), "domain-server"));
  }
  return formatMysqlGtidSet(gtidSubtract(parseMysqlGtidSet(candidate), parseMysqlGtidSet(reference)));
}
