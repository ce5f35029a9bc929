import { ConfigError } from "../errors.js";
import { Secret } from "../secret.js";
import {
  CHECK_NAMES,
  MMM_DEFAULTS,
  type CheckName,
  type MmmCheck,
  type MmmConfig,
  type MmmHost,
  type MmmMonitor,
  type MmmProgram,
  type MmmRole,
  type MmmSocket,
} from "./model.js";
import { SECTIONS, TOP_KEYS, TOOLS_ONLY, closest, type KeySpec, type SectionSpec, type SectionType } from "./keys.js";

/**
 * Reads MMM 2.2's config format the way MMM's own parser (lib/Common/Config.pm) does:
 * `key value` lines, `#` comments on their own line only (MMM keeps "1 # x" as the value),
 * comma lists with or without spaces, unique (`<monitor>`) and named (`<host db1>`) sections,
 * empty sections (`<check mysql/>`), repeated sections merged key by key (the later value wins),
 * `<host default>` / `<check default>` as templates applied after everything is read, and
 * `include FILE` (".conf" appended when missing, as MMM does).
 *
 * Pure: files come through `readInclude`. Every problem is reported, each as "file:line: what".
 */

export type ReadInclude = (name: string) => string;

export interface ParseMmmOptions {
  /** Also require what this program needs (MMM's per-program `required`). */
  readonly program?: MmmProgram;
}

interface Entry {
  readonly value: string;
  readonly file: string;
  readonly line: number;
}

interface RawSection {
  readonly file: string;
  readonly line: number;
  readonly entries: Map<string, Entry>;
}

interface Raw {
  readonly top: Map<string, Entry>;
  readonly unique: Map<SectionType, RawSection>;
  readonly named: Map<SectionType, Map<string, RawSection>>;
}

const RE = {
  skip: /^\s*(#.*)?$/,
  end: /^\s*<\/\s*(\w+)\s*>\s*$/,
  include: /^\s*include\s+(\S+)\s*$/,
  open: /^\s*<\s*(\w+)\s*(\/)?>\s*$/,
  openNamed: /^\s*<\s*(\w+)\s+([\w-]+)\s*(\/)?>\s*$/,
  keyValue: /^\s*(\S+)\s+(.*)$/,
  bareWord: /^\s*(\S+)\s*$/,
};

const where = (file: string, line: number) => `${file}:${line}`;

export function parseMmmConfig(
  text: string,
  file: string,
  readInclude: ReadInclude,
  options: ParseMmmOptions = {},
): MmmConfig {
  const problems: string[] = [];
  const raw: Raw = { top: new Map(), unique: new Map(), named: new Map() };
  readFile(text, file, readInclude, raw, problems, [file]);
  const config = resolve(raw, file, options.program, problems);
  if (problems.length > 0 || config === undefined) {
    const n = problems.length;
    throw new ConfigError(`${file}: invalid MMM configuration (${n} problem${n === 1 ? "" : "s"})`, sortByPosition(problems, file));
  }
  return config;
}

/**
 * Problems in reading order: the main file first, then included files in order of mention; by
 * line within a file; file-wide problems (often consequences of the others) last.
 */
function sortByPosition(problems: readonly string[], main: string): string[] {
  const files = [main];
  const keyed = problems.map((p, i) => {
    const m = /^(.*?)(?::(\d+))?: /.exec(p);
    const f = m?.[1] ?? "";
    if (!files.includes(f)) files.push(f);
    return { p, f, line: m?.[2] !== undefined ? Number(m[2]) : Infinity, i };
  });
  return keyed
    .sort((a, b) => files.indexOf(a.f) - files.indexOf(b.f) || a.line - b.line || a.i - b.i)
    .map((x) => x.p);
}

function readFile(
  text: string,
  file: string,
  readInclude: ReadInclude,
  raw: Raw,
  problems: string[],
  stack: readonly string[],
): void {
  const lines = text.split(/\r?\n/);
  // `section` is absent for a section already reported as unknown: its lines are skipped quietly.
  let open: { type: string; spec?: SectionSpec; name?: string; section?: RawSection; line: number } | undefined;

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const no = i + 1;
    const at = where(file, no);
    if (RE.skip.test(line)) continue;

    const end = RE.end.exec(line);
    if (end) {
      const type = end[1]!;
      if (!open) problems.push(`${at}: </${type}> closes no section`);
      else if (type !== open.type)
        problems.push(`${at}: </${type}> closes <${open.type}> opened on line ${open.line}; expected </${open.type}>`);
      open = undefined;
      continue;
    }

    const inc = RE.include.exec(line);
    if (inc) {
      if (open) {
        problems.push(`${at}: include is only allowed outside sections (inside <${open.type}> from line ${open.line})`);
        continue;
      }
      const name = inc[1]!.endsWith(".conf") ? inc[1]! : `${inc[1]!}.conf`;
      if (stack.includes(name)) {
        problems.push(`${at}: include ${name} includes itself (${[...stack, name].join(" → ")})`);
        continue;
      }
      let included: string;
      try {
        included = readInclude(name);
      } catch (err) {
        problems.push(`${at}: cannot read include ${name}: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      readFile(included, name, readInclude, raw, problems, [...stack, name]);
      continue;
    }

    const head = RE.openNamed.exec(line) ?? RE.open.exec(line);
    if (head) {
      const named = head.length === 4;
      const type = head[1]!;
      const name = named ? head[2]! : undefined;
      const empty = (named ? head[3] : head[2]) === "/";
      if (open) {
        problems.push(`${at}: <${type}> opened inside <${open.type}> from line ${open.line}; close it first with </${open.type}>`);
        continue;
      }
      const spec = sectionSpec(type);
      const problem = !spec
        ? unknownSection(type)
        : spec.named && name === undefined
          ? `<${type}> needs a name, e.g. <${type} ${type === "host" ? "db1" : type === "role" ? "writer" : "mysql"}>`
          : !spec.named && name !== undefined
            ? `<${type}> takes no name; write <${type}>`
            : name !== undefined && spec.names && name !== "default" && !spec.names.includes(name)
              ? `unknown ${type} '${name}'${closest(name, spec.names) ? ` (did you mean '${closest(name, spec.names)}'?)` : ""}; MMM knows ${spec.names.join(", ")}${spec.template ? " and default" : ""}`
              : undefined;
      if (problem !== undefined) problems.push(`${at}: ${problem}`);
      const section = spec && problem === undefined ? sectionFor(raw, spec, name, file, no) : undefined;
      if (!empty) {
        open = { type, ...(spec ? { spec } : {}), ...(name !== undefined ? { name } : {}), ...(section ? { section } : {}), line: no };
      }
      continue;
    }

    if (open && !open.section) continue;
    const kv = RE.keyValue.exec(line);
    if (!kv) {
      const bare = RE.bareWord.exec(line);
      problems.push(bare ? `${at}: '${bare[1]}' has no value` : `${at}: invalid line: ${line.trim()}`);
      continue;
    }
    const key = kv[1]!;
    const value = kv[2]!.replace(/\s+$/, "");
    const keys = open?.spec ? open.spec.keys : TOP_KEYS;
    if (!keys.some((s) => s.key === key)) {
      problems.push(`${at}: ${unknownKey(key, open?.spec, open?.name)}`);
      continue;
    }
    (open?.section ? open.section.entries : raw.top).set(key, { value, file, line: no });
  }
  if (open) {
    problems.push(`${where(file, open.line)}: <${open.type}${open.name ? ` ${open.name}` : ""}> is never closed; add </${open.type}>`);
  }
}

function sectionSpec(type: string): SectionSpec | undefined {
  return Object.hasOwn(SECTIONS, type) ? SECTIONS[type as SectionType] : undefined;
}

function sectionFor(raw: Raw, spec: SectionSpec, name: string | undefined, file: string, line: number): RawSection {
  if (name === undefined) {
    let s = raw.unique.get(spec.type);
    if (!s) raw.unique.set(spec.type, (s = { file, line, entries: new Map() }));
    return s;
  }
  let byName = raw.named.get(spec.type);
  if (!byName) raw.named.set(spec.type, (byName = new Map()));
  let s = byName.get(name);
  if (!s) byName.set(name, (s = { file, line, entries: new Map() }));
  return s;
}

function unknownSection(type: string): string {
  if (TOOLS_ONLY.has(type)) return `<${type}> belongs in mmm_tools.conf (MMM's backup tools), which mmm does not use`;
  const guess = closest(type, Object.keys(SECTIONS));
  return `unknown section <${type}>${guess ? ` (did you mean <${guess}>?)` : ""}; sections are ${Object.keys(SECTIONS)
    .map((s) => `<${s}>`)
    .join(", ")}`;
}

function unknownKey(key: string, spec: SectionSpec | undefined, name: string | undefined): string {
  const here = spec ? `<${spec.type}${name ? ` ${name}` : ""}>` : "the top level";
  if (!spec && sectionSpec(key)) return `'${key}' is a section; write <${key}${SECTIONS[key as SectionType].named ? " NAME" : ""}> … </${key}>`;
  if (TOOLS_ONLY.has(key)) return `'${key}' belongs in mmm_tools.conf (MMM's backup tools), which mmm does not use`;
  const keys = (spec ? spec.keys : TOP_KEYS).map((s) => s.key);
  const guess = closest(key, keys);
  if (guess) return `unknown key '${key}' in ${here} (did you mean '${guess}'?)`;
  const elsewhere: string[] = [];
  if (TOP_KEYS.some((s) => s.key === key)) elsewhere.push("the top level");
  for (const s of Object.values(SECTIONS)) if (s.keys.some((x) => x.key === key)) elsewhere.push(`<${s.type}>`);
  if (elsewhere.length > 0) return `'${key}' is not allowed in ${here}; it belongs in ${elsewhere.join(" or ")}`;
  return `unknown key '${key}' in ${here}; allowed: ${keys.join(", ")}`;
}

// ---------------------------------------------------------------------------------------------
// Resolution: templates, defaults, types, references.

type Values = Record<string, unknown>;

function resolve(raw: Raw, file: string, program: MmmProgram | undefined, problems: string[]): MmmConfig | undefined {
  const byProgram = (spec: KeySpec) => program !== undefined && (spec.requiredBy ?? []).includes(program);

  const convertAll = (entries: Map<string, Entry>, specs: readonly KeySpec[], what: string, at: string): Values => {
    const out: Values = {};
    for (const spec of specs) {
      const entry = entries.get(spec.key);
      if (entry === undefined) {
        if (spec.always) problems.push(`${at}: ${what} lacks '${spec.key}'`);
        else if (byProgram(spec)) problems.push(`${at}: ${what} lacks '${spec.key}', which the ${program} needs`);
        continue;
      }
      const v = convert(spec, entry, problems);
      if (v !== undefined) out[spec.field] = v;
    }
    return out;
  };

  // top level
  const top = convertAll(raw.top, TOP_KEYS, "the configuration", file);

  // hosts, with <host default> as template
  const hosts: MmmHost[] = [];
  for (const [name, section] of withTemplate(raw.named.get("host")).sections) {
    const at = where(section.file, section.line);
    const v = convertAll(section.entries, SECTIONS.host.keys.filter((s) => !s.tools), `<host ${name}>`, at);
    const tools: Record<string, string | Secret> = {};
    for (const spec of SECTIONS.host.keys.filter((s) => s.tools)) {
      const e = section.entries.get(spec.key);
      if (e) tools[spec.key] = spec.kind === "secret" ? new Secret(e.value) : e.value;
    }
    hosts.push({
      name,
      ...MMM_DEFAULTS.host,
      ...(v as Partial<MmmHost>),
      tools,
    } as MmmHost);
  }
  if (hosts.length === 0) problems.push(`${file}: no <host NAME> section; MMM needs at least one`);

  // roles
  const roles: MmmRole[] = [];
  for (const [name, section] of raw.named.get("role") ?? new Map<string, RawSection>()) {
    const at = where(section.file, section.line);
    const v = convertAll(section.entries, SECTIONS.role.keys, `<role ${name}>`, at);
    roles.push({ name, mode: "balanced", hosts: [], ips: [], ...(v as Partial<MmmRole>) } as MmmRole);
  }

  // monitor
  let monitor: MmmMonitor | undefined;
  const mon = raw.unique.get("monitor");
  if (mon) {
    const v = convertAll(mon.entries, SECTIONS.monitor.keys, "<monitor>", where(mon.file, mon.line));
    monitor = { ip: "", pingIps: [], ...MMM_DEFAULTS.monitor, ...(v as Partial<MmmMonitor>) } as MmmMonitor;
  } else if (program === "monitor" || program === "control") {
    problems.push(`${file}: no <monitor> section, which the ${program} needs`);
  }

  // checks: every check exists (MMM's create_if_empty), <check default> is their template
  const checkSections = withTemplate(raw.named.get("check"));
  const checks = {} as Record<CheckName, MmmCheck>;
  for (const name of CHECK_NAMES) {
    const section = checkSections.sections.get(name) ?? checkSections.template;
    const v = section ? convertAll(section.entries, SECTIONS.check.keys, `<check ${name}>`, where(section.file, section.line)) : {};
    checks[name] = { ...MMM_DEFAULTS.check, ...(v as Partial<MmmCheck>) };
  }

  // socket
  const sock = raw.unique.get("socket");
  const socketValues = sock ? convertAll(sock.entries, SECTIONS.socket.keys, "<socket>", where(sock.file, sock.line)) : {};
  const socket = { ...MMM_DEFAULTS.socket, ...(socketValues as Partial<MmmSocket>) } as MmmSocket;
  if (sock && socket.type === "ssl") {
    for (const key of ["cert_file", "key_file", ...(program === "control" ? [] : ["ca_file"])] as const) {
      if (!sock.entries.has(key)) problems.push(`${where(sock.file, sock.line)}: <socket> type ssl needs '${key}'`);
    }
  }

  const config: MmmConfig = {
    activeMasterRole: "",
    debug: MMM_DEFAULTS.debug,
    maxKillRetries: MMM_DEFAULTS.maxKillRetries,
    lease: MMM_DEFAULTS.lease,
    clusterSecretFile: MMM_DEFAULTS.clusterSecretFile,
    ...(top as Partial<MmmConfig>),
    hosts,
    roles,
    ...(monitor ? { monitor } : {}),
    checks,
    socket,
  };
  checkReferences(config, raw, file, problems);
  return config;
}

/** Named sections in file order, `default` removed and applied to the others' missing keys. */
function withTemplate(byName: Map<string, RawSection> | undefined): {
  sections: Map<string, RawSection>;
  template: RawSection | undefined;
} {
  const sections = new Map<string, RawSection>();
  const template = byName?.get("default");
  for (const [name, section] of byName ?? []) {
    if (name === "default") continue;
    const entries = new Map(template?.entries ?? []);
    for (const [k, e] of section.entries) entries.set(k, e);
    sections.set(name, { ...section, entries });
  }
  return { sections, template };
}

function convert(spec: KeySpec, e: Entry, problems: string[]): unknown {
  const at = where(e.file, e.line);
  const v = e.value;
  const bad = (expected: string) => {
    problems.push(`${at}: '${spec.key}' must be ${expected}, got '${v}'`);
    return undefined;
  };
  switch (spec.kind) {
    case "string":
      return v;
    case "secret":
      return new Secret(v);
    case "int":
      return /^\d+$/.test(v) ? Number(v) : bad("a whole number");
    case "number":
      return /^\d+(\.\d+)?$/.test(v) ? Number(v) : bad("a number of seconds");
    case "bool":
      if (/^(true|on|yes|1)$/i.test(v)) return true;
      if (/^(false|off|no|0)$/i.test(v)) return false;
      return bad("one of 1/0, yes/no, on/off, true/false (comments must be on their own line)");
    case "enum":
      return spec.values!.includes(v) ? v : bad(`one of ${spec.values!.join(", ")}`);
    case "ip":
      return isIpv4(v) ? v : bad("an IPv4 address (comments must be on their own line)");
    case "list":
    case "iplist": {
      const items = v.split(/\s*,\s*/).filter((x) => x !== "");
      if (spec.kind === "iplist") {
        const wrong = items.filter((x) => !isIpv4(x));
        if (wrong.length > 0) return bad(`a comma-separated list of IPv4 addresses (not ${wrong.map((w) => `'${w}'`).join(", ")})`);
      }
      return items;
    }
  }
}

export function isIpv4(s: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  return m !== null && m.slice(1).every((p) => Number(p) <= 255);
}

function checkReferences(config: MmmConfig, raw: Raw, file: string, problems: string[]): void {
  const hostNames = config.hosts.map((h) => h.name);
  const lineOf = (type: SectionType, name: string, key?: string): string => {
    const section = raw.named.get(type)?.get(name);
    const entry = key ? (section?.entries.get(key) ?? raw.named.get(type)?.get("default")?.entries.get(key)) : undefined;
    if (entry) return where(entry.file, entry.line);
    return section ? where(section.file, section.line) : file;
  };
  const topAt = (key: string) => {
    const e = raw.top.get(key);
    return e ? where(e.file, e.line) : file;
  };
  const unknownHost = (h: string) => {
    const guess = closest(h, hostNames);
    return `'${h}' is not a host${guess ? ` (did you mean '${guess}'?)` : ""}; hosts are ${hostNames.join(", ")}`;
  };

  for (const h of config.hosts) {
    if (h.mode === "master" && h.peer === undefined) {
      problems.push(`${lineOf("host", h.name)}: master ${h.name} needs 'peer' (the other master)`);
    }
    if (h.peer !== undefined) {
      if (h.peer === h.name) problems.push(`${lineOf("host", h.name, "peer")}: ${h.name} cannot be its own peer`);
      else if (!hostNames.includes(h.peer)) problems.push(`${lineOf("host", h.name, "peer")}: peer ${unknownHost(h.peer)}`);
    }
  }
  const ipOwner = new Map<string, string>();
  for (const h of config.hosts) if (h.ip) ipOwner.set(h.ip, `host ${h.name}`);
  for (const r of config.roles) {
    for (const h of r.hosts) if (!hostNames.includes(h)) problems.push(`${lineOf("role", r.name, "hosts")}: role ${r.name}: ${unknownHost(h)}`);
    if (r.prefer !== undefined) {
      if (r.mode !== "exclusive") problems.push(`${lineOf("role", r.name, "prefer")}: 'prefer' is only allowed in exclusive roles; ${r.name} is ${r.mode}`);
      else if (!r.hosts.includes(r.prefer)) problems.push(`${lineOf("role", r.name, "prefer")}: prefer ${r.prefer} is not one of role ${r.name}'s hosts (${r.hosts.join(", ")})`);
    }
    if (r.mode === "exclusive" && r.ips.length > 1) {
      problems.push(`${lineOf("role", r.name, "ips")}: exclusive role ${r.name} has ${r.ips.length} ips; it takes exactly one`);
    }
    for (const ip of r.ips) {
      const other = ipOwner.get(ip);
      if (other !== undefined) problems.push(`${lineOf("role", r.name, "ips")}: ip ${ip} of role ${r.name} is also used by ${other}`);
      else ipOwner.set(ip, `role ${r.name}`);
    }
  }
  if (config.activeMasterRole !== "") {
    const role = config.roles.find((r) => r.name === config.activeMasterRole);
    const roleNames = config.roles.map((r) => r.name);
    if (!role) {
      const guess = closest(config.activeMasterRole, roleNames);
      problems.push(
        `${topAt("active_master_role")}: active_master_role '${config.activeMasterRole}' is not a role${guess ? ` (did you mean '${guess}'?)` : ""}; roles are ${roleNames.join(", ") || "(none)"}`,
      );
    } else if (role.mode !== "exclusive") {
      problems.push(`${topAt("active_master_role")}: active_master_role ${role.name} must be an exclusive role, not ${role.mode}`);
    }
  }
  if (config.this !== undefined && !hostNames.includes(config.this)) {
    problems.push(`${topAt("this")}: this ${unknownHost(config.this)}`);
  }
}
