/**
 * The failover drill's arithmetic, pure: what a round's acknowledged writes, the rows found on
 * each host and the role samples taken on every host say. No IO here: run-drill.ts gathers,
 * these functions judge, format-drill.ts prints.
 *
 * Times are milliseconds since the epoch on the controller's clock (remote timestamps are
 * corrected by each host's measured offset before they get here).
 */

/** A write's identity: the client that sent it and its sequence number in that client. */
export function writeId(client: number, seq: number): string {
  return `${client}:${seq}`;
}

export interface Ack {
  readonly client: number;
  readonly seq: number;
  /** When the COMMIT's OK arrived. */
  readonly at: number;
  /** The host the connection was logged in to (by @@server_id), null when unknown. */
  readonly host: string | null;
}

/** A write whose outcome is unknown: COMMIT failed or timed out. It may or may not exist. */
export interface Unacked {
  readonly client: number;
  readonly seq: number;
  readonly at: number;
  readonly error: string;
}

export interface RowCount {
  readonly host: string;
  /** Acknowledged writes with no row on this host. */
  readonly lost: readonly string[];
  /** Writes with more than one row on this host, with how many. */
  readonly duplicated: readonly { readonly id: string; readonly copies: number }[];
  /** Rows of unacknowledged writes that did land (allowed: not a loss, not a duplicate). */
  readonly unackedPresent: number;
  /** Rows of writes nobody sent (never expected: a bug in the drill or foreign rows). */
  readonly unknown: number;
  readonly rows: number;
}

/**
 * Counts one host's rows against the acknowledged writes. `present` maps each write id found to
 * its number of rows (the drill table has no unique key on the id, so a double apply shows).
 */
export function countRows(
  host: string,
  acked: ReadonlySet<string>,
  unacked: ReadonlySet<string>,
  present: ReadonlyMap<string, number>,
): RowCount {
  const lost = [...acked].filter((id) => !present.has(id)).sort(compareIds);
  const duplicated = [...present]
    .filter(([, n]) => n > 1)
    .map(([id, copies]) => ({ id, copies }))
    .sort((a, b) => compareIds(a.id, b.id));
  let unackedPresent = 0;
  let unknown = 0;
  let rows = 0;
  for (const [id, n] of present) {
    rows += n;
    if (acked.has(id)) continue;
    if (unacked.has(id)) unackedPresent += 1;
    else unknown += 1;
  }
  return { host, lost, duplicated, unackedPresent, unknown, rows };
}

function compareIds(a: string, b: string): number {
  const [ac, as] = a.split(":").map(Number);
  const [bc, bs] = b.split(":").map(Number);
  return ac! - bc! || as! - bs!;
}

/** One observation of one host: writable (read_only = 0, server answering) and the IPs on its interface. */
export interface RoleSample {
  readonly host: string;
  readonly at: number;
  /** null: the server did not answer (down, or not yet started). */
  readonly readOnly: boolean | null;
  readonly ips: readonly string[];
}

/**
 * A line of the remote sampling loop: `EPOCH_NS READ_ONLY IP,IP,`, READ_ONLY being 0, 1 or `-`
 * when the server did not answer. Null for anything else (a half-written last line).
 */
export function parseSampleLine(host: string, line: string, offsetMs = 0): RoleSample | null {
  const m = /^(\d{16,20}) (0|1|-) ?([0-9a-f.:,]*)$/.exec(line.trim());
  if (!m) return null;
  const at = Number(BigInt(m[1]!) / 1000n) / 1000 - offsetMs;
  const readOnly = m[2] === "-" ? null : m[2] === "1";
  return { host, at, readOnly, ips: m[3]!.split(",").filter(Boolean) };
}

export interface Interval {
  readonly host: string;
  readonly from: number;
  readonly to: number;
}

/** Two hosts writable at once, or one IP held by two hosts at once, with when. */
export interface Violation {
  readonly kind: "two-writers" | "ip-on-two-hosts";
  readonly hosts: readonly [string, string];
  /** For ip-on-two-hosts. */
  readonly ip?: string;
  readonly from: number;
  readonly to: number;
}

/**
 * Spans in which a predicate held on a host, from its samples in time order. A span is proven
 * by samples only: it runs from the first sample where the predicate held to the last one of
 * the same run, so a change between two samples is never counted against the host. A gap in
 * the samples longer than maxGapMs (the loop stalled) ends a span too.
 */
export function spansWhere(samples: readonly RoleSample[], holds: (s: RoleSample) => boolean, maxGapMs: number): Interval[] {
  const spans: Interval[] = [];
  const byHost = groupByHost(samples);
  for (const [host, list] of byHost) {
    let start: number | null = null;
    let last = 0;
    for (const s of list) {
      const ok = holds(s);
      if (start !== null && (!ok || s.at - last > maxGapMs)) {
        spans.push({ host, from: start, to: last });
        start = null;
      }
      if (ok) {
        if (start === null) start = s.at;
        last = s.at;
      }
    }
    if (start !== null) spans.push({ host, from: start, to: last });
  }
  return spans;
}

function groupByHost(samples: readonly RoleSample[]): Map<string, RoleSample[]> {
  const byHost = new Map<string, RoleSample[]>();
  for (const s of samples) {
    const list = byHost.get(s.host) ?? [];
    list.push(s);
    byHost.set(s.host, list);
  }
  for (const list of byHost.values()) list.sort((a, b) => a.at - b.at);
  return byHost;
}

function overlaps(spans: readonly Interval[]): { a: Interval; b: Interval; from: number; to: number }[] {
  const out: { a: Interval; b: Interval; from: number; to: number }[] = [];
  for (let i = 0; i < spans.length; i++) {
    for (let j = i + 1; j < spans.length; j++) {
      const a = spans[i]!;
      const b = spans[j]!;
      if (a.host === b.host) continue;
      const from = Math.max(a.from, b.from);
      const to = Math.min(a.to, b.to);
      if (from <= to) out.push(a.host < b.host ? { a, b, from, to } : { a: b, b: a, from, to });
    }
  }
  return out.sort((x, y) => x.from - y.from);
}

export const DEFAULT_MAX_SAMPLE_GAP_MS = 1_000;

/** Every moment the samples prove two writable hosts, or one of `ips` on two hosts. */
export function findViolations(samples: readonly RoleSample[], ips: readonly string[], maxGapMs = DEFAULT_MAX_SAMPLE_GAP_MS): Violation[] {
  const out: Violation[] = overlaps(spansWhere(samples, (s) => s.readOnly === false, maxGapMs)).map((o) => ({
    kind: "two-writers" as const,
    hosts: [o.a.host, o.b.host] as const,
    from: o.from,
    to: o.to,
  }));
  for (const ip of ips) {
    for (const o of overlaps(spansWhere(samples, (s) => s.ips.includes(ip), maxGapMs))) {
      out.push({ kind: "ip-on-two-hosts", hosts: [o.a.host, o.b.host], ip, from: o.from, to: o.to });
    }
  }
  return out.sort((x, y) => x.from - y.from);
}

/** The first sample at or after `since` where a host other than `except` satisfied the predicate. */
export function firstSampleWhere(
  samples: readonly RoleSample[],
  since: number,
  holds: (s: RoleSample) => boolean,
  except?: string,
): RoleSample | null {
  let best: RoleSample | null = null;
  for (const s of samples) {
    if (s.at < since || s.host === except || !holds(s)) continue;
    if (!best || s.at < best.at) best = s;
  }
  return best;
}

/** The last sample before `until` on `host` where the predicate held, then the first where it no longer did. */
export function lastSampleWhere(samples: readonly RoleSample[], host: string, until: number, holds: (s: RoleSample) => boolean): RoleSample | null {
  let best: RoleSample | null = null;
  for (const s of samples) {
    if (s.host !== host || s.at > until || !holds(s)) continue;
    if (!best || s.at > best.at) best = s;
  }
  return best;
}

/**
 * Write unavailability around a fault: the first acknowledged write after it that `isNew`
 * accepts (a write on the new writer), the last acknowledged write before that one, and the gap
 * between them. Acks on the old writer during a clean stop's last moments fall before the gap,
 * not after it. Null parts when there was none.
 */
export interface WriteGap {
  readonly lastBefore: Ack | null;
  readonly firstAfter: Ack | null;
  readonly gapMs: number | null;
}

export function writeGap(acks: readonly Ack[], faultAt: number, isNew: (a: Ack) => boolean = () => true): WriteGap {
  let firstAfter: Ack | null = null;
  for (const a of acks) {
    if (a.at > faultAt && isNew(a) && (!firstAfter || a.at < firstAfter.at)) firstAfter = a;
  }
  const limit = firstAfter ? firstAfter.at : Infinity;
  let lastBefore: Ack | null = null;
  for (const a of acks) {
    if (a.at < limit && (!lastBefore || a.at > lastBefore.at)) lastBefore = a;
  }
  return { lastBefore, firstAfter, gapMs: lastBefore && firstAfter ? firstAfter.at - lastBefore.at : null };
}

/**
 * The longest stretch without an acknowledged write in [from, to]: what a client saw as "writes
 * refused" when nothing was killed at a known moment (move_role).
 */
export function longestAckGap(acks: readonly Ack[], from: number, to: number): { from: number; to: number; ms: number } | null {
  const times = acks.map((a) => a.at).filter((t) => t >= from && t <= to).sort((a, b) => a - b);
  let best: { from: number; to: number; ms: number } | null = null;
  for (let i = 1; i < times.length; i++) {
    const ms = times[i]! - times[i - 1]!;
    if (!best || ms > best.ms) best = { from: times[i - 1]!, to: times[i]!, ms };
  }
  return best;
}

export interface TimelineEvent {
  readonly at: number;
  /** Who saw it: drill, monitor, checker, clients, or a host name. */
  readonly source: string;
  readonly text: string;
}

/** Events in time order, relative to t0; equal times keep their input order. */
export function buildTimeline(events: readonly TimelineEvent[], t0: number): { offsetMs: number; source: string; text: string }[] {
  return events
    .map((e, i) => ({ e, i }))
    .sort((x, y) => x.e.at - y.e.at || x.i - y.i)
    .map(({ e }) => ({ offsetMs: e.at - t0, source: e.source, text: e.text }));
}

/** "t+1.234" / "t-0.120": seconds with millisecond precision. */
export function formatOffset(ms: number): string {
  const sign = ms < 0 ? "-" : "+";
  return `t${sign}${(Math.abs(ms) / 1000).toFixed(3)}`;
}

export interface Stats {
  readonly n: number;
  readonly median: number | null;
  readonly max: number | null;
  readonly min: number | null;
}

/** Median (mean of the two middle values for an even count), min and max; nulls are skipped. */
export function stats(values: readonly (number | null)[]): Stats {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { n: 0, median: null, max: null, min: null };
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
  return { n: v.length, median, max: v.at(-1)!, min: v[0]! };
}
