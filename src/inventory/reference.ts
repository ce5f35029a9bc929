import { CONNECTION_VARS, ENV_SUFFIX, MMM_VARS, type VarSpec } from "./known-vars.js";
import { FIRST_SLAVE_ID } from "./server-ids.js";

/**
 * The README's "Inventory reference", generated from the variable table so the two cannot
 * drift apart.
 */
export function inventoryReference(): string {
  const cell = (s: string) => s.replace(/\|/g, "\\|");
  const def = (v: VarSpec): string => {
    if (v.defaultText !== undefined) return v.defaultText;
    if (v.default === undefined) return v.required ? "**required**" : "none";
    return `\`${typeof v.default === "string" ? v.default : JSON.stringify(v.default)}\``;
  };
  const where: Record<VarSpec["appliesTo"], string> = { all: "", databases: " (databases)", masters: " (masters)", slaves: " (slaves)" };
  const mmm = MMM_VARS.map((v) => {
    const name = v.type === "secret" ? `\`${v.name}\` or \`${v.name}${ENV_SUFFIX}\`` : `\`${v.name}\``;
    return `| ${name} | ${v.scope}${where[v.appliesTo]} | ${def(v)} | ${cell(v.doc)} |`;
  });
  const conn = CONNECTION_VARS.map((v) => `| \`${v.name}\` | ${v.defaultText} | ${cell(v.doc)} |`);
  return [
    "## Inventory reference",
    "",
    "An inventory is an Ansible YAML inventory (`ansible-inventory -i FILE --list` accepts it). mmm reads three groups under",
    "`all.children` (they may be nested in your own groups): `mmm_monitor` (exactly one host), `mmm_masters` (one master,",
    "or two that name each other with `mmm_peer`) and `mmm_slaves` (any number, each naming its master with `mmm_master`).",
    "A host is in at most one of them. Other groups and hosts are allowed and ignored unless they are in mmm's groups;",
    "a group named `mmm_…` must be one of these three. Host ranges (`db[1:4]`) are not supported: list hosts one by one.",
    "",
    "**Precedence** is Ansible's: `all.vars` < parent group vars < child group vars < host vars. Groups at the same depth",
    "are applied by `ansible_group_priority`, then by name (the later name wins).",
    "",
    "**Cluster-wide** variables are resolved per host like any other but must come out the same on every host of the",
    "cluster (set them once in `all.vars`); **host** variables may differ per host.",
    "",
    "**Passwords**: every `*_password` may instead be `*_password_env: ENV_NAME`, read from that environment variable when",
    "mmm runs (unset or empty is an error). The two spellings are one variable: the more specific level wins. Passwords",
    "are never printed; `mmm inventory check` shows `***`, or `$ENV_NAME`.",
    "",
    "**Names**: every variable starting with `mmm_` must be one of these (typos get a \"did you mean\"); a plain variable",
    "that looks like one without its prefix (`replication_user`) is an error too. Keys of groups are `hosts`, `vars`,",
    "`children` only.",
    "",
    "| variable | scope | default | meaning |",
    "|---|---|---|---|",
    ...mmm,
    "",
    "**Server ids**: `mmm_server_id` when set; otherwise derived from file order: masters get 1 and 2, slaves " +
      `${FIRST_SLAVE_ID}, ${FIRST_SLAVE_ID + 1}, …, skipping ids set explicitly.`,
    "Appending hosts never renumbers existing ones (the second master of a single-master cluster gets 2, not a slave's",
    "id); removing or reordering hosts can, so pin `mmm_server_id` once a cluster is live.",
    "",
    "### Connection (Ansible's variables)",
    "",
    "| variable | default | meaning |",
    "|---|---|---|",
    ...conn,
    "",
    "Other `ansible_*` variables are ignored (a near miss of one above, like `ansible_hots`, is reported as a typo),",
    "except those that would make mmm connect differently from Ansible:",
    "passwords (`ansible_password`, `ansible_become_password`, …: mmm uses keys and passwordless `sudo -n`),",
    "`ansible_connection` other than ssh, `ansible_become_method` other than sudo, `ansible_become_user` other than root,",
    "and jump hosts (`-J`, `-o ProxyJump`; use `-o ProxyCommand='ssh -W %h:%p JUMPHOST'`). Those are errors.",
    "",
  ].join("\n");
}
