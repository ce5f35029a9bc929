import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";

/**
 * Every message between control, monitor and agents travels in a signed envelope: HMAC-SHA256
 * with the cluster secret over the canonical JSON of everything else. A receiver refuses a bad
 * MAC, a message addressed to someone else, one too old or from the future, and one whose nonce
 * it has already seen (a replay). MMM's agents obeyed any TCP client; these obey only holders
 * of the cluster secret, and only once per message.
 */
export const PROTOCOL_VERSION = 1;

export const EnvelopeSchema = z.object({
  v: z.literal(PROTOCOL_VERSION),
  from: z.string().min(1),
  to: z.string().min(1),
  /** Sender's clock, ms since the epoch. */
  ts: z.number().int().nonnegative(),
  nonce: z.string().regex(/^[0-9a-f]{32}$/),
  body: z.unknown(),
  mac: z.string().regex(/^[0-9a-f]{64}$/),
});
export type Envelope = z.infer<typeof EnvelopeSchema>;

/** JSON with object keys sorted at every level, so that both ends MAC the same bytes. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
}

function macOf(secret: Buffer, e: Omit<Envelope, "mac">): string {
  return createHmac("sha256", secret).update(canonicalJson(e)).digest("hex");
}

export function seal(secret: Buffer, from: string, to: string, body: unknown, now: number, nonce = randomBytes(16).toString("hex")): Envelope {
  const e = { v: PROTOCOL_VERSION, from, to, ts: Math.floor(now), nonce, body } as const;
  return { ...e, mac: macOf(secret, e) };
}

export type OpenResult =
  | { readonly ok: true; readonly envelope: Envelope }
  | { readonly ok: false; readonly reason: string };

export interface OpenOptions {
  /** Who we are: a message for anyone else is refused. */
  readonly self: string;
  readonly now: number;
  /** Largest accepted |now - ts| in ms (clock offsets plus transit). */
  readonly maxSkewMs: number;
  readonly replay: ReplayGuard;
}

/** Verifies a received line. Never throws: a refusal says why, for the log. */
export function open(secret: Buffer, raw: unknown, o: OpenOptions): OpenResult {
  const parsed = EnvelopeSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: "malformed message" };
  const e = parsed.data;
  const { mac, ...rest } = e;
  const expected = Buffer.from(macOf(secret, rest), "hex");
  if (!timingSafeEqual(expected, Buffer.from(mac, "hex"))) return { ok: false, reason: `bad MAC (from ${e.from}): not signed with the cluster secret` };
  if (e.to !== o.self) return { ok: false, reason: `addressed to ${e.to}, not ${o.self}` };
  const age = o.now - e.ts;
  if (Math.abs(age) > o.maxSkewMs) return { ok: false, reason: `stale or future message from ${e.from} (${age} ms old, limit ${o.maxSkewMs} ms)` };
  if (!o.replay.admit(e.nonce, e.ts, o.now)) return { ok: false, reason: `replayed message from ${e.from} (nonce seen before)` };
  return { ok: true, envelope: e };
}

/**
 * Remembers nonces for as long as their messages could still pass the age check, so a
 * captured message cannot be accepted twice.
 */
export class ReplayGuard {
  readonly #seen = new Map<string, number>();
  constructor(private readonly windowMs: number) {}

  admit(nonce: string, ts: number, now: number): boolean {
    for (const [n, t] of this.#seen) if (now - t > 2 * this.windowMs) this.#seen.delete(n);
    if (this.#seen.has(nonce)) return false;
    this.#seen.set(nonce, ts);
    return true;
  }

  get size(): number {
    return this.#seen.size;
  }
}

/** The cluster secret file holds 64 hex characters (bootstrap writes it, mode 0600). */
export function parseClusterSecret(text: string, file: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`${file}: expected 64 hex characters (the cluster secret bootstrap writes)`);
  return Buffer.from(hex, "hex");
}
