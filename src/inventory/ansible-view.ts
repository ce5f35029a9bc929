import type { Problem } from "./problem.js";
import { analyseHierarchy, resolveHostVars } from "./resolve.js";
import { buildTree } from "./structure.js";
import { readYamlTree, toPlain } from "./yaml-tree.js";

/**
 * The inventory as `ansible-inventory --list` reports it: each group's direct hosts and
 * children, and each host's variables after precedence. It lets the tests hold our reading of
 * a file against Ansible's own.
 */
export interface AnsibleView {
  readonly groups: Readonly<Record<string, { readonly hosts: readonly string[]; readonly children: readonly string[] }>>;
  readonly hostvars: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly problems: readonly Problem[];
}

/** Variables Ansible consumes itself and does not report among a host's vars. */
const CONSUMED = new Set(["ansible_group_priority"]);

export function ansibleView(text: string): AnsibleView {
  const yaml = readYamlTree(text);
  const problems: Problem[] = [...yaml.problems];
  const tree = buildTree(yaml.root, problems);
  const hier = analyseHierarchy(tree, problems);
  const groups: Record<string, { hosts: string[]; children: string[] }> = {};
  for (const g of tree.groups.values()) groups[g.name] = { hosts: [...g.hosts], children: [...g.children] };
  const hostvars: Record<string, Record<string, unknown>> = {};
  for (const host of tree.hosts.keys()) {
    const vars: Record<string, unknown> = {};
    for (const [key, r] of resolveHostVars(tree, hier, host)) if (!CONSUMED.has(key)) vars[key] = toPlain(r.def.node);
    hostvars[host] = vars;
  }
  return { groups, hostvars, problems };
}
