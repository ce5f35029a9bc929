import { spawn } from "node:child_process";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { RemoteError } from "../errors.js";
import {
  BRIDGE,
  HOST_INTERFACE,
  LAB_DIR,
  LAB_HOSTS,
  LAB_HOSTS_DIR,
  LAB_INIT_SCRIPT,
  LAB_KEY,
  LAB_KNOWN_HOSTS,
  LAB_PREFIX,
  LAB_SSH_CONFIG,
  LAB_STATE_FILE,
  LAB_TEMPLATE_DATADIR,
  SWITCH_ADDRESS,
  SWITCH_NETNS,
  bridgePort,
  hostDir,
  hostNetns,
  type LabHost,
} from "./constants.js";
import { ensureDatadirTemplate } from "./datadir-template.js";
import { FAILED_MARKER, HOST_INIT_SCRIPT, READY_MARKER, hostInitArgv } from "./host-init-script.js";
import { parseHostKey, renderKnownHosts, renderSshConfig, type HostKey } from "./known-hosts.js";
import { teardownLab } from "./lab-down.js";
import { withLabLock } from "./lab-lock.js";
import { nsenterArgv } from "./lab-exec.js";
import { findHostInits } from "./lab-processes.js";
import { renderLabState, type HostState } from "./lab-state.js";
import { gatherStatus, isLabAbsent, isLabHealthy, labProblems } from "./lab-status.js";
import { checkPreflight } from "./preflight.js";
import { namedNetnsInode } from "./proc.js";
import { LAB_ENV, runChecked } from "./run.js";

export interface UpOptions {
  readonly log?: (line: string) => void;
  /** How long one host may take to boot (sshd, MariaDB). */
  readonly hostTimeoutMs?: number;
}

export interface UpReport {
  /** false: the lab was already up and healthy, nothing was touched. */
  readonly changed: boolean;
  readonly seconds: number;
}

const elapsed = (t0: number) => (performance.now() - t0) / 1000;

/**
 * Brings the five hosts up. Idempotent: a healthy lab is left alone; anything else present
 * (a crash, a killed run, an injected fault) is torn down and the lab is made anew.
 */
export async function labUp(opts: UpOptions = {}): Promise<UpReport> {
  checkPreflight();
  return withLabLock("bring the lab up", () => bringUp(opts));
}

async function bringUp(opts: UpOptions): Promise<UpReport> {
  const log = opts.log ?? (() => {});
  const t0 = performance.now();

  const before = await gatherStatus();
  if (isLabHealthy(before)) {
    log(`lab is already up and healthy (${LAB_HOSTS.length} hosts); nothing changed`);
    return { changed: false, seconds: elapsed(t0) };
  }
  if (!isLabAbsent(before) || existsSync(LAB_HOSTS_DIR) || existsSync(LAB_STATE_FILE)) {
    const problems = labProblems(before);
    log(`found a partial lab (${problems.slice(0, 3).join("; ")}${problems.length > 3 ? "; ..." : ""}): removing it first`);
    await teardownLab({ log });
  }

  await prepareLabDir(log);
  await createSwitch();
  log(`switch: ${SWITCH_NETNS} with ${BRIDGE} ${SWITCH_ADDRESS}/${LAB_PREFIX}`);

  const settled = await Promise.allSettled(LAB_HOSTS.map((h) => startHost(h, log, opts.hostTimeoutMs ?? 90_000)));
  const started = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  // Written even when a host failed, so that `down` and `status` see what runs.
  writeState(started.map((s) => s.state));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failed) throw failed.reason;

  writeFileSync(LAB_KNOWN_HOSTS, renderKnownHosts(started.map((s) => ({ address: s.host.address, key: s.hostKey }))), { mode: 0o600 });
  writeFileSync(LAB_SSH_CONFIG, renderSshConfig(LAB_HOSTS), { mode: 0o600 });

  const after = await gatherStatus();
  if (!isLabHealthy(after)) {
    throw new RemoteError("lab", `came up unhealthy: ${labProblems(after).join("; ")}`, {
      stderr: `see ${LAB_HOSTS_DIR}/HOST/init.log; \`mmm lab down\` removes the partial lab`,
    });
  }
  const seconds = elapsed(t0);
  log(`lab up in ${seconds.toFixed(1)} s: ssh -F ${LAB_SSH_CONFIG} db1`);
  return { changed: true, seconds };
}

async function prepareLabDir(log: (line: string) => void): Promise<void> {
  mkdirSync(LAB_DIR, { recursive: true, mode: 0o700 });
  chmodSync(LAB_DIR, 0o700);
  if (!existsSync(LAB_KEY)) {
    await runChecked("lab", ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "mmm-lab", "-f", LAB_KEY]);
    log(`lab key: ${LAB_KEY}`);
  }
  await ensureDatadirTemplate(log);
  writeFileSync(LAB_INIT_SCRIPT, HOST_INIT_SCRIPT, { mode: 0o700 });
  mkdirSync(LAB_HOSTS_DIR, { recursive: true, mode: 0o700 });
}

async function createSwitch(): Promise<void> {
  const ip = (...args: string[]) => runChecked("switch", ["ip", ...args]);
  await ip("netns", "add", SWITCH_NETNS);
  await ip("-n", SWITCH_NETNS, "link", "set", "lo", "up");
  // No STP: ports forward at once, and a cut cable is just a port set down.
  await ip("-n", SWITCH_NETNS, "link", "add", BRIDGE, "type", "bridge", "stp_state", "0");
  await ip("-n", SWITCH_NETNS, "addr", "add", `${SWITCH_ADDRESS}/${LAB_PREFIX}`, "dev", BRIDGE);
  await ip("-n", SWITCH_NETNS, "link", "set", BRIDGE, "up");
}

interface StartedHost {
  readonly host: LabHost;
  readonly state: HostState;
  readonly hostKey: HostKey;
}

async function startHost(h: LabHost, log: (line: string) => void, timeoutMs: number): Promise<StartedHost> {
  const t0 = performance.now();
  const ns = hostNetns(h.name);
  const ip = (...args: string[]) => runChecked(h.name, ["ip", ...args]);
  await ip("netns", "add", ns);
  // Both ends are made inside namespaces: the machine's own namespace never gets an interface.
  await ip("-n", SWITCH_NETNS, "link", "add", bridgePort(h.name), "type", "veth", "peer", "name", HOST_INTERFACE, "netns", ns);
  await ip("-n", SWITCH_NETNS, "link", "set", bridgePort(h.name), "master", BRIDGE, "up");
  await ip("-n", ns, "link", "set", "lo", "up");
  await ip("-n", ns, "addr", "add", `${h.address}/${LAB_PREFIX}`, "dev", HOST_INTERFACE);
  await ip("-n", ns, "link", "set", HOST_INTERFACE, "up");

  const dir = hostDir(h.name);
  mkdirSync(dir, { mode: 0o700 });
  // The overlay's root directory takes the upper directory's mode: it must be /'s 0755.
  for (const sub of ["upper", "root"]) {
    mkdirSync(`${dir}/${sub}`, { mode: 0o755 });
    chmodSync(`${dir}/${sub}`, 0o755);
  }
  mkdirSync(`${dir}/work`, { mode: 0o700 });
  if (h.kind === "db") {
    await runChecked(h.name, ["cp", "-a", "--sparse=always", LAB_TEMPLATE_DATADIR, `${dir}/mysql`]);
  } else {
    // No database on the monitor, but its own empty datadir hides the machine's.
    await runChecked(h.name, ["install", "-d", "-m", "755", "-o", "mysql", "-g", "mysql", `${dir}/mysql`]);
  }

  const logFile = `${dir}/init.log`;
  const fd = openSync(logFile, "w", 0o600);
  const [cmd, ...args] = hostInitArgv(h);
  const child = spawn(cmd as string, args, { detached: true, stdio: ["ignore", fd, fd], env: LAB_ENV });
  closeSync(fd);
  const end: { exited: string | null } = { exited: null };
  child.on("exit", (code, signal) => (end.exited = signal ?? `exit code ${code}`));
  child.on("error", (err) => (end.exited = err.message));
  child.unref();
  log(`${h.name}: booting (${h.address})`);

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = readFileSync(logFile, "utf8");
    if (text.includes(`\n${READY_MARKER}`) || text.startsWith(READY_MARKER)) break;
    if (end.exited !== null || text.includes(FAILED_MARKER) || Date.now() > deadline) {
      const why = end.exited !== null ? `its init ended (${end.exited})` : text.includes(FAILED_MARKER) ? "its init failed" : `not ready after ${timeoutMs / 1000} s`;
      throw new RemoteError(h.name, `did not come up: ${why}; full log: ${logFile}`, {
        stderr: text.trim().split("\n").slice(-12).join("\n"),
      });
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const inits = findHostInits(h.name);
  if (inits.length !== 1) throw new RemoteError(h.name, `expected one init process, found ${inits.length} (${inits.join(", ")})`);
  const initPid = inits[0] as number;
  const netnsInode = namedNetnsInode(ns);
  if (netnsInode === null) throw new RemoteError(h.name, `network namespace ${ns} vanished while starting`);

  const pub = await runChecked(h.name, nsenterArgv(initPid, ["cat", "/etc/ssh/ssh_host_ed25519_key.pub"]));
  const hostKey = parseHostKey(pub.stdout);
  if (!hostKey) throw new RemoteError(h.name, "cannot read its SSH host key", { command: "cat /etc/ssh/ssh_host_ed25519_key.pub", stderr: pub.stdout });

  log(`${h.name}: ready in ${elapsed(t0).toFixed(1)} s (init PID ${initPid}${h.kind === "db" ? ", sshd, mariadb" : ", sshd"})`);
  return { host: h, state: { name: h.name, initPid, netnsInode }, hostKey };
}

function writeState(hosts: readonly HostState[]): void {
  const order = LAB_HOSTS.map((h) => h.name);
  const sorted = [...hosts].sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  writeFileSync(LAB_STATE_FILE, renderLabState({ version: 1, startedAt: new Date().toISOString(), hosts: sorted }), { mode: 0o600 });
}
