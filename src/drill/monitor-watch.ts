import type { Transport, RemoteProcess } from "../remote/transport.js";
import { sh } from "../remote/shell.js";
import { runtimeControlCommand } from "../provision/steps/runtime.js";
import { RemoteError } from "../errors.js";

/**
 * What the monitor says during a drill: its log, followed live over SSH on the monitor host
 * (each line carries the monitor's own timestamp, so a detection is timed where it happened),
 * and `mmm control` run there with the runtime bootstrap installed (the control port listens on
 * the cluster network only, and the cluster secret stays on the monitor host).
 */
export const MONITOR_LOG = "/var/log/mysql-mmm/mmm_mond.log";

export interface MonitorLine {
  /** Monitor's clock, corrected by its offset. */
  readonly at: number;
  readonly text: string;
  /** Set for MMM's "State of host 'db1' changed from ONLINE to HARD_OFFLINE" lines. */
  readonly state?: { readonly host: string; readonly from: string; readonly to: string };
}

/** One line of the monitor's log (`ISO-TIME text`), or null for anything else. */
export function parseMonitorLine(line: string, offsetMs = 0): MonitorLine | null {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) (.*)$/.exec(line.trimEnd());
  if (!m) return null;
  const at = Date.parse(m[1]!) - offsetMs;
  if (!Number.isFinite(at)) return null;
  const text = m[2]!;
  const s = /State of (?:flapping )?host '([^']+)' changed from (\w+) to (\w+)/.exec(text);
  return s ? { at, text, state: { host: s[1]!, from: s[2]!, to: s[3]! } } : { at, text };
}

/** Lines worth a place in a drill's timeline: state changes and writer moves, not routine noise. */
export function isTimelineWorthy(l: MonitorLine): boolean {
  if (l.state !== undefined) return true;
  if (/^writer on \S+; all hosts ONLINE$/.test(l.text) || /^renew-lease/.test(l.text) || /^control \(/.test(l.text)) return false;
  return /writer|fenc|lease|promot/i.test(l.text);
}

export class MonitorLog {
  readonly lines: MonitorLine[] = [];
  #proc?: RemoteProcess;
  #listeners: ((l: MonitorLine) => void)[] = [];

  constructor(
    private readonly transport: Transport,
    private readonly offsetMs: number,
    private readonly file = MONITOR_LOG,
  ) {}

  async start(maxSeconds: number): Promise<void> {
    this.#proc = await this.transport.spawn(sh`exec tail -n 0 -F ${this.file}`, maxSeconds * 1000);
    let buf = "";
    this.#proc.stdout.on("data", (d: Buffer) => {
      buf += d.toString("utf8");
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const l = parseMonitorLine(buf.slice(0, i), this.offsetMs);
        buf = buf.slice(i + 1);
        if (!l) continue;
        this.lines.push(l);
        for (const f of this.#listeners) f(l);
      }
    });
    this.#proc.stdin.end();
  }

  onLine(f: (l: MonitorLine) => void): void {
    this.#listeners.push(f);
  }

  offLine(f: (l: MonitorLine) => void): void {
    this.#listeners = this.#listeners.filter((x) => x !== f);
  }

  /** The first state change of `host` at or after `since` leaving ONLINE. */
  leftOnline(host: string, since: number): MonitorLine | null {
    return this.lines.find((l) => l.at >= since && l.state?.host === host && l.state.from === "ONLINE") ?? null;
  }

  stop(): void {
    const p = this.#proc as unknown as { stdout: { destroy?: () => void } } | undefined;
    p?.stdout.destroy?.();
    this.#proc = undefined;
  }
}

export interface MonitorStatus {
  readonly mode: string;
  readonly hosts: readonly { readonly name: string; readonly state: string; readonly roles: readonly { readonly role: string; readonly ip: string }[] }[];
}

export interface ControlAnswer {
  readonly output: string;
  readonly exitCode: number;
  readonly status?: MonitorStatus;
}

/** `mmm control --json LINE` on the monitor host. */
export async function control(transport: Transport, line: readonly string[]): Promise<ControlAnswer> {
  const r = await transport.exec(
    runtimeControlCommand(["--json"], line),
    { timeoutMs: 30_000, check: false },
  );
  try {
    return JSON.parse(r.stdout) as ControlAnswer;
  } catch {
    throw new RemoteError(transport.host, `mmm control ${line.join(" ")} gave no answer: is the monitor running (bootstrap installs it)?`, {
      command: `mmm control --json ${line.join(" ")}`,
      exitCode: r.code,
      stderr: r.stderr || r.stdout,
    });
  }
}

export function stateOf(status: MonitorStatus | undefined, host: string): string {
  return status?.hosts.find((h) => h.name === host)?.state ?? "UNKNOWN";
}

export function holderOf(status: MonitorStatus | undefined, role: string): string | null {
  return status?.hosts.find((h) => h.roles.some((r) => r.role === role))?.name ?? null;
}
