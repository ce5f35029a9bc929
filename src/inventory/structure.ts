import { checkConnectionValue, checkEnvName, checkMmmValue } from "./check-value.js";
import { closest, didYouMean } from "./did-you-mean.js";
import { CONNECTION_VARS, ENV_SUFFIX, MMM_KEYS, REJECTED_ANSIBLE_VARS, connectionVar, mmmVar, slotOf } from "./known-vars.js";
import { joinPath, START, type Pos, type Problem } from "./problem.js";
import { describeNode, toPlain, type YMap, type YNode } from "./yaml-tree.js";

/**
 * The Ansible structure of an inventory: groups (with their parents, children, direct hosts and
 * vars) and hosts (with their host vars), exactly as the YAML inventory plugin reads them,
 * plus a problem for every key that is not what mmm expects.
 */
export interface VarDef {
  /** The key as written. */
  readonly key: string;
  /** The variable it sets: `mmm_x_password_env` sets `mmm_x_password`. */
  readonly slot: string;
  readonly keyPos: Pos;
  readonly path: string;
  readonly node: YNode;
  /** The checked value (known variables) or the plain value; INVALID when already reported. */
  readonly value: unknown;
}

export interface GroupInfo {
  readonly name: string;
  /** Where the group is first defined. */
  readonly path: string;
  readonly pos: Pos;
  readonly parents: string[];
  readonly children: string[];
  /** Hosts listed directly under this group's `hosts`. */
  readonly hosts: string[];
  readonly vars: VarDef[];
}

export interface HostInfo {
  readonly name: string;
  /** Where the host is first listed. */
  readonly path: string;
  readonly pos: Pos;
  /** Host vars from every place the host is listed, in file order. */
  readonly vars: VarDef[];
}

export interface InventoryTree {
  /** Insertion order is file order; "all" is always present. */
  readonly groups: ReadonlyMap<string, GroupInfo>;
  /** Insertion order is the order hosts first appear in the file. */
  readonly hosts: ReadonlyMap<string, HostInfo>;
}

const GROUP_KEYS = ["hosts", "vars", "children"];
const STRIPPED_MMM_KEYS = MMM_KEYS.map((k) => k.slice("mmm_".length));
const CONNECTION_NAMES = CONNECTION_VARS.map((v) => v.name);

export function buildTree(root: YNode | undefined, sink: Problem[]): InventoryTree {
  const groups = new Map<string, GroupInfo>();
  const hosts = new Map<string, HostInfo>();
  const group = (name: string, path: string, pos: Pos): GroupInfo => {
    let g = groups.get(name);
    if (!g) {
      g = { name, path, pos, parents: [], children: [], hosts: [], vars: [] };
      groups.set(name, g);
    }
    return g;
  };
  const walkGroup = (name: string, node: YNode, path: string, pos: Pos, parent: string | undefined): void => {
    const g = group(name, path, pos);
    if (parent !== undefined) {
      if (!g.parents.includes(parent)) g.parents.push(parent);
      const p = group(parent, parent, START);
      if (!p.children.includes(name)) p.children.push(name);
    }
    if (node.kind === "scalar" && node.value === null) return;
    if (node.kind !== "map") {
      sink.push({ pos: node.pos, path, message: `group ${name} must be a mapping with hosts, vars or children, not ${describeNode(node)}` });
      return;
    }
    for (const e of node.entries) {
      const p = joinPath(path, e.key);
      switch (e.key) {
        case "hosts":
          walkHosts(name, e.value, p);
          break;
        case "vars":
          if (isNull(e.value)) break;
          if (e.value.kind !== "map") sink.push({ pos: e.value.pos, path: p, message: `vars must be a mapping of variable names to values, not ${describeNode(e.value)}` });
          else g.vars.push(...readVars(e.value, p, "group", sink));
          break;
        case "children":
          if (isNull(e.value)) break;
          if (e.value.kind !== "map") {
            sink.push({ pos: e.value.pos, path: p, message: `children must be a mapping of group names (write 'name:' not '- name'), not ${describeNode(e.value)}` });
            break;
          }
          for (const c of e.value.entries) {
            const cp = joinPath(p, c.key);
            if (c.key === "all") sink.push({ pos: c.keyPos, path: cp, message: "all contains every group; it cannot be a child group" });
            else walkGroup(c.key, c.value, cp, c.keyPos, name);
          }
          break;
        default:
          sink.push({
            pos: e.keyPos,
            path: p,
            message: `unknown key ${e.key} in group ${name}${didYouMean(e.key, GROUP_KEYS)}; a group has hosts, vars and children`,
          });
      }
    }
  };

  const walkHosts = (groupName: string, node: YNode, path: string): void => {
    if (isNull(node)) return;
    if (node.kind !== "map") {
      sink.push({ pos: node.pos, path, message: `hosts must be a mapping of host names (write 'db1:' not '- db1'), not ${describeNode(node)}` });
      return;
    }
    const g = groups.get(groupName)!;
    for (const e of node.entries) {
      const p = joinPath(path, e.key);
      const bad = hostNameProblem(e.key);
      if (bad) {
        sink.push({ pos: e.keyPos, path: p, message: bad });
        continue;
      }
      let h = hosts.get(e.key);
      if (!h) {
        h = { name: e.key, path: p, pos: e.keyPos, vars: [] };
        hosts.set(e.key, h);
      }
      if (!g.hosts.includes(e.key)) g.hosts.push(e.key);
      if (isNull(e.value)) continue;
      if (e.value.kind !== "map") {
        sink.push({ pos: e.value.pos, path: p, message: `host ${e.key} must map to its variables (or nothing), not ${describeNode(e.value)}` });
        continue;
      }
      h.vars.push(...readVars(e.value, p, "host", sink));
    }
  };

  if (root === undefined || isNull(root)) {
    sink.push({ pos: START, path: "", message: "the inventory is empty: it needs all: with children mmm_monitor, mmm_masters and mmm_slaves" });
  } else if (root.kind !== "map") {
    sink.push({ pos: root.pos, path: "", message: `an inventory is a mapping with all: at the top, not ${describeNode(root)}` });
  } else {
    for (const e of root.entries) {
      if (e.key === "all") {
        walkGroup("all", e.value, "all", e.keyPos, undefined);
      } else {
        // Ansible makes every top-level key a group under all.
        walkGroup(e.key, e.value, joinPath("", e.key), e.keyPos, "all");
      }
    }
  }
  group("all", "all", START);
  return { groups, hosts };
}

function isNull(node: YNode): boolean {
  return node.kind === "scalar" && node.value === null;
}

function hostNameProblem(name: string): string | undefined {
  if (/\[.*:.*\]/.test(name)) return `host ranges like ${name} are not supported by mmm: list the hosts one by one`;
  if (/^[^:]+:[0-9]+$/.test(name)) return `write the port as ansible_port, not in the host name ${name}`;
  if (name.trim() === "" || /\s/.test(name)) return `${JSON.stringify(name)} is not a usable host name`;
  return undefined;
}

/**
 * How far a plain variable may be from an mmm key (without its prefix) and still be taken for a
 * typo of it: short words like `peer` or `gtid` are only flagged when they match exactly, so
 * users' own variables (`user`, `grid`) are not.
 */
function nearMissDistance(stripped: string): number {
  return stripped.length >= 8 ? 2 : stripped.length >= 5 ? 1 : 0;
}

function nearMmmKey(key: string): string | undefined {
  let best: string | undefined;
  for (const s of STRIPPED_MMM_KEYS) {
    const c = closest(key, [s], nearMissDistance(s));
    if (c !== undefined && (best === undefined || key === s)) best = s;
  }
  return best === undefined ? undefined : `mmm_${best}`;
}

function readVars(map: YMap, path: string, level: "group" | "host", sink: Problem[]): VarDef[] {
  const defs: VarDef[] = [];
  for (const e of map.entries) {
    const p = joinPath(path, e.key);
    const def = (value: unknown): VarDef => ({ key: e.key, slot: slotOf(e.key), keyPos: e.keyPos, path: p, node: e.value, value });
    if (e.key.startsWith("mmm_")) {
      const spec = mmmVar(slotOf(e.key));
      if (!spec || (e.key.endsWith(ENV_SUFFIX) && spec.type !== "secret")) {
        sink.push({ pos: e.keyPos, path: p, message: `unknown variable ${e.key}${didYouMean(e.key, MMM_KEYS, Math.max(2, Math.floor(e.key.length / 5)))}` });
        continue;
      }
      const value = e.key.endsWith(ENV_SUFFIX) ? checkEnvName(e.value, p, sink) : checkMmmValue(spec.type, e.value, p, sink);
      const other = e.key.endsWith(ENV_SUFFIX) ? spec.name : spec.name + ENV_SUFFIX;
      if (map.entries.some((o) => o.key === other) && e.key.endsWith(ENV_SUFFIX)) {
        sink.push({ pos: e.keyPos, path: p, message: `give either ${spec.name} or ${spec.name}${ENV_SUFFIX}, not both` });
        continue;
      }
      defs.push(def(value));
    } else if (e.key.startsWith("ansible_")) {
      const rejected = REJECTED_ANSIBLE_VARS[e.key];
      if (rejected) {
        const v = toPlain(e.value);
        if (!(rejected.allowed && typeof v === "string" && rejected.allowed.includes(v))) {
          sink.push({ pos: e.keyPos, path: p, message: `${e.key}${rejected.allowed ? `: ${JSON.stringify(v)}` : ""}: ${rejected.message}` });
        }
        continue;
      }
      const spec = connectionVar(e.key);
      if (spec) {
        if (e.key === "ansible_group_priority" && level === "host") {
          sink.push({ pos: e.keyPos, path: p, message: "ansible_group_priority is a group variable; move it to the group's vars" });
          continue;
        }
        defs.push(def(checkConnectionValue(spec, e.value, p, sink)));
        continue;
      }
      // Other ansible_ variables are Ansible's business; only an evident typo of ours is flagged.
      const near = closest(e.key, CONNECTION_NAMES, 1);
      if (near !== undefined) sink.push({ pos: e.keyPos, path: p, message: `unknown variable ${e.key} (did you mean ${near}?)` });
      else defs.push(def(toPlain(e.value)));
    } else {
      const near = nearMmmKey(e.key);
      if (near !== undefined) {
        sink.push({ pos: e.keyPos, path: p, message: `${e.key} looks like an mmm variable without its prefix (did you mean ${near}?); rename your own variable if it is not` });
        continue;
      }
      defs.push(def(toPlain(e.value)));
    }
  }
  return defs;
}

/** ansible_group_priority of a group (Ansible's default is 1). */
export function groupPriority(g: GroupInfo): number {
  let p = 1;
  for (const d of g.vars) if (d.key === "ansible_group_priority" && typeof d.value === "number") p = d.value;
  return p;
}
