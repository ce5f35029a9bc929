import type { Transport } from "../remote/transport.js";
import { raw, sh } from "../remote/shell.js";
import { estimateOffset, parseProbe, PROBE_SCRIPT, type HostFacts } from "./parse.js";

/** The fastest of a few round trips bounds the error; two are enough on a LAN. */
const CLOCK_SAMPLES = 2;

/** Runs the probe (one round trip) and samples the clock; the connection must already work. */
export async function gatherFacts(transport: Transport): Promise<HostFacts> {
  const probe = await transport.exec(sh`${raw(PROBE_SCRIPT)}`);
  const samples = [];
  for (let i = 0; i < CLOCK_SAMPLES; i++) {
    const sentMs = Date.now();
    const r = await transport.exec(sh`date +%s%N`);
    const receivedMs = Date.now();
    samples.push({ sentMs, receivedMs, remoteMs: Number(BigInt(r.stdout.trim()) / 1000n) / 1000 });
  }
  return parseProbe(transport.host, probe.stdout, estimateOffset(samples));
}
