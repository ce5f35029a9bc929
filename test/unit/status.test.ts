import { describe, expect, it } from "vitest";
import { buildClusterStatus, mergeMonitorView, type HostObservation, type MonitorSummary, type StatusTopology } from "../../src/status/cluster-status.js";
import { formatStatus, hostCells, STATUS_HEADER } from "../../src/status/format-status.js";
import { parseControlJson, parseHostScript } from "../../src/status/gather-status.js";
import { parseReplicaStatusRow } from "../../src/sql/status.js";
import { formatMmmTime } from "../../src/ha/format.js";
import type { MonitorState } from "../../src/ha/state.js";

const TOPO: StatusTopology = {
  monitor: { name: "monitor", address: "10.0.0.1" },
  hosts: [
    { name: "db1", address: "10.0.0.2", mode: "master" },
    { name: "db2", address: "10.0.0.3", mode: "master" },
    { name: "db3", address: "10.0.0.4", mode: "slave" },
  ],
  roles: [
    { name: "writer", ips: ["10.0.0.100"] },
    { name: "reader", ips: ["10.0.0.101", "10.0.0.102"] },
  ],
};

function replica(source: string, over: Record<string, unknown> = {}) {
  return parseReplicaStatusRow({
    Master_Host: source,
    Slave_IO_Running: "Yes",
    Slave_SQL_Running: "Yes",
    Seconds_Behind_Master: 0,
    Last_SQL_Errno: 0,
    Last_SQL_Error: "",
    Using_Gtid: "Slave_Pos",
    Gtid_IO_Pos: "0-1-10",
    ...over,
  });
}

const LIVE: MonitorSummary = {
  mode: "ACTIVE",
  hosts: [
    { name: "db1", state: "ONLINE", reason: "set_online by admin", roles: [{ role: "writer", ip: "10.0.0.100" }, { role: "reader", ip: "10.0.0.101" }] },
    { name: "db2", state: "ONLINE", reason: "set_online by admin", roles: [{ role: "reader", ip: "10.0.0.102" }] },
    { name: "db3", state: "ONLINE", reason: "set_online by admin", roles: [] },
  ],
};

function obs(over: Partial<Record<string, Partial<HostObservation>>> = {}): HostObservation[] {
  const base: HostObservation[] = [
    { name: "db1", addresses: ["10.0.0.2", "10.0.0.100", "10.0.0.101"], mysql: { serverId: 1, readOnly: false, gtid: "0-1-10", replica: replica("10.0.0.3") } },
    { name: "db2", addresses: ["10.0.0.3", "10.0.0.102"], mysql: { serverId: 2, readOnly: true, gtid: "0-1-10", replica: replica("10.0.0.2") } },
    { name: "db3", addresses: ["10.0.0.4"], mysql: { serverId: 3, readOnly: true, gtid: "0-1-10", replica: replica("10.0.0.2") } },
  ];
  return base.map((o) => ({ ...o, ...(over[o.name] ?? {}) }));
}

const STORED_AT = Date.UTC(2025, 0, 2, 3, 4, 5);
function stored(over: Partial<MonitorState> = {}): MonitorState {
  const rec = (state: "ONLINE" | "ADMIN_OFFLINE", since: number, reason: string) => ({
    state,
    since,
    reason,
    onlineSince: null,
    flapping: false,
    flapStart: null,
    flapCount: 0,
    lastOnlineUptime: null,
    errant: null,
  });
  return {
    version: 1,
    mode: "ACTIVE",
    passiveInfo: "",
    hosts: { db1: rec("ONLINE", 1000, "set_online by admin"), db2: rec("ONLINE", 2000, "set_online by admin"), db3: rec("ADMIN_OFFLINE", 3000, "set_offline by admin") },
    roles: [
      { role: "writer", ip: "10.0.0.100", host: "db1" },
      { role: "reader", ip: "10.0.0.101", host: "db1" },
      { role: "reader", ip: "10.0.0.102", host: null },
    ],
    leases: {},
    grants: { vips: {}, writable: [] },
    transition: null,
    lastWriter: "db1",
    writerSince: 1000,
    situation: "Healthy",
    updatedAt: STORED_AT,
    ...over,
  };
}

const NOW = 5_000;

describe("mmm status: diagnosis", () => {
  const cases: { name: string; live: MonitorSummary | null; error?: string; stored?: MonitorState | null; obs: HostObservation[]; problems: string[] }[] = [
    { name: "a healthy cluster has no problem", live: LIVE, obs: obs(), problems: [] },
    {
      name: "a host not ONLINE is named with its state, since and reason",
      live: { ...LIVE, hosts: LIVE.hosts.map((h) => (h.name === "db3" ? { ...h, state: "ADMIN_OFFLINE", reason: "set_offline by admin" } : h)) },
      stored: stored(),
      obs: obs(),
      problems: [`db3: ADMIN_OFFLINE since ${formatMmmTime(3000)}: set_offline by admin`],
    },
    {
      name: "an unassigned role is a problem",
      live: { ...LIVE, hosts: LIVE.hosts.map((h) => (h.name === "db2" ? { ...h, roles: [] } : h)) },
      obs: obs({ db2: { addresses: ["10.0.0.3"] } }),
      problems: ["role reader(10.0.0.102) is not assigned to any host"],
    },
    {
      name: "a VIP the monitor assigns but the host lacks",
      live: LIVE,
      obs: obs({ db1: { addresses: ["10.0.0.2", "10.0.0.101"] } }),
      problems: ["db1: the monitor assigns writer(10.0.0.100) but the IP is not on the host"],
    },
    {
      name: "a VIP on two hosts at once",
      live: LIVE,
      obs: obs({ db2: { addresses: ["10.0.0.3", "10.0.0.102", "10.0.0.100"] } }),
      problems: ["db2: holds writer(10.0.0.100), which the monitor assigns to db1", "writer(10.0.0.100) is on db1 and db2 at once"],
    },
    {
      name: "a stopped SQL thread with its error",
      live: LIVE,
      obs: obs({
        db3: {
          mysql: {
            serverId: 3,
            readOnly: true,
            gtid: "0-1-9",
            replica: replica("10.0.0.2", { Slave_SQL_Running: "No", Last_SQL_Errno: 1062, Last_SQL_Error: "Duplicate entry '1' for key 'PRIMARY'" }),
          },
        },
      }),
      problems: ["db3: replication from db1: SQL thread stopped (SQL thread error 1062: Duplicate entry '1' for key 'PRIMARY')"],
    },
    {
      name: "an unreachable host",
      live: LIVE,
      obs: obs({ db2: { addresses: null, addressError: "SSH connection timed out", mysql: null, mysqlError: "host not reachable" } }),
      problems: ["db2: cannot read its interface: SSH connection timed out", "db2: cannot query MySQL: host not reachable"],
    },
    {
      name: "a silent monitor: said so, and its status file stands in",
      live: null,
      error: "connect ECONNREFUSED 10.0.0.1:9988",
      stored: stored(),
      obs: obs({ db2: { addresses: ["10.0.0.3"] } }),
      problems: [
        `monitor: no answer from monitor (10.0.0.1): connect ECONNREFUSED 10.0.0.1:9988; states and roles below are from its status file, written ${formatMmmTime(STORED_AT)}`,
        `db3: ADMIN_OFFLINE since ${formatMmmTime(3000)}: set_offline by admin`,
        "role reader(10.0.0.102) is not assigned to any host",
      ],
    },
    {
      name: "no monitor and no status file: only the hosts' word",
      live: null,
      error: "timed out",
      stored: null,
      obs: obs(),
      problems: ["monitor: no answer from monitor (10.0.0.1): timed out; states and roles below are unknown"],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const view = mergeMonitorView(TOPO, c.live, c.error, c.stored ?? null);
      const s = buildClusterStatus(TOPO, view, c.obs, NOW);
      expect(s.problems).toEqual(c.problems);
      expect(s.ok).toBe(c.problems.length === 0);
    });
  }

  it("keeps a state's start time from the status file only while it names the same state", () => {
    const live = { ...LIVE, hosts: LIVE.hosts.map((h) => (h.name === "db3" ? { ...h, state: "ONLINE" } : h)) };
    const view = mergeMonitorView(TOPO, live, undefined, stored());
    expect(view.hosts.db1!.since).toBe(1000);
    expect(view.hosts.db3!.since).toBeNull(); // the file says ADMIN_OFFLINE, the live answer ONLINE
  });
});

describe("mmm status: rendering", () => {
  it("prints one row per host whose cells are the JSON's values", () => {
    const s = buildClusterStatus(TOPO, mergeMonitorView(TOPO, LIVE, undefined, stored()), obs(), NOW);
    const text = formatStatus(s);
    const lines = text.split("\n");
    expect(lines[0]).toBe("monitor monitor (10.0.0.1): mode ACTIVE");
    expect(lines[2]!.split(/\s{2,}/)).toEqual([...STATUS_HEADER]);
    for (const h of s.hosts) {
      const row = lines.find((l) => l.startsWith(`${h.name} `))!;
      const cells = hostCells(h);
      // The last cell holds spaces; compare the others column by column.
      expect(row.split(/\s{2,}/).slice(0, cells.length - 1)).toEqual(cells.slice(0, -1));
      expect(row.endsWith(cells.at(-1)!)).toBe(true);
    }
    const json = JSON.parse(JSON.stringify(s)) as typeof s;
    expect(json.hosts.map((h) => [h.name, h.state, h.readOnly])).toEqual([
      ["db1", "ONLINE", false],
      ["db2", "ONLINE", true],
      ["db3", "ONLINE", true],
    ]);
    expect(text).toContain("ok: every host ONLINE");
  });

  const cellCases: { name: string; over: Partial<HostObservation>; cell: string }[] = [
    { name: "exact match", over: {}, cell: "ok" },
    { name: "missing VIP", over: { addresses: ["10.0.0.2", "10.0.0.101"] }, cell: "! 10.0.0.101" },
    { name: "no VIP at all", over: { addresses: ["10.0.0.2"] }, cell: "! none" },
    { name: "unreadable", over: { addresses: null }, cell: "?" },
  ];
  for (const c of cellCases) {
    it(`VIPs on host cell: ${c.name}`, () => {
      const s = buildClusterStatus(TOPO, mergeMonitorView(TOPO, LIVE, undefined, null), obs({ db1: c.over }), NOW);
      expect(hostCells(s.hosts[0]!)[5]).toBe(c.cell);
    });
  }

  it("lists problems under the table", () => {
    const s = buildClusterStatus(TOPO, mergeMonitorView(TOPO, null, "timed out", null), obs(), NOW);
    const text = formatStatus(s);
    expect(text.split("\n")[0]).toBe("monitor monitor (10.0.0.1): NO ANSWER and no stored state");
    expect(text).toContain("problems (1)\n  monitor: no answer from monitor (10.0.0.1): timed out");
  });
});

describe("mmm status: parsers", () => {
  it("reads addresses and the socket from the host script's output", () => {
    const ip = JSON.stringify([
      { ifname: "eth0", addr_info: [{ family: "inet", local: "10.0.0.2", prefixlen: 24 }, { family: "inet", local: "10.0.0.100", prefixlen: 32 }, { family: "inet6", local: "fe80::1", prefixlen: 64 }] },
    ]);
    expect(parseHostScript(`${ip}\n\nMMM-SOCKET\n/var/run/mysqld/mysqld.sock\n`, "eth0")).toEqual({
      addresses: ["10.0.0.2", "10.0.0.100"],
      socket: "/var/run/mysqld/mysqld.sock",
    });
    expect(parseHostScript(`${ip}\n\nMMM-SOCKET\n`, "eth0").socket).toBe("/run/mysqld/mysqld.sock");
  });

  it("reads the monitor's status out of mmm control --json", () => {
    const out = JSON.stringify({ command: "show", output: "  db1(…)", exitCode: 0, status: { mode: "ACTIVE", hosts: [{ name: "db1", ip: "10.0.0.2", mode: "master", state: "ONLINE", reason: "", roles: [] }] } });
    expect(parseControlJson(out)).toEqual({ mode: "ACTIVE", hosts: [{ name: "db1", state: "ONLINE", reason: "", roles: [] }] });
    expect(() => parseControlJson(JSON.stringify({ output: "x" }))).toThrow();
  });
});
