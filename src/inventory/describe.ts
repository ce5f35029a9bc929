import { formatTable } from "../util/table.js";
import type { Account, Inventory, InventoryHost } from "./model.js";

/**
 * What `mmm inventory check` shows: the topology as plain data (printed as text or JSON).
 * Passwords appear as "***", or as "$NAME" when read from an environment variable.
 */
export interface InventoryReport {
  readonly file: string;
  readonly hosts: readonly {
    readonly name: string;
    readonly kind: InventoryHost["kind"];
    readonly address: string;
    readonly ssh: string;
    readonly sudo: boolean;
    readonly serverId: number | null;
    readonly replicatesFrom: string | null;
    readonly clusterInterface: string;
    readonly mysqlPort: number | null;
  }[];
  /** "db1 <-> db2" for the master pair, "db1 -> db3" for a slave. */
  readonly replication: readonly { readonly from: string; readonly to: string; readonly mutual: boolean }[];
  readonly roles: readonly { readonly name: string; readonly mode: string; readonly hosts: readonly string[]; readonly ips: readonly string[]; readonly prefer: string | null }[];
  readonly settings: {
    readonly accounts: readonly { readonly role: string; readonly user: string; readonly password: string }[];
    readonly appDatabases: readonly string[] | null;
    readonly ntpServers: readonly string[];
    readonly ntpAdjustClock: boolean;
    readonly semiSync: boolean;
    readonly gtid: boolean;
    readonly clusterPrefix: number;
    readonly agentPort: number;
    readonly monitorPort: number;
  };
}

export function describeInventory(inv: Inventory): InventoryReport {
  const s = inv.settings;
  const password = (a: Account): string => (a.passwordEnv ? `$${a.passwordEnv}` : "***");
  const account = (role: string, a: Account) => ({ role, user: a.user, password: password(a) });
  const replication: { from: string; to: string; mutual: boolean }[] = [];
  const [m1, m2] = inv.masters;
  if (m1 && m2) replication.push({ from: m1.name, to: m2.name, mutual: true });
  for (const m of inv.masters) for (const sl of inv.slaves) if (sl.master === m.name) replication.push({ from: m.name, to: sl.name, mutual: false });
  return {
    file: inv.file,
    hosts: inv.hosts.map((h) => ({
      name: h.name,
      kind: h.kind,
      address: h.address,
      ssh: `${h.ssh.user}@${h.ssh.address}:${h.ssh.port}`,
      sudo: h.ssh.become,
      serverId: h.serverId ?? null,
      replicatesFrom: h.peer ?? h.master ?? null,
      clusterInterface: h.clusterInterface,
      mysqlPort: h.kind === "monitor" ? null : h.mysqlPort,
    })),
    replication,
    roles: inv.roles.map((r) => ({ name: r.name, mode: r.mode, hosts: r.hosts, ips: r.ips, prefer: r.prefer ?? null })),
    settings: {
      accounts: [
        account("replication", s.replication),
        account("agent", s.agent),
        account("monitor", s.monitor),
        ...(s.app ? [account("app", s.app)] : []),
      ],
      appDatabases: s.app ? s.app.databases : null,
      ntpServers: s.ntpServers,
      ntpAdjustClock: s.ntpAdjustClock,
      semiSync: s.semiSync,
      gtid: s.gtid,
      clusterPrefix: s.clusterPrefix,
      agentPort: s.agentPort,
      monitorPort: s.monitorPort,
    },
  };
}

/** `shownAs`: the file name as the user typed it. */
export function formatInventoryReport(r: InventoryReport, shownAs: string = r.file): string {
  const dash = (v: string | number | null): string => (v === null ? "-" : String(v));
  const hosts = formatTable(
    ["host", "kind", "address", "ssh", "server id", "replicates from", "interface"],
    r.hosts.map((h) => [h.name, h.kind, h.address, h.ssh + (h.sudo ? " (sudo)" : ""), dash(h.serverId), dash(h.replicatesFrom), h.clusterInterface]),
  );
  const graph = r.replication.map((e) => `${e.from} ${e.mutual ? "<->" : "->"} ${e.to}`);
  const roles = formatTable(
    ["role", "mode", "hosts", "VIPs"],
    r.roles.map((x) => [x.name, x.mode, x.hosts.join(", ") + (x.prefer ? ` (prefer ${x.prefer})` : ""), x.ips.join(", ")]),
  );
  const s = r.settings;
  const settings = formatTable(null, [
    ...s.accounts.map((a) => [`${a.role} account`, `${a.user} / ${a.password}`]),
    ...(s.appDatabases ? [["app databases", s.appDatabases.join(", ")]] : []),
    ["ntp servers", s.ntpServers.join(", ") + (s.ntpAdjustClock ? "" : " (clock never adjusted: chronyd -x)")],
    ["replication", `${s.gtid ? "GTID" : "binlog file/position"}${s.semiSync ? ", semi-synchronous" : ""}`],
    ["cluster network", `/${s.clusterPrefix}`],
    ["ports", `agent ${s.agentPort}, monitor ${s.monitorPort}`],
  ]);
  const indent = (t: string) =>
    t
      .split("\n")
      .map((l) => `  ${l}`)
      .join("\n");
  return [
    `${shownAs}: ${r.hosts.length} hosts, valid`,
    "",
    "hosts",
    indent(hosts),
    "",
    "replication",
    indent(graph.length ? graph.join("\n") : "(single master, no slaves)"),
    "",
    "roles",
    indent(roles),
    "",
    "settings",
    indent(settings),
    "",
  ].join("\n");
}
