/**
 * The one GTID question the HA core asks: which transactions of set A are missing from set B?
 * Used for errant transactions (host minus writer) and catch-up (old writer minus candidate,
 * received minus applied). The canonical parser lives in src/sql/status.ts; decide() takes any
 * `GtidOps`, and this small implementation is the default so the core stands on its own.
 *
 * Formats: MySQL `uuid:1-5:7,uuid2[:tag]:1-3` (gtid_executed) and MariaDB `domain-server-seq,…`
 * (gtid_current_pos). For MariaDB a position holds one GTID per domain, so "A minus B" is A's
 * entry for every domain where B is behind (B's seq smaller) or absent — the best a position
 * can tell.
 */

export interface GtidOps {
  /** Transactions in `a` that `b` lacks, as display text; null when none (a ⊆ b). */
  subtract(a: string, b: string): string | null;
}

export const simpleGtidOps: GtidOps = { subtract: subtractGtidSets };

export function subtractGtidSets(a: string, b: string): string | null {
  const ta = a.replace(/\s+/g, "");
  const tb = b.replace(/\s+/g, "");
  if (ta === "") return null;
  if (isMariaDb(ta) && (tb === "" || isMariaDb(tb))) return subtractMariaDb(ta, tb);
  if (!isMariaDb(ta) && (tb === "" || !isMariaDb(tb))) return subtractMysql(ta, tb);
  // Two flavors cannot share transactions: everything in a is missing from b.
  return ta;
}

const isMariaDb = (s: string) => /^\d+-\d+-\d+(,\d+-\d+-\d+)*$/.test(s);

function subtractMariaDb(a: string, b: string): string | null {
  const parse = (s: string) =>
    new Map(
      s
        .split(",")
        .filter((x) => x !== "")
        .map((x) => {
          const [d, srv, seq] = x.split("-").map(Number) as [number, number, number];
          return [d, { srv, seq }] as const;
        }),
    );
  const pb = parse(b);
  const out: string[] = [];
  for (const [d, { srv, seq }] of parse(a)) {
    const other = pb.get(d);
    if (other === undefined || other.seq < seq) out.push(`${d}-${srv}-${seq}`);
  }
  return out.length > 0 ? out.join(",") : null;
}

type Interval = [number, number];

function parseMysql(s: string): Map<string, Interval[]> {
  const sets = new Map<string, Interval[]>();
  for (const part of s.split(",").filter((x) => x !== "")) {
    const segs = part.split(":");
    let key = segs[0]!.toLowerCase();
    for (const seg of segs.slice(1)) {
      const m = /^(\d+)(?:-(\d+))?$/.exec(seg);
      if (!m) {
        key = `${segs[0]!.toLowerCase()}:${seg}`; // MySQL 8.4 tagged GTIDs
        continue;
      }
      const lo = Number(m[1]);
      const hi = m[2] !== undefined ? Number(m[2]) : lo;
      const list = sets.get(key) ?? [];
      list.push([lo, hi]);
      sets.set(key, list);
    }
  }
  for (const [k, list] of sets) sets.set(k, normalise(list));
  return sets;
}

function normalise(list: Interval[]): Interval[] {
  const sorted = [...list].sort((x, y) => x[0] - y[0]);
  const out: Interval[] = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function minus(a: Interval[], b: Interval[]): Interval[] {
  let rest = a.map((x) => [...x] as Interval);
  for (const [blo, bhi] of b) {
    const next: Interval[] = [];
    for (const [lo, hi] of rest) {
      if (bhi < lo || blo > hi) next.push([lo, hi]);
      else {
        if (lo < blo) next.push([lo, blo - 1]);
        if (hi > bhi) next.push([bhi + 1, hi]);
      }
    }
    rest = next;
  }
  return rest;
}

function subtractMysql(a: string, b: string): string | null {
  const pa = parseMysql(a);
  const pb = parseMysql(b);
  const out: string[] = [];
  for (const [key, list] of pa) {
    const left = minus(list, pb.get(key) ?? []);
    if (left.length > 0) out.push(`${key}:${left.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(":")}`);
  }
  return out.length > 0 ? out.join(",") : null;
}
