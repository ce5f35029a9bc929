/**
 * What a host is, parsed from one probe script's output. Pure: the gatherer runs the script,
 * these functions turn its text into facts, and fixture tests pin the formats.
 */
export interface Interface {
  readonly name: string;
  readonly mac?: string;
  readonly up: boolean;
  readonly addresses: readonly { readonly family: "inet" | "inet6"; readonly address: string; readonly prefix: number }[];
}

export interface MysqlFacts {
  readonly binary: string;
  /** The `--version` line, e.g. "mariadbd  Ver 10.11.6-MariaDB-0+deb12u1 for debian-linux-gnu …". */
  readonly versionLine: string;
  readonly flavor: "mariadb" | "mysql" | "percona" | "unknown";
  readonly version: string;
  readonly running: boolean;
  /** The server's Unix socket, from its option files (Debian's default when they name none). */
  readonly socket: string;
  /** Every !includedir the server's option files name, in the order the server reads them. */
  readonly includeDirs: readonly string[];
}

export interface HostFacts {
  readonly host: string;
  readonly hostname: string;
  readonly os: { readonly id: string; readonly version: string; readonly name: string; readonly family: string };
  /** systemd when it is PID 1; otherwise services run through init scripts (`service`). */
  readonly init: "systemd" | "sysv";
  readonly pid1: string;
  /** True when commands run as root (directly or through sudo). */
  readonly root: boolean;
  readonly packageManager: "apt" | "dnf" | "yum" | null;
  readonly mysql: MysqlFacts | null;
  readonly interfaces: readonly Interface[];
  /** Service names present, among those mmm manages (mariadb, mysql, mysqld, chrony, chronyd). */
  readonly services: readonly string[];
  readonly node: string | null;
  readonly clock: { readonly offsetMs: number; readonly uncertaintyMs: number };
}

export const PROBE_SCRIPT = `
echo @@hostname; hostname
echo @@os-release; cat /etc/os-release 2>/dev/null
echo @@uid; id -u
echo @@pid1; cat /proc/1/comm 2>/dev/null
echo @@systemd; if [ -d /run/systemd/system ]; then echo yes; else echo no; fi
echo @@pkg; for p in apt-get dnf yum; do command -v $p 2>/dev/null && break; done
echo @@mysqld
for b in mariadbd mysqld; do
  p=$(command -v $b 2>/dev/null || true)
  for d in /usr/sbin /usr/libexec /usr/local/mysql/bin; do [ -z "$p" ] && [ -x $d/$b ] && p=$d/$b; done
  if [ -n "$p" ]; then echo "$p"; "$p" --version 2>/dev/null | head -n 1; break; fi
done
echo @@mysqld-running; if pidof mariadbd >/dev/null 2>&1 || pidof mysqld >/dev/null 2>&1; then echo yes; else echo no; fi
echo @@socket; my_print_defaults --mysqld 2>/dev/null | sed -n 's/^--socket=//p' | tail -n 1
echo @@mycnf
for f in /etc/my.cnf /etc/mysql/my.cnf /etc/mysql/mariadb.cnf /etc/mysql/mysql.cnf; do
  [ -r "$f" ] && { echo "## $f"; grep -E '^[[:space:]]*!include' "$f"; }
done
echo @@dirs; for d in /etc/mysql/conf.d /etc/mysql/mariadb.conf.d /etc/mysql/mysql.conf.d /etc/my.cnf.d; do [ -d "$d" ] && echo "$d"; done
echo @@services
for n in mariadb mysql mysqld chrony chronyd; do
  if [ -e /etc/init.d/$n ] || [ -e /lib/systemd/system/$n.service ] || [ -e /usr/lib/systemd/system/$n.service ] || [ -e /etc/systemd/system/$n.service ]; then echo $n; fi
done
echo @@ip; ip -j addr show 2>/dev/null
echo @@node; command -v node >/dev/null 2>&1 && node --version
echo @@end
`;

export function splitSections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name: string | null = null;
  let buf: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^@@([a-z0-9-]+)$/.exec(line);
    if (m) {
      if (name) out.set(name, buf.join("\n").trim());
      name = m[1]!;
      buf = [];
    } else if (name) {
      buf.push(line);
    }
  }
  return out;
}

export function parseOsRelease(text: string): HostFacts["os"] {
  const kv = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) kv.set(m[1]!, m[2]!.replace(/^"(.*)"$/, "$1"));
  }
  const id = kv.get("ID") ?? "unknown";
  const like = `${id} ${kv.get("ID_LIKE") ?? ""}`;
  const family = /debian|ubuntu/.test(like) ? "debian" : /rhel|fedora|centos/.test(like) ? "redhat" : id;
  return { id, version: kv.get("VERSION_ID") ?? "", name: kv.get("PRETTY_NAME") ?? id, family };
}

/** Flavor and version from a `mariadbd --version` / `mysqld --version` line. */
export function parseMysqldVersion(line: string): { flavor: MysqlFacts["flavor"]; version: string } {
  const m = /Ver\s+(\d+\.\d+\.\d+)(\S*)/.exec(line);
  if (!m) return { flavor: "unknown", version: "" };
  const suffix = m[2] ?? "";
  const flavor = /mariadb/i.test(line) ? "mariadb" : /percona/i.test(line) ? "percona" : "mysql";
  return { flavor, version: m[1]! + (/^-\d+/.test(suffix) && flavor === "percona" ? suffix.replace(/^(-\d+).*/, "$1") : "") };
}

/**
 * The include directories in read order. Option files are followed from /etc/my.cnf and
 * /etc/mysql/my.cnf through `!include` to the files the probe printed; only directories that
 * exist on the host are kept.
 */
export function parseIncludeDirs(mycnf: string, existingDirs: readonly string[]): string[] {
  const files = new Map<string, string[]>();
  let current: string | null = null;
  for (const line of mycnf.split("\n")) {
    const h = /^## (.+)$/.exec(line);
    if (h) {
      current = h[1]!;
      files.set(current, []);
    } else if (current && line.trim()) {
      files.get(current)!.push(line.trim());
    }
  }
  const exists = new Set(existingDirs.map(stripSlash));
  const dirs: string[] = [];
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const directive of files.get(file) ?? []) {
      const m = /^!(includedir|include)\s+(.+)$/.exec(directive);
      if (!m) continue;
      const target = stripSlash(m[2]!.trim());
      if (m[1] === "include") visit(target);
      else if (exists.has(target) && !dirs.includes(target)) dirs.push(target);
    }
  };
  for (const root of ["/etc/my.cnf", "/etc/mysql/my.cnf"]) visit(root);
  // Debian's my.cnf is a symlink to mariadb.cnf or mysql.cnf, which the probe printed as such.
  for (const file of files.keys()) visit(file);
  return dirs;
}

function stripSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, "") : p;
}

interface IpJsonAddr {
  family?: string;
  local?: string;
  prefixlen?: number;
}
interface IpJsonLink {
  ifname?: string;
  address?: string;
  flags?: string[];
  operstate?: string;
  addr_info?: IpJsonAddr[];
}

export function parseIpAddrJson(text: string): Interface[] {
  if (!text.trim()) return [];
  const links = JSON.parse(text) as IpJsonLink[];
  return links.map((l) => ({
    name: l.ifname ?? "?",
    ...(l.address ? { mac: l.address } : {}),
    up: (l.flags ?? []).includes("UP"),
    addresses: (l.addr_info ?? [])
      .filter((a) => (a.family === "inet" || a.family === "inet6") && a.local)
      .map((a) => ({ family: a.family as "inet" | "inet6", address: a.local!, prefix: a.prefixlen ?? 0 })),
  }));
}

export function parseProbe(host: string, output: string, clock: HostFacts["clock"]): HostFacts {
  const s = splitSections(output);
  const get = (k: string): string => s.get(k) ?? "";
  const mysqldLines = get("mysqld").split("\n").filter(Boolean);
  let mysql: MysqlFacts | null = null;
  if (mysqldLines[0]) {
    const versionLine = mysqldLines[1] ?? "";
    const { flavor, version } = parseMysqldVersion(versionLine);
    mysql = {
      binary: mysqldLines[0],
      versionLine,
      flavor,
      version,
      running: get("mysqld-running") === "yes",
      socket: get("socket") || "/run/mysqld/mysqld.sock",
      includeDirs: parseIncludeDirs(get("mycnf"), get("dirs").split("\n").filter(Boolean)),
    };
  }
  const pkg = get("pkg").split("/").pop() ?? "";
  return {
    host,
    hostname: get("hostname"),
    os: parseOsRelease(get("os-release")),
    init: get("systemd") === "yes" ? "systemd" : "sysv",
    pid1: get("pid1"),
    root: get("uid") === "0",
    packageManager: pkg === "apt-get" ? "apt" : pkg === "dnf" ? "dnf" : pkg === "yum" ? "yum" : null,
    mysql,
    interfaces: parseIpAddrJson(get("ip")),
    services: get("services").split("\n").filter(Boolean),
    node: get("node") || null,
    clock,
  };
}

/**
 * Clock offset from the sample with the smallest round trip (NTP's rule of thumb): the remote
 * time is compared with the midpoint of the local send and receive times.
 */
export function estimateOffset(
  samples: readonly { readonly sentMs: number; readonly receivedMs: number; readonly remoteMs: number }[],
): HostFacts["clock"] {
  const best = [...samples].sort((a, b) => a.receivedMs - a.sentMs - (b.receivedMs - b.sentMs))[0];
  if (!best) return { offsetMs: NaN, uncertaintyMs: NaN };
  const rtt = best.receivedMs - best.sentMs;
  return { offsetMs: best.remoteMs - (best.sentMs + rtt / 2), uncertaintyMs: rtt / 2 };
}
