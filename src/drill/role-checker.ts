import type { InventoryHost } from "../inventory/model.js";
import type { Fleet } from "../remote/fleet.js";
import { quote, sh } from "../remote/shell.js";
import { RemoteError } from "../errors.js";
import { parseSampleLine, type RoleSample } from "./drill-analysis.js";

/**
 * Samples every database host throughout a drill: each ~100 ms, whether its server is writable
 * (@@read_only, asked as root over the local socket) and which IPs its cluster interface holds.
 *
 * The loop runs ON each host, detached, writing to a file there, and is read back at the end.
 * A loop fed live over SSH would lose exactly the samples that matter when the host is cut off
 * the network (is the isolated writer still writable?); one written locally keeps them, with the
 * host's own timestamps, corrected later by its measured clock offset. It ends by itself after
 * `maxSeconds`, so a controller that dies leaves nothing running for long.
 */
export const SAMPLE_DIR = "/run/mmm-drill";

export interface RunningChecker {
  readonly host: string;
  readonly pid: number;
  readonly file: string;
}

export function samplingScript(iface: string, intervalMs: number): string {
  const pause = (intervalMs / 1000).toFixed(3);
  // `-` when the server does not answer: down is not writable, and not read-only either.
  return `cli=$(command -v mariadb || command -v mysql)
while :; do
  t=$(date +%s%N)
  ro=$($cli -N -B --connect-timeout=1 -e 'SELECT @@GLOBAL.read_only' 2>/dev/null) || ro=-
  case $ro in 0|1) ;; *) ro=- ;; esac
  ips=$(ip -o addr show dev ${quote(iface)} 2>/dev/null | awk '{ split($4, a, "/"); printf "%s,", a[1] }')
  echo "$t $ro $ips"
  sleep ${pause}
done`;
}

export async function startChecker(fleet: Fleet, host: InventoryHost, run: string, intervalMs: number, maxSeconds: number): Promise<RunningChecker> {
  const file = `${SAMPLE_DIR}/${run}-${host.name}.samples`;
  const script = samplingScript(host.clusterInterface, intervalMs);
  const r = await fleet.get(host.name).exec(
    sh`mkdir -p ${SAMPLE_DIR} && setsid nohup timeout ${String(maxSeconds)} sh -c ${script} >${file} 2>/dev/null </dev/null & echo $!`,
    { timeoutMs: 15_000 },
  );
  const pid = Number(r.stdout.trim());
  if (!Number.isInteger(pid) || pid <= 0) throw new RemoteError(host.name, `the role sampler did not start (got "${r.stdout.trim()}")`);
  return { host: host.name, pid, file };
}

/** Every sample so far (the loop keeps running). offsetMs: the host's clock minus ours. */
export async function readSamples(fleet: Fleet, c: RunningChecker, offsetMs: number): Promise<RoleSample[]> {
  const r = await fleet.get(c.host).exec(sh`cat ${c.file}`, { timeoutMs: 30_000 });
  return parseSamples(c.host, r.stdout, offsetMs);
}

export function parseSamples(host: string, text: string, offsetMs: number): RoleSample[] {
  return text
    .split("\n")
    .map((l) => parseSampleLine(host, l, offsetMs))
    .filter((s): s is RoleSample => s !== null);
}

/** Stops the loop (by its pid) and removes its file; best effort: a host that is down is left to the loop's own timeout. */
export async function stopChecker(fleet: Fleet, c: RunningChecker): Promise<void> {
  await fleet
    .get(c.host)
    .exec(sh`kill ${String(c.pid)} 2>/dev/null; rm -f ${c.file}`, { timeoutMs: 10_000, check: false })
    .catch(() => undefined);
}
