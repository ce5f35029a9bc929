import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import {
  LAB_HOSTS,
  LAB_INIT_SCRIPT,
  LAB_KEY,
  LAB_KNOWN_HOSTS,
  PROXY_COMMAND,
  READER_VIPS,
  WRITER_VIP,
  bridgePort,
  hostNetns,
} from "../../src/lab/constants.js";
import { parseMariadbdVersion } from "../../src/lab/datadir-template.js";
import { HOST_INIT_SCRIPT, hostInitArgv } from "../../src/lab/host-init-script.js";
import { ipv4Addresses, isAdminUp, parseIpJson } from "../../src/lab/ip-json.js";
import { parseHostKey, renderKnownHosts, renderSshConfig } from "../../src/lab/known-hosts.js";
import { mountsUnder } from "../../src/lab/lab-down.js";
import { nsenterArgv } from "../../src/lab/lab-exec.js";
import { parseMysqldAction, parseNetAction } from "../../src/lab/lab-faults.js";
import { isHostInit } from "../../src/lab/lab-processes.js";
import { parseLabState, renderLabState } from "../../src/lab/lab-state.js";
import { formatStatus, hostProblems, isLabAbsent, isLabHealthy, labProblems, type HostStatus, type LabStatus } from "../../src/lab/lab-status.js";
import { describeMissing } from "../../src/lab/preflight.js";
import {
  parseCmdline,
  parseMountPoints,
  parseNsLink,
  parseNsPids,
  parseProcState,
  parseRootMountOptions,
  type ProcInfo,
} from "../../src/lab/proc.js";

describe("lab constants", () => {
  it("mirror the tutorial's five hosts on 192.168.77.0/24", () => {
    expect(LAB_HOSTS.map((h) => `${h.name}=${h.address}`)).toEqual([
      "monitor=192.168.77.1",
      "db1=192.168.77.2",
      "db2=192.168.77.3",
      "db3=192.168.77.4",
      "db4=192.168.77.5",
    ]);
    expect(WRITER_VIP).toBe("192.168.77.100");
    expect(READER_VIPS).toEqual(["192.168.77.101", "192.168.77.102", "192.168.77.103", "192.168.77.104"]);
    expect(PROXY_COMMAND).toBe("ip netns exec mmm-lab nc %h %p");
    expect(hostNetns("db1")).toBe("mmm-db1");
    expect(bridgePort("db1")).toBe("v-db1");
  });
});

describe("host init script", () => {
  it("is valid sh and carries no TypeScript interpolation leftovers", () => {
    const r = spawnSync("sh", ["-n"], { input: HOST_INIT_SCRIPT });
    expect(r.status).toBe(0);
    expect(HOST_INIT_SCRIPT).not.toMatch(/\$\{/);
    expect(HOST_INIT_SCRIPT).not.toContain("undefined");
  });

  it("mounts the overlay before it writes anything, and pivots before touching /etc", () => {
    const at = (s: string) => HOST_INIT_SCRIPT.indexOf(s);
    expect(at("mount -t overlay")).toBeGreaterThan(0);
    expect(at("mount -t overlay")).toBeLessThan(at("mknod"));
    expect(at("= overlayfs ]")).toBeLessThan(at("mknod"));
    expect(at("pivot_root . .")).toBeLessThan(at("> /etc/hostname"));
    expect(at("pivot_root . .")).toBeLessThan(at("ssh-keygen -A"));
    expect(HOST_INIT_SCRIPT.trimEnd().split("\n").at(-1)).toBe("exec tini -s -- sleep infinity");
  });

  it("starts in the host's netns with new mount, UTS, IPC and PID namespaces, values as arguments", () => {
    expect(hostInitArgv({ name: "db2", kind: "db", address: "192.168.77.3" }, "/lab", "/lab/init.sh")).toEqual([
      "ip", "netns", "exec", "mmm-db2",
      "unshare", "--mount", "--uts", "--ipc", "--pid", "--fork", "--propagation", "private", "--",
      "/bin/sh", "/lab/init.sh", "db2", "/lab", "db", "mmm",
    ]);
  });

  it("enters every namespace of a host", () => {
    expect(nsenterArgv(42, ["hostname"])).toEqual(["nsenter", "--target", "42", "--mount", "--uts", "--ipc", "--net", "--pid", "--", "hostname"]);
  });
});

describe("/proc parsers", () => {
  it.each([
    ["net:[4026532245]", 4026532245],
    ["pid:[4026531836]", 4026531836],
    ["garbage", null],
  ])("parseNsLink(%s)", (link, want) => {
    expect(parseNsLink(link)).toBe(want);
  });

  it("reads NSpid and State from /proc/PID/status", () => {
    const status = "Name:\ttini\nState:\tS (sleeping)\nPid:\t9091\nNSpid:\t9091\t1\n";
    expect(parseNsPids(status)).toEqual([9091, 1]);
    expect(parseProcState(status)).toBe("S");
    expect(parseNsPids("Name:\tx\n")).toBeNull();
  });

  it("splits a NUL-separated cmdline", () => {
    expect(parseCmdline("/bin/sh\0/var/lib/mmm-lab/host-init.sh\0db1\0")).toEqual(["/bin/sh", "/var/lib/mmm-lab/host-init.sh", "db1"]);
    expect(parseCmdline("")).toEqual([]);
  });

  const mountinfo = [
    "2950 2949 0:92 / / rw,relatime - overlay overlay rw,lowerdir=/,upperdir=/var/lib/mmm-lab/hosts/db1/upper,workdir=/var/lib/mmm-lab/hosts/db1/work,uuid=on",
    "2951 2950 0:94 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw",
    "42 41 0:4 net:[4026532176] /run/netns/mmm-lab rw shared:2 - nsfs nsfs rw",
    "50 41 0:5 / /mnt/with\\040space rw - tmpfs tmpfs rw",
  ].join("\n");

  it("finds the root mount's options and unescapes mount points", () => {
    expect(parseRootMountOptions(mountinfo)).toContain("upperdir=/var/lib/mmm-lab/hosts/db1/upper");
    expect(parseMountPoints(mountinfo)).toEqual(["/", "/proc", "/run/netns/mmm-lab", "/mnt/with space"]);
  });

  it("lists mounts at or under a directory, not siblings sharing a prefix", () => {
    expect(mountsUnder(["/", "/var/lib/mmm-lab", "/var/lib/mmm-lab/hosts/db1/root", "/var/lib/mmm-lab2"], "/var/lib/mmm-lab")).toEqual([
      "/var/lib/mmm-lab",
      "/var/lib/mmm-lab/hosts/db1/root",
    ]);
  });
});

describe("isHostInit: the lab signals only its own hosts' inits", () => {
  const proc = (over: Partial<ProcInfo>): ProcInfo => ({ pid: 100, netns: 7, nsPids: [100, 1], state: "S", cmdline: ["tini"], ...over });
  const overlay = "rw,lowerdir=/,upperdir=/var/lib/mmm-lab/hosts/db1/upper,workdir=/var/lib/mmm-lab/hosts/db1/work";
  it.each([
    ["PID 1 of a child PID namespace in the host's netns", proc({}), { netnsInode: 7, rootOptions: null }, true],
    ["same netns but not a PID-namespace init", proc({ nsPids: [100, 5] }), { netnsInode: 7, rootOptions: null }, false],
    ["a process of the machine's own PID namespace", proc({ nsPids: [100] }), { netnsInode: 7, rootOptions: null }, false],
    ["another netns and no lab overlay", proc({ netns: 8 }), { netnsInode: 7, rootOptions: "rw" }, false],
    ["netns deleted, but its root is the host's overlay", proc({ netns: 8 }), { netnsInode: null, rootOptions: overlay }, true],
    ["another host's overlay", proc({ netns: 8 }), { netnsInode: null, rootOptions: overlay.replace(/db1/g, "db2") }, false],
    ["still running the init script for this host", proc({ netns: 8, cmdline: ["/bin/sh", LAB_INIT_SCRIPT, "db1", "/x", "db"] }), { netnsInode: null, rootOptions: null }, true],
    ["running the init script for another host", proc({ netns: 8, cmdline: ["/bin/sh", LAB_INIT_SCRIPT, "db2"] }), { netnsInode: null, rootOptions: null }, false],
  ] as const)("%s", (_name, p, ev, want) => {
    expect(isHostInit(p, "db1", ev)).toBe(want);
  });
});

describe("state.json", () => {
  const state = { version: 1 as const, startedAt: "2026-01-01T00:00:00.000Z", hosts: [{ name: "db1", initPid: 10, netnsInode: 20 }] };

  it("round-trips", () => {
    expect(parseLabState(renderLabState(state))).toEqual({ ok: true, state });
  });

  it.each([
    ["{ not json", /^state\.json: not JSON/],
    [JSON.stringify({ ...state, version: 2 }), /^state\.json: version: /],
    [JSON.stringify({ ...state, hosts: [{ name: "db1", initPid: -1, netnsInode: 20 }] }), /^state\.json: hosts\.0\.initPid: /],
    [JSON.stringify({ ...state, extra: 1 }), /^state\.json: \(top\): Unrecognized key/],
  ])("rejects %s with where and why", (text, want) => {
    const r = parseLabState(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(want);
  });
});

describe("SSH client files", () => {
  it("parses a host public key and renders known_hosts by address", () => {
    const key = parseHostKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFOm root@db1\n");
    expect(key).toEqual({ type: "ssh-ed25519", key: "AAAAC3NzaC1lZDI1NTE5AAAAIFOm" });
    expect(parseHostKey("not a key")).toBeNull();
    expect(renderKnownHosts([{ address: "192.168.77.2", key: key! }])).toBe("192.168.77.2 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFOm\n");
  });

  it("renders an ssh_config that goes through the switch with the lab key", () => {
    const cfg = renderSshConfig(LAB_HOSTS);
    expect(cfg).toContain("Host db1\n  HostName 192.168.77.2\n");
    expect(cfg).toContain(`  ProxyCommand ${PROXY_COMMAND}\n`);
    expect(cfg).toContain(`  IdentityFile ${LAB_KEY}\n`);
    expect(cfg).toContain(`  UserKnownHostsFile ${LAB_KNOWN_HOSTS}\n`);
    expect(cfg).toContain("  StrictHostKeyChecking yes\n");
  });
});

describe("small parsers", () => {
  it("reads the MariaDB version and series", () => {
    expect(parseMariadbdVersion("mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64 (Debian 12)")).toEqual({
      version: "10.11.19",
      series: "10.11",
    });
    expect(parseMariadbdVersion("nope")).toBeNull();
  });

  it("reads addresses and admin state from ip -j", () => {
    const links = parseIpJson(
      JSON.stringify([
        { ifname: "eth0", flags: ["BROADCAST", "MULTICAST", "UP"], addr_info: [{ family: "inet", local: "192.168.77.2", prefixlen: 24 }, { family: "inet", local: "192.168.77.100", prefixlen: 32 }, { family: "inet6", local: "fe80::1", prefixlen: 64 }] },
        { ifname: "v-db1", flags: ["BROADCAST", "MULTICAST"] },
      ]),
    );
    expect(ipv4Addresses(links, "eth0")).toEqual(["192.168.77.2/24", "192.168.77.100/32"]);
    expect(isAdminUp(links, "eth0")).toBe(true);
    expect(isAdminUp(links, "v-db1")).toBe(false);
    expect(isAdminUp(links, "v-db9")).toBeNull();
    expect(parseIpJson("")).toEqual([]);
  });

  it("accepts only known fault actions, naming the choices", () => {
    expect(parseMysqldAction("kill")).toBe("kill");
    expect(() => parseMysqldAction("restart")).toThrow('unknown mysqld action "restart": use one of stop, start, kill');
    expect(parseNetAction("cut")).toBe("cut");
    expect(() => parseNetAction("down")).toThrow("use one of cut, restore");
  });

  it("names missing commands with their Debian packages and the fix", () => {
    expect(describeMissing([])).toBeNull();
    expect(describeMissing(["tini", "nc.openbsd", "nsenter", "unshare"])).toBe(
      "the lab needs commands that are not installed: tini, nc.openbsd, nsenter, unshare" +
        " (Debian packages: netcat-openbsd tini util-linux); install them with `bash scripts/setup.sh`" +
        " or `apt-get install netcat-openbsd tini util-linux`",
    );
  });
});

describe("lab status", () => {
  const healthyHost = (name: string, n: number, db: boolean): HostStatus => ({
    name,
    kind: db ? "db" : "monitor",
    address: `192.168.77.${n}/24`,
    netns: true,
    initPid: 1000 + n,
    addresses: [`192.168.77.${n}/24`],
    link: "up",
    sshd: true,
    mysqld: db ? true : null,
  });
  const healthy: LabStatus = {
    switch: { netns: true, addresses: ["192.168.77.254/24"] },
    stateProblem: null,
    hosts: [healthyHost("monitor", 1, false), healthyHost("db1", 2, true)],
  };

  it("is healthy when every host is", () => {
    expect(labProblems(healthy)).toEqual([]);
    expect(isLabHealthy(healthy)).toBe(true);
    expect(formatStatus(healthy)).toMatch(/lab: healthy\n$/);
  });

  it("names each problem and where it is", () => {
    const sick: LabStatus = {
      ...healthy,
      hosts: [healthy.hosts[0]!, { ...healthy.hosts[1]!, link: "cut", sshd: false, mysqld: false, addresses: [] }],
    };
    expect(hostProblems(sick.hosts[1]!)).toEqual([
      "eth0 lacks 192.168.77.2/24",
      "network cut (`mmm lab net db1 restore`)",
      "sshd not answering",
      "mysqld not answering",
    ]);
    expect(labProblems({ ...sick, switch: { netns: false, addresses: [] } })[0]).toBe("switch: network namespace mmm-lab is missing");
    expect(formatStatus(sick)).toContain("lab: NOT healthy\n  - db1: eth0 lacks 192.168.77.2/24\n");
  });

  it("calls a lab with nothing of it left down", () => {
    const none = (h: HostStatus): HostStatus => ({ ...h, netns: false, initPid: null, addresses: [], link: "missing", sshd: false, mysqld: h.mysqld === null ? null : false });
    const down: LabStatus = { switch: { netns: false, addresses: [] }, stateProblem: null, hosts: healthy.hosts.map(none) };
    expect(isLabAbsent(down)).toBe(true);
    expect(isLabHealthy(down)).toBe(false);
    expect(formatStatus(down)).toBe("lab: down (run `mmm lab up`)\n");
  });
});
