import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ansibleView } from "../../src/inventory/ansible-view.js";

/**
 * Our inventories must be valid Ansible, and we must read them as Ansible does: same groups,
 * same members, same variables after precedence. ansible-inventory (Debian's ansible-core) is
 * the reference.
 */
const root = join(import.meta.dirname, "../..");
const files = [
  ...readdirSync(join(root, "inventories")).filter((f) => f.endsWith(".yml")).map((f) => join("inventories", f)),
  ...readdirSync(join(root, "test/fixtures/inventories/valid")).filter((f) => f.endsWith(".yml")).map((f) => join("test/fixtures/inventories/valid", f)),
];

interface AnsibleList {
  _meta: { hostvars: Record<string, Record<string, unknown>> };
  [group: string]: { hosts?: string[]; children?: string[] } | AnsibleList["_meta"];
}

function ansibleInventory(file: string): { list: AnsibleList; stderr: string } {
  // Only the YAML plugin: with the default plugin chain a broken YAML file could be "parsed" as INI.
  const env = { ...process.env, ANSIBLE_INVENTORY_ENABLED: "yaml", ANSIBLE_INVENTORY_UNPARSED_FAILED: "true", ANSIBLE_NOCOLOR: "1" };
  const r = spawnSync("ansible-inventory", ["-i", file, "--list"], { cwd: root, env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ansible-inventory -i ${file} --list exited ${r.status}: ${r.stderr}`);
  return { list: JSON.parse(r.stdout) as AnsibleList, stderr: r.stderr };
}

describe("ansible-inventory agrees with our reading", () => {
  it("finds the shipped inventories and the valid fixtures", () => {
    expect(files).toContain("inventories/lab.yml");
    expect(files).toContain("inventories/vagrant.yml");
    expect(files).toContain("inventories/example.yml");
    expect(files.length).toBeGreaterThanOrEqual(8);
  });

  for (const file of files) {
    it(`${file}: same groups, members and host variables`, () => {
      const { list, stderr } = ansibleInventory(file);
      expect(stderr).not.toMatch(/WARNING/);
      const ours = ansibleView(readFileSync(join(root, file), "utf8"));
      expect(ours.problems).toEqual([]);

      const theirs: Record<string, { hosts: string[]; children: string[] }> = {};
      for (const [name, g] of Object.entries(list)) {
        if (name === "_meta") continue;
        const group = g as { hosts?: string[]; children?: string[] };
        theirs[name] = { hosts: [...(group.hosts ?? [])].sort(), children: [...(group.children ?? [])].sort() };
      }
      // Ansible puts hosts listed only under all into its implicit "ungrouped" group.
      const ungrouped = theirs["ungrouped"]?.hosts ?? [];
      delete theirs["ungrouped"];
      theirs["all"] = { hosts: ungrouped, children: (theirs["all"]?.children ?? []).filter((c) => c !== "ungrouped") };

      const mine: Record<string, { hosts: string[]; children: string[] }> = {};
      for (const [name, g] of Object.entries(ours.groups)) {
        const hosts = name === "all" ? g.hosts.filter((h) => !Object.entries(ours.groups).some(([n, o]) => n !== "all" && o.hosts.includes(h))) : [...g.hosts];
        // --list leaves out groups that have neither hosts nor children.
        if (name !== "all" && hosts.length === 0 && g.children.length === 0) continue;
        mine[name] = { hosts: hosts.sort(), children: [...g.children].sort() };
      }
      expect(mine).toEqual(theirs);
      expect(ours.hostvars).toEqual(list._meta.hostvars);
    });
  }
});
