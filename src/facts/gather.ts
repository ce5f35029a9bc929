import type { Transport } from "../remote/transport.js";
import { raw, sh } from "../remote/shell.js";
import { estimateOffset, parseProbe, PROBE_SCRIPT, type HostFacts } from "./parse.js";

const CLOCK_SAMPLES = 3;

/**
 * Runs the probe (one round trip) and samples the clock, side by side on two channels of the
 * same connection (the samples are round trips of their own and keep the fastest).
 */
export async function gatherFacts(transport: Transport): Promise<HostFacts> {
  const clock = sampleClock(transport);
  clock.catch(() => undefined);
  const probe = await transport.exec(sh`${raw(PROBE_SCRIPT)}`);
  return parseProbe(transport.host, probe.stdout, await clock);
}

/**
 * Clock samples over one session that answers each newline with the time: a fresh SSH command
 * per sample would put the session's start-up on the request path only, and bias the offset by
 * half of it. Here both directions of a round trip cost the same.
 */
export async function sampleClock(transport: Transport): Promise<HostFacts["clock"]> {
  const proc = await transport.spawn(sh`while read -r _; do date +%s%N; done`, 30_000);
  const lines: string[] = [];
  let buf = "";
  let wake: (() => void) | undefined;
  proc.stdout.on("data", (d: Buffer) => {
    buf += d.toString("utf8");
    let i: number;
    while ((i = buf.indexOf("\n")) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
      wake?.();
    }
  });
  const samples = [];
  try {
    for (let n = 0; n < CLOCK_SAMPLES; n++) {
      const sentMs = performance.timeOrigin + performance.now();
      const got = new Promise<void>((resolve, reject) => {
        wake = resolve;
        setTimeout(() => reject(new Error(`${transport.host}: no clock sample within 5 s`)), 5000).unref();
      });
      proc.stdin.write("\n");
      await got;
      const receivedMs = performance.timeOrigin + performance.now();
      samples.push({ sentMs, receivedMs, remoteMs: Number(BigInt(lines[n]!.trim()) / 1000n) / 1000 });
    }
  } finally {
    proc.stdin.end();
    await proc.done;
  }
  return estimateOffset(samples);
}
