import { didYouMean } from "./did-you-mean.js";
import { addressProblem, isIpv4 } from "./ip.js";
import type { ConnectionVarSpec, VarType } from "./known-vars.js";
import { joinPath, type Pos, type Problem } from "./problem.js";
import { parseSshArgs, type SshArgs } from "./ssh-args.js";
import { describeNode, type YNode } from "./yaml-tree.js";
import type { RoleMode } from "./model.js";

/**
 * Type checks for variable values, run where each value is written (so a bad value is reported
 * once, at its own line, whether or not it ends up winning for some host). They return the
 * value in the form later rules use, or INVALID after reporting why.
 */
export const INVALID: unique symbol = Symbol("invalid");
export type Checked<T> = T | typeof INVALID;

/** A string in the file together with where it is, for rules that cross-reference it. */
export interface Located {
  readonly value: string;
  readonly pos: Pos;
  readonly path: string;
}

export interface RoleSpec {
  readonly name: string;
  readonly pos: Pos;
  readonly path: string;
  readonly hosts: readonly Located[];
  readonly ips: readonly Located[];
  readonly mode: RoleMode;
  readonly prefer?: Located;
}

type Sink = Problem[];

function fail(sink: Sink, node: YNode, path: string, message: string): typeof INVALID {
  sink.push({ pos: node.pos, path, message });
  return INVALID;
}

export function checkString(node: YNode, path: string, sink: Sink, what = "a string"): Checked<string> {
  if (node.kind === "scalar" && typeof node.value === "string") {
    if (node.value.trim() === "") return fail(sink, node, path, `must be ${what}, not empty`);
    return node.value;
  }
  const hint = node.kind === "scalar" && node.value !== null ? " (quote it)" : "";
  return fail(sink, node, path, `must be ${what}, not ${describeNode(node)}${hint}`);
}

/** Whole numbers may be written as numbers or digit strings, as Ansible templating yields both. */
export function checkInt(node: YNode, path: string, sink: Sink, min: number, max: number, what: string): Checked<number> {
  let n: number | undefined;
  if (node.kind === "scalar" && typeof node.value === "number" && Number.isInteger(node.value)) n = node.value;
  if (node.kind === "scalar" && typeof node.value === "string" && /^[0-9]+$/.test(node.value.trim())) n = Number(node.value.trim());
  if (n === undefined) return fail(sink, node, path, `must be ${what} (a whole number ${min}..${max}), not ${describeNode(node)}`);
  if (n < min || n > max) return fail(sink, node, path, `${n} is out of range: ${what} must be ${min}..${max}`);
  return n;
}

const TRUE_WORDS = ["true", "yes", "on", "1"];
const FALSE_WORDS = ["false", "no", "off", "0"];

export function checkBool(node: YNode, path: string, sink: Sink): Checked<boolean> {
  if (node.kind === "scalar") {
    if (typeof node.value === "boolean") return node.value;
    if (typeof node.value === "string") {
      const w = node.value.trim().toLowerCase();
      if (TRUE_WORDS.includes(w)) return true;
      if (FALSE_WORDS.includes(w)) return false;
    }
  }
  return fail(sink, node, path, `must be true or false, not ${describeNode(node)}`);
}

export function checkStringList(node: YNode, path: string, sink: Sink): Checked<readonly Located[]> {
  if (node.kind !== "seq") return fail(sink, node, path, `must be a list of strings, e.g. [a, b], not ${describeNode(node)}`);
  const out: Located[] = [];
  let ok = true;
  node.items.forEach((item, i) => {
    const p = joinPath(path, i);
    const s = checkString(item, p, sink);
    if (s === INVALID) ok = false;
    else out.push({ value: s, pos: item.pos, path: p });
  });
  return ok ? out : INVALID;
}

const ROLE_KEYS = ["hosts", "ips", "mode", "prefer"];
const MODES: readonly RoleMode[] = ["exclusive", "balanced"];

export function checkRoles(node: YNode, path: string, sink: Sink): Checked<readonly RoleSpec[]> {
  if (node.kind !== "map") {
    return fail(sink, node, path, `must be a mapping of role name to { hosts, ips, mode }, not ${describeNode(node)}`);
  }
  if (node.entries.length === 0) return fail(sink, node, path, "has no roles: define at least a writer role (mode: exclusive)");
  // Roles whose shape is broken are left out (and reported); the others still go through the
  // cross-checks (hosts, VIPs), so one run reports every problem.
  const roles: RoleSpec[] = [];
  for (const e of node.entries) {
    const r = checkRole(e.key, e.keyPos, e.value, joinPath(path, e.key), sink);
    if (r !== INVALID) roles.push(r);
  }
  return roles;
}

function checkRole(name: string, pos: Pos, node: YNode, path: string, sink: Sink): Checked<RoleSpec> {
  if (node.kind !== "map") {
    return fail(sink, node, path, `role ${name} must be a mapping with hosts, ips and mode, not ${describeNode(node)}`);
  }
  const get = (k: string) => node.entries.find((e) => e.key === k);
  for (const e of node.entries) {
    if (!ROLE_KEYS.includes(e.key)) {
      sink.push({
        pos: e.keyPos,
        path: joinPath(path, e.key),
        message: `unknown key ${e.key} in role ${name}${didYouMean(e.key, ROLE_KEYS)}; a role has hosts, ips, mode and prefer`,
      });
    }
  }
  const hostsEntry = get("hosts");
  let hosts: Checked<readonly Located[]> = INVALID;
  if (!hostsEntry) sink.push({ pos, path, message: `role ${name} needs hosts: the database hosts that may hold it` });
  else {
    hosts = checkStringList(hostsEntry.value, joinPath(path, "hosts"), sink);
    if (hosts !== INVALID && hosts.length === 0) {
      sink.push({ pos: hostsEntry.value.pos, path: joinPath(path, "hosts"), message: `role ${name} has no hosts: list the database hosts that may hold it` });
    }
    if (hosts !== INVALID) reportRepeats(hosts, `role ${name}`, sink);
  }

  const ipsEntry = get("ips");
  let ips: Checked<readonly Located[]> = [];
  if (ipsEntry) {
    ips = checkStringList(ipsEntry.value, joinPath(path, "ips"), sink);
    if (ips !== INVALID) {
      for (const ip of ips) if (!isIpv4(ip.value)) sink.push({ pos: ip.pos, path: ip.path, message: `${JSON.stringify(ip.value)} is not a valid IPv4 address` });
      reportRepeats(ips, `role ${name}`, sink);
    }
  }

  const modeEntry = get("mode");
  let mode: RoleMode | undefined;
  if (!modeEntry) {
    sink.push({ pos, path, message: `role ${name} needs mode: exclusive (one IP, one host at a time) or balanced (IPs spread over the hosts)` });
  } else {
    const m = checkString(modeEntry.value, joinPath(path, "mode"), sink);
    if (m !== INVALID) {
      if ((MODES as readonly string[]).includes(m)) mode = m as RoleMode;
      else sink.push({ pos: modeEntry.value.pos, path: joinPath(path, "mode"), message: `mode must be exclusive or balanced, not ${JSON.stringify(m)}${didYouMean(m, MODES)}` });
    }
  }
  const ipsPath = ipsEntry ? joinPath(path, "ips") : path;
  const ipsPos = ipsEntry ? ipsEntry.value.pos : pos;
  if (mode === "exclusive" && ips !== INVALID && ips.length > 1) {
    sink.push({ pos: ipsPos, path: ipsPath, message: `exclusive role ${name} has ${ips.length} IPs; it has exactly one (use mode: balanced to spread several)` });
  }
  if (mode === "exclusive" && ips !== INVALID && ips.length === 0) {
    sink.push({ pos: ipsPos, path: ipsPath, message: `exclusive role ${name} has no IP: give it exactly one in ips` });
  }
  if (mode === "balanced" && ips !== INVALID && ips.length === 0) {
    sink.push({ pos: ipsPos, path: ipsPath, message: `balanced role ${name} has no IPs: give it at least one in ips` });
  }

  const preferEntry = get("prefer");
  let prefer: Located | undefined;
  if (preferEntry) {
    const p = joinPath(path, "prefer");
    const s = checkString(preferEntry.value, p, sink);
    if (s !== INVALID) {
      prefer = { value: s, pos: preferEntry.value.pos, path: p };
      if (mode === "balanced") sink.push({ pos: prefer.pos, path: p, message: `prefer applies to exclusive roles only; remove it from balanced role ${name}` });
      else if (hosts !== INVALID && !hosts.some((h) => h.value === s)) {
        sink.push({ pos: prefer.pos, path: p, message: `prefer: ${s} is not one of role ${name}'s hosts (${hosts.map((h) => h.value).join(", ")})` });
      }
    }
  }
  if (hosts === INVALID || ips === INVALID || mode === undefined) return INVALID;
  return { name, pos, path, hosts, ips, mode, ...(prefer ? { prefer } : {}) };
}

function reportRepeats(items: readonly Located[], where: string, sink: Sink): void {
  const seen = new Set<string>();
  for (const it of items) {
    if (seen.has(it.value)) sink.push({ pos: it.pos, path: it.path, message: `${it.value} is listed twice in ${where}` });
    seen.add(it.value);
  }
}

/** The value of a known mmm_ variable in the form later rules use. */
export function checkMmmValue(type: VarType, node: YNode, path: string, sink: Sink): Checked<unknown> {
  switch (type) {
    case "interface": {
      const s = checkString(node, path, sink, "an interface name");
      if (s === INVALID) return s;
      // Linux interface names: at most 15 bytes (IFNAMSIZ - 1), no slash or whitespace.
      if (!/^[A-Za-z0-9_.-]{1,15}$/.test(s)) return fail(sink, node, path, `${JSON.stringify(s)} is not a network interface name (at most 15 letters, digits, _ . -)`);
      return s;
    }
    case "prefix":
      return checkInt(node, path, sink, 1, 32, "a prefix length");
    case "port":
      return checkInt(node, path, sink, 1, 65535, "a TCP port");
    case "server-id":
      return checkInt(node, path, sink, 1, 4294967295, "a server id");
    case "host-name":
      return checkString(node, path, sink, "a host name from this inventory");
    case "user": {
      const s = checkString(node, path, sink, "a MySQL user name");
      if (s === INVALID) return s;
      // MySQL 5.7+ limits user names to 32 characters; MariaDB allows more but the pair must work on both.
      if (s.length > 32) return fail(sink, node, path, `MySQL user names are at most 32 characters; ${JSON.stringify(s)} has ${s.length}`);
      return s;
    }
    case "secret":
      return checkString(node, path, sink, "a password");
    case "string-list":
      return checkStringList(node, path, sink);
    case "bool":
      return checkBool(node, path, sink);
    case "roles":
      return checkRoles(node, path, sink);
  }
}

export function checkEnvName(node: YNode, path: string, sink: Sink): Checked<string> {
  const s = checkString(node, path, sink, "the name of an environment variable");
  if (s === INVALID) return s;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) return fail(sink, node, path, `${JSON.stringify(s)} is not an environment variable name (letters, digits, _)`);
  return s;
}

export function checkConnectionValue(spec: ConnectionVarSpec, node: YNode, path: string, sink: Sink): Checked<unknown> {
  switch (spec.type) {
    case "address": {
      const s = checkString(node, path, sink, "an address");
      if (s === INVALID) return s;
      const why = addressProblem(s);
      return why ? fail(sink, node, path, why) : s;
    }
    case "port":
      return checkInt(node, path, sink, 1, 65535, "a TCP port");
    case "user":
      return checkString(node, path, sink, "a user name");
    case "path":
      return checkString(node, path, sink, "a file path");
    case "bool":
      return checkBool(node, path, sink);
    case "seconds":
      return checkInt(node, path, sink, 1, 3600, "a timeout in seconds");
    case "int":
      return checkInt(node, path, sink, 0, 1_000_000, "a whole number");
    case "ssh-args": {
      const s = checkString(node, path, sink, "ssh command-line options");
      if (s === INVALID) return s;
      const parsed: SshArgs | { error: string } = parseSshArgs(s);
      if ("error" in parsed) return fail(sink, node, path, `cannot read these ssh options: ${parsed.error}`);
      if (parsed.unsupported.length > 0) {
        return fail(sink, node, path, `${parsed.unsupported[0]} is not supported by mmm: use -o ProxyCommand='ssh -W %h:%p JUMPHOST' instead`);
      }
      return parsed;
    }
  }
}
