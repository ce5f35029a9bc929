import type { InventoryHost } from "../inventory/model.js";
import type { Fleet } from "../remote/fleet.js";
import { sh } from "../remote/shell.js";
import { RemoteError } from "../errors.js";
import { parseSampleLine, type RoleSample } from "./drill-analysis.js";

/**
 * Samples every database host throughout a drill: each ~100 ms, whether its server is writable
 * (@@read_only, asked as root over the local socket) and which IPv4 addresses it holds.
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

/**
 * The sampling loop, in bash and nearly fork-free: the drill measures failover times on the same
 * CPUs as the cluster, so its own overhead must stay small. A fresh client and `ip | awk` per
 * sample (five processes and a MySQL login every 100 ms per host) took more CPU than the whole
 * cluster on a 2-CPU lab and slowed the failovers it measured. Now one client session per host
 * answers every sample (restarted only when the server stops answering), the time is bash's
 * $EPOCHREALTIME, the addresses are the host's local ones from /proc/net/fib_trie (role IPs and
 * its own address; loopback left out), and the pause is a `read -t` on a pipe that never speaks.
 */
export function samplingScript(intervalMs: number): string {
  const pause = (intervalMs / 1000).toFixed(3);
  // `-` when the server does not answer: down is not writable, and not read-only either.
  return `cli=$(command -v mariadb || command -v mysql)
exec 3<> <(:)
db() { coproc DB { exec "$cli" -N -B -n --connect-timeout=1 2>/dev/null; }; }
db
while :; do
  t=\${EPOCHREALTIME//[!0-9]/}000
  ro=-
  if ! { printf 'SELECT @@GLOBAL.read_only;\n' >&"\${DB[1]}"; } 2>/dev/null || ! read -r -t 1 -u "\${DB[0]}" ro 2>/dev/null; then
    ro=-
    if [ -n "\${DB_PID:-}" ]; then kill "\${DB_PID}" 2>/dev/null; wait "\${DB_PID}" 2>/dev/null; fi
    db
  fi
  case $ro in 0|1) ;; *) ro=- ;; esac
  ips= ip=
  while read -r a b c; do
    case $a in
      '|--') ip=$b ;;
      /32) if [ "$c" = LOCAL ]; then case $ip in 127.*) ;; *) case ",$ips" in *",$ip,"*) ;; *) ips="$ips$ip," ;; esac ;; esac; fi ;;
    esac
  done < /proc/net/fib_trie
  echo "$t $ro $ips"
  read -r -t ${pause} -u 3 || :
done`;
}

export async function startChecker(fleet: Fleet, host: InventoryHost, run: string, intervalMs: number, maxSeconds: number): Promise<RunningChecker> {
  const file = `${SAMPLE_DIR}/${run}-${host.name}.samples`;
  const script = samplingScript(intervalMs);
  const r = await fleet.get(host.name).exec(
    sh`mkdir -p ${SAMPLE_DIR} && setsid nohup timeout ${String(maxSeconds)} bash -c ${script} >${file} 2>/dev/null </dev/null & echo $!`,
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
