import { resolve as resolvePath } from "node:path";
import { ConfigError } from "../errors.js";
import { Secret } from "../secret.js";
import { INVALID, type Located, type RoleSpec } from "./check-value.js";
import { closest, didYouMean } from "./did-you-mean.js";
import { addressProblem, broadcastOf, formatIpv4, isIpLiteral, isHostName, looksLikeIp, networkOf, parseIpv4 } from "./ip.js";
import { ENV_SUFFIX, MMM_VARS, mmmVar, type VarSpec } from "./known-vars.js";
import type { Account, ClusterRole, ClusterSettings, HostKind, Inventory, InventoryHost, SshTarget } from "./model.js";
import { formatProblem, joinPath, sortProblems, type Pos, type Problem } from "./problem.js";
import { analyseHierarchy, resolveHostVars, resolveSlots, type Hierarchy, type ResolvedVar } from "./resolve.js";
import { assignServerIds } from "./server-ids.js";
import { firstOption, type SshArgs } from "./ssh-args.js";
import { buildTree, type HostInfo, type InventoryTree } from "./structure.js";
import { readYamlTree, toPlain } from "./yaml-tree.js";

export type Env = Readonly<Record<string, string | undefined>>;

export interface InventoryCheck {
  readonly inventory?: Inventory;
  /** Sorted by position; empty exactly when `inventory` is set. */
  readonly problems: readonly Problem[];
}

/** The groups that give a host its part in the cluster. */
export const KIND_GROUPS: readonly { readonly group: string; readonly kind: HostKind }[] = [
  { group: "mmm_monitor", kind: "monitor" },
  { group: "mmm_masters", kind: "master" },
  { group: "mmm_slaves", kind: "slave" },
];

/**
 * Parses and validates inventory text. Pure: the file is only a name for messages and for
 * `Inventory.file`; `env` supplies *_password_env values and HOME for `~`.
 * Throws ConfigError(`<file>: N problems`, [`file:line:col  path  message`, …]).
 */
export function parseInventory(text: string, file: string, env: Env = {}): Inventory {
  const { inventory, problems } = checkInventory(text, file, env);
  if (inventory) return inventory;
  throw new ConfigError(
    `${file}: ${problems.length} ${problems.length === 1 ? "problem" : "problems"}`,
    problems.map((p) => formatProblem(file, p)),
  );
}

/** Like parseInventory, but returns the problems instead of throwing. */
export function checkInventory(text: string, file: string, env: Env = {}): InventoryCheck {
  const yaml = readYamlTree(text);
  if (yaml.problems.length > 0) return { problems: sortProblems(yaml.problems) };
  const sink: Problem[] = [];
  const tree = buildTree(yaml.root, sink);
  // Without a mapping at the top there is nothing else to say.
  if (yaml.root?.kind !== "map") return { problems: sortProblems(sink) };
  const hier = analyseHierarchy(tree, sink);
  const inventory = new Checker(tree, hier, file, env, sink).run();
  const problems = sortProblems(sink);
  return problems.length === 0 && inventory ? { inventory, problems } : { problems };
}

/** One host of ours with its resolved variables. */
interface Member {
  readonly name: string;
  readonly kind: HostKind;
  readonly info: HostInfo;
  /** By key as written (Ansible's view). */
  readonly vars: ReadonlyMap<string, ResolvedVar>;
  /** By variable (the two password spellings merged). */
  readonly slots: ReadonlyMap<string, ResolvedVar>;
}

class Checker {
  readonly #members: Member[] = [];

  constructor(
    readonly tree: InventoryTree,
    readonly hier: Hierarchy,
    readonly file: string,
    readonly env: Env,
    readonly sink: Problem[],
  ) {}

  #report(pos: Pos, path: string, message: string): void {
    this.sink.push({ pos, path, message });
  }

  #at(r: ResolvedVar): [Pos, string] {
    return [r.def.node.pos, r.def.path];
  }

  run(): Inventory | undefined {
    this.#classifyHosts();
    const monitor = this.#members.filter((m) => m.kind === "monitor");
    const masters = this.#members.filter((m) => m.kind === "master");
    const slaves = this.#members.filter((m) => m.kind === "slave");
    this.#checkCounts(monitor, masters);
    if (this.#members.length === 0) return undefined;

    const settings = this.#settings();
    const ssh = new Map(this.#members.map((m) => [m.name, this.#sshTarget(m)]));
    this.#checkAddresses(ssh);
    this.#checkKindVars();
    const serverIds = this.#serverIds();
    this.#checkPeers(masters);
    this.#checkSlaves(slaves, masters);
    // Not settings.clusterPrefix: a missing password must not hide the VIP checks.
    const prefix = this.#valueOrDefault(this.#members[0]!, "mmm_cluster_prefix") as number;
    const roles = this.#roles(ssh, prefix);
    const ntpServers = this.#ntpServers();

    if (this.sink.length > 0 || !settings || !roles || !ntpServers || monitor.length !== 1) return undefined;
    const host = (m: Member): InventoryHost => {
      const target = ssh.get(m.name)!;
      const peer = m.kind === "master" ? (this.#value(m, "mmm_peer") as string | undefined) : undefined;
      const master = m.kind === "slave" ? (this.#value(m, "mmm_master") as string | undefined) : undefined;
      const serverId = serverIds.get(m.name);
      return {
        name: m.name,
        kind: m.kind,
        address: target.address,
        ssh: target,
        ...(serverId !== undefined ? { serverId } : {}),
        ...(peer !== undefined ? { peer } : {}),
        ...(master !== undefined ? { master } : {}),
        clusterInterface: this.#valueOrDefault(m, "mmm_cluster_interface") as string,
        mysqlPort: this.#valueOrDefault(m, "mmm_mysql_port") as number,
        vars: this.#publicVars(m),
      };
    };
    const hosts = [...monitor, ...masters, ...slaves].map(host);
    return {
      file: resolvePath(this.file),
      hosts,
      monitor: hosts[0]!,
      masters: hosts.filter((h) => h.kind === "master"),
      slaves: hosts.filter((h) => h.kind === "slave"),
      roles,
      settings: { ...settings, ntpServers },
    };
  }

  /** Which of our groups each host is in; hosts in none of them are the user's own business. */
  #classifyHosts(): void {
    for (const g of this.tree.groups.values()) {
      if (g.name.startsWith("mmm_") && !KIND_GROUPS.some((k) => k.group === g.name)) {
        const names = KIND_GROUPS.map((k) => k.group);
        this.#report(g.pos, g.path, `unknown group ${g.name}${didYouMean(g.name, names)}; mmm's groups are ${names.join(", ")}`);
      }
    }
    for (const info of this.tree.hosts.values()) {
      const kinds = KIND_GROUPS.filter((k) => this.hier.members.get(k.group)?.includes(info.name));
      const first = kinds[0];
      if (!first) continue;
      if (kinds.length > 1) {
        this.#report(info.pos, info.path, `${info.name} is in both ${kinds[0]!.group} and ${kinds[1]!.group}; a host is the monitor, a master or a slave`);
      }
      const vars = resolveHostVars(this.tree, this.hier, info.name);
      this.#members.push({ name: info.name, kind: first.kind, info, vars, slots: resolveSlots(vars) });
    }
  }

  #checkCounts(monitor: Member[], masters: Member[]): void {
    const all = this.tree.groups.get("all")!;
    const missing = (group: string, what: string): void => {
      const g = this.tree.groups.get(group);
      const near = closest(group, [...this.tree.groups.keys()].filter((n) => n !== group), 3);
      if (g) this.#report(g.pos, g.path, `${group} has no hosts: ${what}`);
      else this.#report(all.pos, all.path, `missing group ${group}${near ? ` (is ${near} meant to be it?)` : ""}: add it under all.children with ${what.replace(/^add /, "")}`);
    };
    if (monitor.length === 0) missing("mmm_monitor", "add the monitor host");
    for (const extra of monitor.slice(1)) {
      this.#report(extra.info.pos, extra.info.path, `mmm_monitor has ${monitor.length} hosts (${monitor.map((m) => m.name).join(", ")}); mmm runs exactly one monitor`);
    }
    if (masters.length === 0) missing("mmm_masters", "add one master or a pair of masters");
    for (const extra of masters.slice(2)) {
      this.#report(extra.info.pos, extra.info.path, `mmm_masters has ${masters.length} hosts (${masters.map((m) => m.name).join(", ")}); mmm manages one master or one pair`);
    }
  }

  /** The checked value of a variable for a host; undefined when unset or invalid (already reported). */
  #value(m: Member, slot: string): unknown {
    const r = m.slots.get(slot);
    return r === undefined || r.def.value === INVALID ? undefined : r.def.value;
  }

  #valueOrDefault(m: Member, slot: string): unknown {
    return this.#value(m, slot) ?? mmmVar(slot)?.default;
  }

  // ---- cluster-wide settings ------------------------------------------------------------

  /**
   * Cluster-wide variables are resolved per host like any other, then must agree on every host
   * of ours; the first host's value (monitor first) is the cluster's.
   */
  #clusterVar(spec: VarSpec): ResolvedVar | undefined | typeof INVALID {
    const hosts = this.#members;
    const groups: { r: ResolvedVar | undefined; key: string; hosts: Member[] }[] = [];
    for (const m of hosts) {
      const r = m.slots.get(spec.name);
      if (r && r.def.value === INVALID) return INVALID;
      const key = r === undefined ? "" : r.def.key + "\0" + canonical(toPlain(r.def.node));
      const g = groups.find((x) => x.key === key);
      if (g) g.hosts.push(m);
      else groups.push({ r, key, hosts: [m] });
    }
    const [ref, ...others] = groups;
    if (!ref) return undefined;
    const fix = "set it once in all.vars";
    for (const o of others) {
      if (o.r && ref.r) {
        const what = spec.type === "secret" ? "this value" : showValue(o.r);
        const refWhat = spec.type === "secret" ? "another" : showValue(ref.r);
        this.#report(...this.#at(o.r), `${spec.name} is cluster-wide but differs between hosts: ${what} here (${names(o.hosts)}), ${refWhat} from ${ref.r.def.path} (${names(ref.hosts)}); ${fix}`);
      } else if (o.r) {
        this.#report(...this.#at(o.r), `${spec.name} is cluster-wide but set here only for ${names(o.hosts)}, not for ${names(ref.hosts)}; ${fix}`);
      } else if (ref.r) {
        const first = o.hosts[0]!;
        this.#report(first.info.pos, first.info.path, `${spec.name} is cluster-wide but not set for ${names(o.hosts)} (${names(ref.hosts)} get it from ${ref.r.def.path}); ${fix}`);
      }
    }
    return ref.r;
  }

  #settings(): Omit<ClusterSettings, "ntpServers"> | undefined {
    const values = new Map<string, ResolvedVar | undefined | typeof INVALID>();
    for (const spec of MMM_VARS) if (spec.scope === "cluster") values.set(spec.name, this.#clusterVar(spec));
    const all = this.tree.groups.get("all")!;
    const val = (name: string): unknown => {
      const r = values.get(name);
      if (r === INVALID) return INVALID;
      return r === undefined ? mmmVar(name)!.default : r.def.value;
    };
    let ok = true;
    for (const spec of MMM_VARS) {
      // Set for some hosts only is reported by #clusterVar as a difference between hosts.
      if (spec.required && this.#members.every((m) => !m.slots.has(spec.name))) {
        ok = false;
        const how =
          spec.type === "secret"
            ? `add ${spec.name}${ENV_SUFFIX}: ENV_NAME (or ${spec.name}) to all.vars`
            : "define the roles and their VIPs in all.vars, e.g. writer: { hosts: [db1, db2], ips: [VIP], mode: exclusive }";
        this.#report(all.pos, joinPath(all.path, "vars"), `${spec.name} is not set: ${how}`);
      }
      if (values.get(spec.name) === INVALID) ok = false;
    }

    const account = (prefix: string): Account | undefined => {
      const user = val(`${prefix}_user`);
      const password = this.#secret(values.get(`${prefix}_password`));
      if (user === INVALID || password === undefined || typeof user !== "string") return undefined;
      return { user, ...password };
    };
    const appUser = values.get("mmm_app_user");
    const appPassword = values.get("mmm_app_password");
    if (appUser && appUser !== INVALID && !appPassword) {
      ok = false;
      this.#report(...this.#at(appUser), "mmm_app_user is set, so mmm_app_password (or mmm_app_password_env) is required too");
    }
    if (appPassword && appPassword !== INVALID && !appUser) {
      ok = false;
      this.#report(...this.#at(appPassword), `${appPassword.def.key} is set but mmm_app_user is not; set both or neither`);
    }
    this.#checkDistinctUsers(values);

    const replication = account("mmm_replication");
    const agent = account("mmm_agent");
    const monitor = account("mmm_monitor");
    const app = appUser && appUser !== INVALID && appPassword ? account("mmm_app") : undefined;
    const databases = val("mmm_app_databases");
    if (!replication || !agent || !monitor || (appUser && !app) || !ok) return undefined;
    // Set: checked Located entries; unset: the table's default, plain strings.
    const list = (v: unknown): string[] => (v as (Located | string)[]).map((l) => (typeof l === "string" ? l : l.value));
    return {
      replication,
      agent,
      monitor,
      ...(app ? { app: { ...app, databases: list(databases) } } : {}),
      ntpAdjustClock: val("mmm_ntp_adjust_clock") as boolean,
      semiSync: val("mmm_semi_sync") as boolean,
      gtid: val("mmm_gtid") as boolean,
      clusterPrefix: val("mmm_cluster_prefix") as number,
      agentPort: val("mmm_agent_port") as number,
      monitorPort: val("mmm_monitor_port") as number,
    };
  }

  /** A password, read from the environment when given as *_password_env. */
  #secret(r: ResolvedVar | undefined | typeof INVALID): { password: Secret; passwordEnv?: string } | undefined {
    if (r === undefined || r === INVALID) return undefined;
    const v = r.def.value as string;
    if (!r.def.key.endsWith(ENV_SUFFIX)) return { password: new Secret(v) };
    const fromEnv = this.env[v];
    if (fromEnv === undefined || fromEnv === "") {
      this.#report(...this.#at(r), `environment variable ${v} is not set (or is empty): export it before running mmm`);
      return undefined;
    }
    return { password: new Secret(fromEnv), passwordEnv: v };
  }

  #checkDistinctUsers(values: ReadonlyMap<string, ResolvedVar | undefined | typeof INVALID>): void {
    const seen: { name: string; user: string }[] = [];
    for (const prefix of ["mmm_replication", "mmm_agent", "mmm_monitor", "mmm_app"]) {
      const name = `${prefix}_user`;
      const r = values.get(name);
      if (r === INVALID) continue;
      if (r === undefined && prefix === "mmm_app") continue;
      const user = (r === undefined ? mmmVar(name)!.default : r.def.value) as string;
      const clash = seen.find((s) => s.user === user);
      if (clash && r) this.#report(...this.#at(r), `${name} is ${JSON.stringify(user)}, the same as ${clash.name}; each account needs its own user`);
      seen.push({ name, user });
    }
  }

  // ---- hosts --------------------------------------------------------------------------------

  #sshTarget(m: Member): SshTarget {
    const v = (key: string): unknown => {
      const r = m.vars.get(key);
      return r === undefined || r.def.value === INVALID ? undefined : r.def.value;
    };
    // Ansible's ssh plugin lists the older names last, so they win when both are set.
    const address = (v("ansible_ssh_host") ?? v("ansible_host") ?? m.name) as string;
    if (v("ansible_ssh_host") === undefined && v("ansible_host") === undefined) {
      const why = addressProblem(m.name);
      if (why) this.#report(m.info.pos, m.info.path, `${why}: set ansible_host to the host's address`);
    }
    const user = (v("ansible_ssh_user") ?? v("ansible_user") ?? "root") as string;
    const args = ["ansible_ssh_common_args", "ansible_ssh_extra_args"].map(v).filter((a): a is SshArgs => a !== undefined);
    const key = (v("ansible_ssh_private_key_file") ?? v("ansible_private_key_file")) as string | undefined;
    const keyVar = m.vars.get("ansible_ssh_private_key_file") ?? m.vars.get("ansible_private_key_file");
    const knownHosts = firstOption(args, "UserKnownHostsFile")?.split(/\s+/)[0];
    const proxy = firstOption(args, "ProxyCommand");
    const argsVar = m.vars.get("ansible_ssh_common_args") ?? m.vars.get("ansible_ssh_extra_args");
    let timeout = v("ansible_ssh_timeout") as number | undefined;
    if (timeout === undefined) {
      const t = firstOption(args, "ConnectTimeout");
      if (t !== undefined && /^[1-9][0-9]*$/.test(t)) timeout = Number(t);
      else if (t !== undefined && argsVar) this.#report(...this.#at(argsVar), `ConnectTimeout=${t}: expected a whole number of seconds`);
    }
    const privateKeyFile = key === undefined || !keyVar ? undefined : this.#expandHome(key, keyVar);
    const knownHostsFile = knownHosts === undefined || !argsVar ? undefined : this.#expandHome(knownHosts, argsVar);
    return {
      address,
      port: (v("ansible_ssh_port") ?? v("ansible_port") ?? 22) as number,
      user,
      ...(privateKeyFile !== undefined ? { privateKeyFile } : {}),
      become: (v("ansible_become") as boolean | undefined) ?? user !== "root",
      ...(knownHostsFile !== undefined ? { knownHostsFile } : {}),
      ...(proxy !== undefined && proxy.toLowerCase() !== "none" ? { proxyCommand: proxy } : {}),
      connectTimeout: timeout ?? 10,
    };
  }

  #expandHome(path: string, where: ResolvedVar): string | undefined {
    if (!path.startsWith("~")) return path;
    if (path !== "~" && !path.startsWith("~/")) {
      this.#report(...this.#at(where), `${path}: ~user paths are not supported; write the full path`);
      return undefined;
    }
    const home = this.env["HOME"];
    if (!home) {
      this.#report(...this.#at(where), `${path}: HOME is not set, so ~ cannot be expanded; write the full path`);
      return undefined;
    }
    return home.replace(/\/$/, "") + path.slice(1);
  }

  #checkAddresses(ssh: ReadonlyMap<string, SshTarget>): void {
    const seen = new Map<string, string>();
    for (const m of this.#members) {
      const a = ssh.get(m.name)!.address;
      const k = a.toLowerCase();
      const other = seen.get(k);
      if (other !== undefined) {
        const r = m.vars.get("ansible_ssh_host") ?? m.vars.get("ansible_host");
        const [pos, path] = r ? this.#at(r) : [m.info.pos, m.info.path];
        this.#report(pos, path, `address ${a} of ${m.name} is also ${other}'s; every host needs its own address`);
      } else seen.set(k, m.name);
    }
  }

  /** Variables that say what a host is must agree with the group it is in. */
  #checkKindVars(): void {
    for (const m of this.#members) {
      const peer = m.slots.get("mmm_peer");
      const master = m.slots.get("mmm_master");
      const id = m.slots.get("mmm_server_id");
      if (m.kind === "monitor") {
        for (const r of [peer, master, id]) {
          if (r) this.#report(...this.#at(r), `${r.def.key} applies to database hosts, and ${m.name} is the monitor; remove it there`);
        }
      }
      if (m.kind === "master" && master) {
        this.#report(...this.#at(master), `${m.name} is a master: it replicates from its mmm_peer, not mmm_master; remove mmm_master`);
      }
      if (m.kind === "slave" && peer) {
        this.#report(...this.#at(peer), `${m.name} is a slave: it replicates from its mmm_master and has no mmm_peer; remove mmm_peer`);
      }
    }
  }

  #serverIds(): Map<string, number> {
    const dbs = this.#members.filter((m) => m.kind !== "monitor");
    const byId = new Map<number, Member>();
    for (const m of dbs) {
      const id = this.#value(m, "mmm_server_id") as number | undefined;
      if (id === undefined) continue;
      const other = byId.get(id);
      if (other) this.#report(...this.#at(m.slots.get("mmm_server_id")!), `server id ${id} of ${m.name} is also ${other.name}'s; server ids must be unique`);
      else byId.set(id, m);
    }
    return assignServerIds(
      dbs.map((m) => {
        const explicit = this.#value(m, "mmm_server_id") as number | undefined;
        return { name: m.name, kind: m.kind as "master" | "slave", ...(explicit !== undefined ? { explicit } : {}) };
      }),
    );
  }

  #checkPeers(masters: Member[]): void {
    if (masters.length > 2) return;
    for (const m of masters) {
      const r = m.slots.get("mmm_peer");
      const peer = this.#value(m, "mmm_peer") as string | undefined;
      const other = masters.find((o) => o !== m);
      if (!other) {
        if (r && peer !== undefined) {
          this.#report(...this.#at(r), `mmm_peer: ${peer}, but ${m.name} is the only master; remove mmm_peer, or add ${peer} to mmm_masters`);
        }
        continue;
      }
      if (!r) this.#report(m.info.pos, m.info.path, `${m.name} is one of two masters: set mmm_peer: ${other.name}`);
      else if (peer !== undefined && peer !== other.name) {
        this.#report(...this.#at(r), `mmm_peer: ${peer} is not the other master; the pair is ${masters.map((x) => x.name).join(" and ")}, so ${m.name}'s peer is ${other.name}`);
      }
    }
  }

  #checkSlaves(slaves: Member[], masters: Member[]): void {
    const names = masters.map((m) => m.name);
    for (const s of slaves) {
      const r = s.slots.get("mmm_master");
      const master = this.#value(s, "mmm_master") as string | undefined;
      if (!r) {
        this.#report(s.info.pos, s.info.path, `slave ${s.name} needs mmm_master: the master it replicates from (${names.join(" or ") || "none defined"})`);
      } else if (master !== undefined && !names.includes(master)) {
        const known = this.tree.hosts.has(master) ? `${master} is not a master` : `no host ${master} in this inventory`;
        const masters = names.length > 0 ? `masters are ${names.join(", ")}` : "mmm_masters has no hosts yet";
        this.#report(...this.#at(r), `mmm_master: ${known}${didYouMean(master, names)}; ${masters}`);
      }
    }
  }

  // ---- roles and VIPs -----------------------------------------------------------------------

  #roles(ssh: ReadonlyMap<string, SshTarget>, prefix: number): ClusterRole[] | undefined {
    const first = this.#members[0]!;
    const r = first.slots.get("mmm_roles");
    if (!r || r.def.value === INVALID) return undefined;
    const specs = r.def.value as RoleSpec[];
    const dbs = new Map(this.#members.filter((m) => m.kind !== "monitor").map((m) => [m.name, m]));
    const addresses = new Map<string, string>();
    for (const m of this.#members) addresses.set(ssh.get(m.name)!.address, m.name);
    const vipOwner = new Map<string, string>();
    for (const role of specs) {
      for (const h of role.hosts) {
        if (dbs.has(h.value)) continue;
        if (this.tree.hosts.has(h.value)) {
          this.#report(h.pos, h.path, `role ${role.name}: ${h.value} is not a database host; roles are held by hosts in mmm_masters or mmm_slaves`);
        } else {
          this.#report(h.pos, h.path, `role ${role.name}: no host ${h.value} in this inventory${didYouMean(h.value, dbs.keys())}`);
        }
      }
      for (const ip of role.ips) {
        const owner = vipOwner.get(ip.value);
        // A repeat inside one role is reported where the role is checked.
        if (owner === role.name) continue;
        if (owner !== undefined) this.#report(ip.pos, ip.path, `VIP ${ip.value} is also in role ${owner}; each VIP belongs to one role`);
        else vipOwner.set(ip.value, role.name);
        const host = addresses.get(ip.value);
        if (host !== undefined) this.#report(ip.pos, ip.path, `VIP ${ip.value} is ${host}'s own address; a VIP must be an unused address`);
        this.#checkSubnet(role, ip, ssh, prefix);
      }
    }
    return specs.map((s) => ({
      name: s.name,
      hosts: s.hosts.map((h) => h.value),
      ips: s.ips.map((i) => i.value),
      mode: s.mode,
      ...(s.prefer ? { prefer: s.prefer.value } : {}),
    }));
  }

  /** A VIP moves between the hosts of its role, so it must be on-link for every one of them. */
  #checkSubnet(role: RoleSpec, ip: Located, ssh: ReadonlyMap<string, SshTarget>, prefix: number): void {
    const vip = parseIpv4(ip.value);
    if (vip === undefined) return;
    for (const h of role.hosts) {
      const address = ssh.get(h.value)?.address;
      // Hosts given by name are resolved only on the hosts themselves; their subnet is unknown here.
      const a = address === undefined ? undefined : parseIpv4(address);
      if (a === undefined) continue;
      const net = `${formatIpv4(networkOf(a, prefix))}/${prefix}`;
      if (networkOf(a, prefix) !== networkOf(vip, prefix)) {
        this.#report(ip.pos, ip.path, `VIP ${ip.value} is outside ${h.value}'s network ${net} (${address}, mmm_cluster_prefix ${prefix})`);
        return;
      }
      if (prefix <= 30 && (vip === networkOf(a, prefix) || vip === broadcastOf(a, prefix))) {
        const which = vip === networkOf(a, prefix) ? "network" : "broadcast";
        this.#report(ip.pos, ip.path, `VIP ${ip.value} is the ${which} address of ${net}`);
        return;
      }
    }
  }

  // ---- time -----------------------------------------------------------------------------------

  /** Names of our hosts, IPs and fully qualified names are kept; other inventory hosts become their address; anything else is a typo. */
  #ntpServers(): string[] | undefined {
    const r = this.#members[0]!.slots.get("mmm_ntp_servers");
    if (!r) return this.#members.filter((m) => m.kind === "monitor").map((m) => m.name);
    if (r.def.value === INVALID) return undefined;
    const out: string[] = [];
    for (const s of r.def.value as Located[]) {
      if (this.#members.some((m) => m.name === s.value)) {
        out.push(s.value);
      } else if (this.tree.hosts.has(s.value)) {
        // Not one of ours, so consumers cannot look it up in Inventory.hosts: give its address.
        out.push(this.#addressOf(s.value));
      } else if (looksLikeIp(s.value)) {
        if (isIpLiteral(s.value)) out.push(s.value);
        else this.#report(s.pos, s.path, `${JSON.stringify(s.value)} is not a valid IP address`);
      } else if (s.value.includes(".") && isHostName(s.value)) {
        out.push(s.value);
      } else if (s.value.includes(".") || /\s/.test(s.value)) {
        this.#report(s.pos, s.path, `${JSON.stringify(s.value)} is neither an IP address nor a host name`);
      } else {
        this.#report(
          s.pos,
          s.path,
          `no host ${s.value} in this inventory${didYouMean(s.value, this.tree.hosts.keys())}; give an inventory host, an IP address or a fully qualified name`,
        );
      }
    }
    return out;
  }

  #addressOf(host: string): string {
    const vars = resolveHostVars(this.tree, this.hier, host);
    for (const k of ["ansible_ssh_host", "ansible_host"]) {
      const v = vars.get(k)?.def.value;
      if (typeof v === "string") return v;
    }
    return host;
  }

  /** Every variable of the host, defaults included, passwords as Secret. */
  #publicVars(m: Member): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const spec of MMM_VARS) if (spec.default !== undefined) out[spec.name] = spec.default;
    for (const [key, r] of m.vars) {
      const spec = mmmVar(r.def.slot);
      if (spec?.type === "secret") continue;
      out[key] = r.def.node.kind === "scalar" && r.def.value !== INVALID && !(typeof r.def.value === "object") ? r.def.value : toPlain(r.def.node);
    }
    for (const [slot, r] of m.slots) {
      if (mmmVar(slot)?.type !== "secret") continue;
      const v = r.def.value as string;
      if (r.def.key.endsWith(ENV_SUFFIX)) {
        out[r.def.key] = v;
        out[slot] = new Secret(this.env[v] ?? "");
      } else out[slot] = new Secret(v);
    }
    return out;
  }
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object" && !(v instanceof Date)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "undefined";
}

function showValue(r: ResolvedVar): string {
  const v = toPlain(r.def.node);
  const s = typeof v === "string" ? JSON.stringify(v) : canonical(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function names(ms: readonly Member[]): string {
  const n = ms.map((m) => m.name);
  return n.length > 4 ? `${n.slice(0, 3).join(", ")} and ${n.length - 3} more` : n.join(", ");
}
