import type { Problem } from "./problem.js";
import { groupPriority, type GroupInfo, type InventoryTree, type VarDef } from "./structure.js";

/**
 * Ansible's variable precedence for one host: all.vars < parent group vars < child group vars <
 * host vars. Groups are applied in Ansible's order, sorted by (depth, ansible_group_priority,
 * name), so of two unrelated groups at the same depth the later name wins, as in Ansible.
 */
export interface ResolvedVar {
  readonly def: VarDef;
  /** Higher wins; lets `x_password` and `x_password_env` compete as one variable. */
  readonly rank: number;
}

export interface Hierarchy {
  /** Longest path from all (all = 0), as Ansible computes it. */
  readonly depth: ReadonlyMap<string, number>;
  /** Every host of each group, its descendants' included, in file order. */
  readonly members: ReadonlyMap<string, readonly string[]>;
}

export function analyseHierarchy(tree: InventoryTree, sink: Problem[]): Hierarchy {
  const depth = new Map<string, number>();
  const reported = new Set<string>();
  const visit = (g: GroupInfo, d: number, trail: string[]): void => {
    if (trail.includes(g.name)) {
      if (!reported.has(g.name)) {
        reported.add(g.name);
        sink.push({ pos: g.pos, path: g.path, message: `group ${g.name} is its own descendant (${[...trail.slice(trail.indexOf(g.name)), g.name].join(" → ")}); remove one of the children entries` });
      }
      return;
    }
    if ((depth.get(g.name) ?? -1) >= d) return;
    depth.set(g.name, d);
    for (const c of g.children) visit(tree.groups.get(c)!, d + 1, [...trail, g.name]);
  };
  visit(tree.groups.get("all")!, 0, []);

  const order = [...tree.hosts.keys()];
  const members = new Map<string, string[]>();
  const collect = (g: GroupInfo, seen: Set<string>, into: Set<string>): void => {
    if (seen.has(g.name)) return;
    seen.add(g.name);
    for (const h of g.hosts) into.add(h);
    for (const c of g.children) collect(tree.groups.get(c)!, seen, into);
  };
  for (const g of tree.groups.values()) {
    const into = new Set<string>();
    collect(g, new Set(), into);
    // Every host is in all, even one listed only under an unrelated top-level group.
    members.set(g.name, order.filter((h) => into.has(h) || g.name === "all"));
  }
  return { depth, members };
}

/** The groups a host belongs to (all included), in the order their vars are applied. */
export function hostGroups(tree: InventoryTree, hier: Hierarchy, host: string): GroupInfo[] {
  const gs = [...tree.groups.values()].filter((g) => hier.members.get(g.name)?.includes(host));
  return gs.sort(
    (a, b) =>
      (hier.depth.get(a.name) ?? 0) - (hier.depth.get(b.name) ?? 0) ||
      groupPriority(a) - groupPriority(b) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
}

/** Every variable of `host` by the key it is written with, as Ansible resolves them. */
export function resolveHostVars(tree: InventoryTree, hier: Hierarchy, host: string): Map<string, ResolvedVar> {
  const out = new Map<string, ResolvedVar>();
  let rank = 0;
  for (const g of hostGroups(tree, hier, host)) for (const def of g.vars) out.set(def.key, { def, rank: rank++ });
  for (const def of tree.hosts.get(host)?.vars ?? []) out.set(def.key, { def, rank: rank++ });
  return out;
}

/**
 * The winning definition of each variable slot: `mmm_x_password` and `mmm_x_password_env` are one
 * variable written two ways, so the more specific level wins whichever spelling it uses.
 */
export function resolveSlots(vars: ReadonlyMap<string, ResolvedVar>): Map<string, ResolvedVar> {
  const out = new Map<string, ResolvedVar>();
  for (const r of vars.values()) {
    const cur = out.get(r.def.slot);
    if (!cur || r.rank > cur.rank) out.set(r.def.slot, r);
  }
  return out;
}
