import { InternalError } from "../errors.js";
import { Secret } from "../secret.js";
import { CHECK_NAMES, MMM_DEFAULTS, type MmmConfig, type MmmHost } from "./model.js";
import { CHECK_KEYS, HOST_KEYS, MONITOR_KEYS, MONITOR_ONLY_HOST_KEYS, SOCKET_KEYS, type KeySpec } from "./keys.js";

/**
 * Renders a model back into the tutorial's three files: mmm_common.conf (hosts, roles, agent
 * credentials — every host and the monitor read it), mmm_mon.conf (`include mmm_common.conf`, the
 * <monitor> section, monitor credentials, checks, `debug`) and one mmm_agent.conf per host
 * (`include mmm_common.conf` + `this HOST`). Keys equal to MMM's default are left out and values
 * shared by every host go into `<host default>`, so parse(render(x)) = x and the files read like
 * hand-written MMM ones. Passwords are written in clear: the files are installed with mode 0600.
 */

export interface MmmConfigFiles {
  readonly "mmm_common.conf": string;
  readonly "mmm_mon.conf": string;
  /** mmm_agent.conf per host name. */
  readonly agents: Readonly<Record<string, string>>;
}

export function renderMmmConfig(model: MmmConfig): MmmConfigFiles {
  const agents: Record<string, string> = {};
  for (const h of model.hosts) agents[h.name] = renderMmmAgent(h.name);
  return { "mmm_common.conf": renderMmmCommon(model), "mmm_mon.conf": renderMmmMon(model), agents };
}

const INDENT = "    ";
const line = (key: string, value: string) => `${INDENT}${key.padEnd(23)} ${value}`;
const topLine = (key: string, value: string) => `${key.padEnd(23)} ${value}`;

function text(spec: KeySpec, v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (v instanceof Secret) return v.reveal();
  if (spec.kind === "bool") return v ? "1" : "0";
  if (Array.isArray(v)) return v.join(", ");
  return String(v);
}

function section(head: string, type: string, lines: readonly string[]): string {
  return [`<${head}>`, ...lines, `</${type}>`].join("\n");
}

/** The tutorial's order for <host default>, then the table's. */
const HOST_DEFAULT_ORDER = [
  "cluster_interface",
  "pid_path",
  "bin_path",
  "replication_user",
  "replication_password",
  "agent_user",
  "agent_password",
];
const HOST_PER_HOST_KEYS = new Set(["ip", "mode", "peer"]);

function hostValue(h: MmmHost, spec: KeySpec): string | undefined {
  const v = spec.tools ? h.tools[spec.key] : (h as unknown as Record<string, unknown>)[spec.field];
  const t = text(spec, v);
  const def = (MMM_DEFAULTS.host as Record<string, unknown>)[spec.field];
  return def !== undefined && t === String(def) ? undefined : t;
}

function orderedHostKeys(): KeySpec[] {
  const first = HOST_DEFAULT_ORDER.map((key) => HOST_KEYS.find((s) => s.key === key)!);
  return [...first, ...HOST_KEYS.filter((s) => !HOST_DEFAULT_ORDER.includes(s.key))];
}

/** Host keys split into the shared <host default> lines and per-host lines. */
function hostBlocks(hosts: readonly MmmHost[], keys: readonly KeySpec[]): { shared: string[]; own: Map<string, string[]> } {
  const shared: string[] = [];
  const own = new Map(hosts.map((h) => [h.name, [] as string[]]));
  const sharedKeys = new Set<string>();
  for (const spec of keys) {
    if (HOST_PER_HOST_KEYS.has(spec.key)) continue;
    const values = hosts.map((h) => hostValue(h, spec));
    const first = values[0];
    if (hosts.length > 1 && first !== undefined && values.every((v) => v === first)) {
      shared.push(line(spec.key, first));
      sharedKeys.add(spec.key);
    }
  }
  for (const h of hosts) {
    const lines = own.get(h.name)!;
    for (const spec of keys) {
      if (sharedKeys.has(spec.key) || HOST_PER_HOST_KEYS.has(spec.key)) continue;
      const v = hostValue(h, spec);
      if (v !== undefined) lines.push(line(spec.key, v));
    }
  }
  return { shared, own };
}

export function renderMmmCommon(model: MmmConfig): string {
  const blocks: string[] = [];
  const top = [topLine("active_master_role", model.activeMasterRole)];
  if (model.maxKillRetries !== MMM_DEFAULTS.maxKillRetries) top.push(topLine("max_kill_retries", String(model.maxKillRetries)));
  if (model.lease !== MMM_DEFAULTS.lease) top.push(topLine("lease", String(model.lease)));
  if (model.clusterSecretFile !== MMM_DEFAULTS.clusterSecretFile) top.push(topLine("cluster_secret_file", model.clusterSecretFile));
  if (model.debug) top.push(topLine("debug", "1"));
  blocks.push(top.join("\n"));

  const keys = orderedHostKeys().filter((s) => !MONITOR_ONLY_HOST_KEYS.has(s.key));
  const { shared, own } = hostBlocks(model.hosts, keys);
  if (shared.length > 0) blocks.push(section("host default", "host", shared));
  for (const h of model.hosts) {
    const first = [line("ip", h.ip), line("mode", h.mode), ...(h.peer !== undefined ? [line("peer", h.peer)] : [])];
    blocks.push(section(`host ${h.name}`, "host", [...first, ...own.get(h.name)!]));
  }
  for (const r of model.roles) {
    const lines = [line("hosts", r.hosts.join(", ")), line("ips", r.ips.join(", ")), line("mode", r.mode)];
    if (r.prefer !== undefined) lines.push(line("prefer", r.prefer));
    blocks.push(section(`role ${r.name}`, "role", lines));
  }
  const s = model.socket;
  if (s.type !== MMM_DEFAULTS.socket.type || s.certFile || s.keyFile || s.caFile) {
    const lines = SOCKET_KEYS.flatMap((spec) => {
      const v = text(spec, (s as unknown as Record<string, unknown>)[spec.field]);
      return v === undefined ? [] : [line(spec.key, v)];
    });
    blocks.push(section("socket", "socket", lines));
  }
  return blocks.join("\n\n") + "\n";
}

const MONITOR_FIRST = ["ip", "pid_path", "bin_path", "status_path", "ping_ips", "auto_set_online"];
const MONITOR_ALWAYS = new Set(["ip", "pid_path", "bin_path", "status_path", "ping_ips"]);

export function renderMmmMon(model: MmmConfig): string {
  const mon = model.monitor;
  if (!mon) throw new InternalError("renderMmmMon: the model has no <monitor> section");
  const blocks = ["include mmm_common.conf"];

  const ordered = [...MONITOR_FIRST.map((k) => MONITOR_KEYS.find((s) => s.key === k)!), ...MONITOR_KEYS.filter((s) => !MONITOR_FIRST.includes(s.key))];
  const monLines: string[] = [];
  for (const spec of ordered) {
    const v = (mon as unknown as Record<string, unknown>)[spec.field];
    const t = text(spec, v);
    if (t === undefined) continue;
    const def = (MMM_DEFAULTS.monitor as Record<string, unknown>)[spec.field];
    if (!MONITOR_ALWAYS.has(spec.key) && def !== undefined && text(spec, def) === t) continue;
    monLines.push(line(spec.key, t));
  }
  blocks.push(section("monitor", "monitor", monLines));

  const monitorKeys = HOST_KEYS.filter((s) => MONITOR_ONLY_HOST_KEYS.has(s.key));
  const { shared, own } = hostBlocks(model.hosts, monitorKeys);
  if (shared.length > 0) blocks.push(section("host default", "host", shared));
  for (const h of model.hosts) {
    const lines = own.get(h.name)!;
    if (lines.length > 0) blocks.push(section(`host ${h.name}`, "host", lines));
  }

  const sharedChecks: string[] = [];
  const perCheck = new Map<string, string[]>(CHECK_NAMES.map((c) => [c, []]));
  for (const spec of CHECK_KEYS) {
    const def = String((MMM_DEFAULTS.check as Record<string, unknown>)[spec.field]);
    const values = CHECK_NAMES.map((c) => String((model.checks[c] as unknown as Record<string, unknown>)[spec.field]));
    if (values.every((v) => v === values[0])) {
      if (values[0] !== def) sharedChecks.push(line(spec.key, values[0]!));
      continue;
    }
    CHECK_NAMES.forEach((c, i) => {
      if (values[i] !== def) perCheck.get(c)!.push(line(spec.key, values[i]!));
    });
  }
  if (sharedChecks.length > 0) blocks.push(section("check default", "check", sharedChecks));
  for (const c of CHECK_NAMES) {
    const lines = perCheck.get(c)!;
    if (lines.length > 0) blocks.push(section(`check ${c}`, "check", lines));
  }
  if (!model.debug) blocks.push("debug 0");
  return blocks.join("\n\n") + "\n";
}

export function renderMmmAgent(host: string): string {
  return `include mmm_common.conf\n\nthis ${host}\n`;
}
