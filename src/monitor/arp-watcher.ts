import { localRunner } from "../util/runner.js";

/**
 * Issue 4, point 7: a moved VIP is confirmed, not assumed. In the background (never inside a
 * cycle) the monitor ARPs every role IP and every host IP from its own host with arping, and
 * tells decide() which host answered for each VIP; decide() has a VIP that answers from the
 * wrong MAC, or not at all, announced again by its holder. A result older than MAX_AGE_MS is
 * dropped, so a stuck arping can only make the monitor stop checking, never mislead it.
 */

/** The MAC that answered; null: no answer; undefined: cannot tell (no arping, no permission). */
export type MacLookup = (ip: string, timeoutMs: number) => Promise<string | null | undefined>;

export const ARP_INTERVAL_MS = 2000;
const MAX_AGE_MS = ARP_INTERVAL_MS + 1500;

/**
 * arping 2.x (Thomas Habets) with -r prints the replying MAC only; no reply exits non-zero. Run
 * through the helper shell (util/runner.ts): nine forks of the monitor every 2 s stalled it.
 */
export const arpingLookup: MacLookup = async (ip, timeoutMs) => {
  const secs = Math.max(1, Math.ceil(timeoutMs / 1000));
  try {
    const r = await localRunner().run("arping", ["-r", "-C", "1", "-c", "1", "-w", String(secs), ip], timeoutMs + 1000);
    if (r.code === 0) return parseArpingMac(r.stdout);
    // Exit status 1 is "no reply"; anything else (not installed, killed, no permission) says nothing.
    return r.code === 1 && r.stderr.trim() === "" ? null : undefined;
  } catch {
    return undefined;
  }
};

export function parseArpingMac(stdout: string): string | null {
  const m = /([0-9a-f]{2}(?::[0-9a-f]{2}){5})/i.exec(stdout);
  return m ? m[1]!.toLowerCase() : null;
}

/** Which host answered for each VIP (null: nobody answered); VIPs without a fresh answer are left out. */
export function arpView(
  vips: ReadonlyMap<string, { readonly mac: string | null; readonly at: number }>,
  hostMacs: ReadonlyMap<string, string>,
  now: number,
): Record<string, string | null> {
  const byMac = new Map<string, string>();
  for (const [host, mac] of hostMacs) byMac.set(mac, host);
  const out: Record<string, string | null> = {};
  for (const [ip, r] of vips) {
    if (now - r.at > MAX_AGE_MS) continue;
    if (r.mac === null) {
      out[ip] = null;
      continue;
    }
    const host = byMac.get(r.mac);
    // A MAC of no known host proves nothing about ours: leave the VIP out rather than guess.
    if (host !== undefined) out[ip] = host;
  }
  return out;
}

export class ArpWatcher {
  readonly #vips = new Map<string, { mac: string | null; at: number }>();
  readonly #hostMacs = new Map<string, string>();
  #timer: NodeJS.Timeout | null = null;
  #busy = false;

  constructor(
    private readonly hosts: readonly { readonly name: string; readonly ip: string }[],
    private readonly vipList: readonly string[],
    private readonly lookup: MacLookup = arpingLookup,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    const tick = () => void this.refresh();
    tick();
    this.#timer = setInterval(tick, ARP_INTERVAL_MS);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  async refresh(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      await Promise.all([
        ...this.hosts.map(async (h) => {
          const mac = await this.lookup(h.ip, 1000);
          if (typeof mac === "string") this.#hostMacs.set(h.name, mac);
        }),
        ...this.vipList.map(async (ip) => {
          const mac = await this.lookup(ip, 1000);
          if (mac !== undefined) this.#vips.set(ip, { mac, at: this.now() });
        }),
      ]);
    } finally {
      this.#busy = false;
    }
  }

  view(): Record<string, string | null> {
    return arpView(this.#vips, this.#hostMacs, this.now());
  }
}
