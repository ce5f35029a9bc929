import {
  BRIDGE,
  HOST_INTERFACE,
  LAB_HOSTS,
  LAB_PREFIX,
  SWITCH_ADDRESS,
  SWITCH_NETNS,
  bridgePort,
  hostNetns,
  type LabHost,
  type LabHostKind,
} from "./constants.js";
import { isAdminUp, ipv4Addresses, parseIpJson, type IpLink } from "./ip-json.js";
import { nsenterArgv } from "./lab-exec.js";
import { readLabState, verifyHostInit } from "./lab-processes.js";
import { hostState } from "./lab-state.js";
import { namedNetnsInode } from "./proc.js";
import { run } from "./run.js";

export type LinkState = "up" | "cut" | "missing";

export interface HostStatus {
  readonly name: string;
  readonly kind: LabHostKind;
  /** The address the host should have: `${address}/24`. */
  readonly address: string;
  readonly netns: boolean;
  /** The verified init PID (as seen from the machine), null when not running. */
  readonly initPid: number | null;
  /** IPv4 addresses on the host's eth0 (VIPs show up here too). */
  readonly addresses: readonly string[];
  /** The host's cable: its veth end on the switch. */
  readonly link: LinkState;
  /** sshd sent its banner to a connection from the switch. */
  readonly sshd: boolean;
  /** `mariadb-admin ping` answered; null on hosts without a database. */
  readonly mysqld: boolean | null;
}

export interface LabStatus {
  readonly switch: { readonly netns: boolean; readonly addresses: readonly string[] };
  /** Why state.json could not be used, if it could not. */
  readonly stateProblem: string | null;
  readonly hosts: readonly HostStatus[];
}

/** Pure: what is wrong with one host, in words; empty when healthy. */
export function hostProblems(h: HostStatus): string[] {
  const p: string[] = [];
  if (!h.netns) p.push(`network namespace ${hostNetns(h.name)} is missing`);
  if (h.initPid === null) p.push("init is not running");
  if (!h.addresses.includes(h.address)) p.push(`${HOST_INTERFACE} lacks ${h.address}`);
  if (h.link !== "up") p.push(h.link === "cut" ? "network cut (`mmm lab net " + h.name + " restore`)" : "no port on the switch");
  if (!h.sshd) p.push("sshd not answering");
  if (h.mysqld === false) p.push("mysqld not answering");
  return p;
}

/** Pure: every problem of the lab, each prefixed with where it is; empty when healthy. */
export function labProblems(s: LabStatus): string[] {
  const p: string[] = [];
  if (s.stateProblem) p.push(`state: ${s.stateProblem}`);
  if (!s.switch.netns) p.push(`switch: network namespace ${SWITCH_NETNS} is missing`);
  else if (!s.switch.addresses.includes(`${SWITCH_ADDRESS}/${LAB_PREFIX}`)) p.push(`switch: ${BRIDGE} lacks ${SWITCH_ADDRESS}/${LAB_PREFIX}`);
  for (const h of s.hosts) for (const q of hostProblems(h)) p.push(`${h.name}: ${q}`);
  return p;
}

export function isLabHealthy(s: LabStatus): boolean {
  return labProblems(s).length === 0;
}

/** Pure: true when nothing of the lab exists (no namespace, no init). */
export function isLabAbsent(s: LabStatus): boolean {
  return !s.switch.netns && s.hosts.every((h) => !h.netns && h.initPid === null);
}

/** Pure: the human table of `mmm lab status`. */
export function formatStatus(s: LabStatus): string {
  if (isLabAbsent(s)) return `lab: down (run \`mmm lab up\`)${s.stateProblem ? `\n  - state: ${s.stateProblem}` : ""}\n`;
  const rows: string[][] = [["host", "address", "init", "link", "sshd", "mysqld", "problems"]];
  for (const h of s.hosts) {
    rows.push([
      h.name,
      h.addresses.length > 0 ? h.addresses.join(",") : "-",
      h.initPid === null ? "down" : String(h.initPid),
      h.link,
      h.sshd ? "ok" : "down",
      h.mysqld === null ? "-" : h.mysqld ? "ok" : "down",
      hostProblems(h).join("; ") || "-",
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  const table = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("  ")).join("\n");
  const problems = labProblems(s);
  const verdict = problems.length === 0 ? "lab: healthy" : `lab: NOT healthy\n${problems.map((p) => `  - ${p}`).join("\n")}`;
  return `${table}\n${verdict}\n`;
}

async function ipJson(netns: string, args: readonly string[]): Promise<IpLink[]> {
  const r = await run(["ip", "-j", "-n", netns, ...args], { timeoutMs: 10_000 });
  return r.code === 0 ? parseIpJson(r.stdout) : [];
}

/** Connects from the switch to ADDRESS:22 and expects sshd's banner. */
async function sshdAnswers(address: string): Promise<boolean> {
  const probe = 'exec 3<>"/dev/tcp/$1/22" && head -c 8 <&3';
  const r = await run(["ip", "netns", "exec", SWITCH_NETNS, "timeout", "3", "bash", "-c", probe, "probe", address], {
    timeoutMs: 10_000,
  });
  return r.code === 0 && r.stdout.startsWith("SSH-2.0-");
}

async function mysqldAnswers(initPid: number): Promise<boolean> {
  const r = await run(nsenterArgv(initPid, ["mariadb-admin", "--connect-timeout=2", "ping"]), { timeoutMs: 10_000 });
  return r.code === 0 && /is alive/.test(r.stdout);
}

async function gatherHost(h: LabHost, initPidFromState: number | null, switchLinks: readonly IpLink[], switchUp: boolean): Promise<HostStatus> {
  const netns = namedNetnsInode(hostNetns(h.name)) !== null;
  const initPid = initPidFromState !== null && verifyHostInit(initPidFromState, h.name) ? initPidFromState : null;
  const adminUp = isAdminUp(switchLinks, bridgePort(h.name));
  const link: LinkState = adminUp === null ? "missing" : adminUp ? "up" : "cut";
  const [addresses, sshd, mysqld] = await Promise.all([
    netns ? ipJson(hostNetns(h.name), ["addr", "show", "dev", HOST_INTERFACE]).then((l) => ipv4Addresses(l, HOST_INTERFACE)) : [],
    switchUp && netns ? sshdAnswers(h.address) : false,
    h.kind !== "db" ? null : initPid === null ? false : mysqldAnswers(initPid),
  ]);
  return { name: h.name, kind: h.kind, address: `${h.address}/${LAB_PREFIX}`, netns, initPid, addresses, link, sshd, mysqld };
}

/** Looks at everything the lab should have and reports it; changes nothing. */
export async function gatherStatus(): Promise<LabStatus> {
  const read = readLabState();
  const stateProblem = read.kind === "invalid" ? read.error : null;
  const state = read.kind === "ok" ? read.state : null;
  const switchUp = namedNetnsInode(SWITCH_NETNS) !== null;
  const switchLinks = switchUp ? await ipJson(SWITCH_NETNS, ["addr", "show"]) : [];
  const hosts = await Promise.all(
    LAB_HOSTS.map((h) => gatherHost(h, hostState(state, h.name)?.initPid ?? null, switchLinks, switchUp)),
  );
  return { switch: { netns: switchUp, addresses: ipv4Addresses(switchLinks, BRIDGE) }, stateProblem, hosts };
}
