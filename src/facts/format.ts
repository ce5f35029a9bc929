import { formatTable } from "../util/table.js";
import type { HostFacts } from "./parse.js";

const FLAVOR_NAME = { mariadb: "MariaDB", mysql: "MySQL", percona: "Percona", unknown: "unknown" } as const;

export function formatClock(c: HostFacts["clock"]): string {
  if (!Number.isFinite(c.offsetMs)) return "?";
  const sign = c.offsetMs >= 0 ? "+" : "-";
  return `${sign}${Math.abs(c.offsetMs).toFixed(1)} ms ±${c.uncertaintyMs.toFixed(1)}`;
}

/** One row per host; a host that could not be probed shows its error instead. */
export function formatFacts(results: readonly ({ host: string } & ({ facts: HostFacts } | { error: string }))[]): string {
  const rows = results.map((r) => {
    if ("error" in r) return [r.host, `error: ${r.error}`];
    const f = r.facts;
    const mysql = f.mysql
      ? `${FLAVOR_NAME[f.mysql.flavor]} ${f.mysql.version}${f.mysql.running ? "" : " (stopped)"}`
      : "absent";
    const addrs = f.interfaces
      .filter((i) => i.name !== "lo")
      .map((i) => `${i.name}${i.up ? "" : "(down)"} ${i.addresses.filter((a) => a.family === "inet").map((a) => `${a.address}/${a.prefix}`).join(",") || "-"}`)
      .join("; ");
    return [
      r.host,
      f.hostname,
      `${f.os.name}`,
      f.init,
      mysql,
      f.mysql?.includeDirs.join(",") || "-",
      addrs || "-",
      formatClock(f.clock),
    ];
  });
  return formatTable(["HOST", "HOSTNAME", "OS", "INIT", "MYSQL", "INCLUDE DIRS", "INTERFACES", "CLOCK OFFSET"], rows);
}
