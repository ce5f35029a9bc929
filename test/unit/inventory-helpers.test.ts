import { describe, expect, it } from "vitest";
import { closest, editDistance } from "../../src/inventory/did-you-mean.js";
import { addressProblem, broadcastOf, formatIpv4, networkOf, parseIpv4 } from "../../src/inventory/ip.js";
import { CONNECTION_VARS, MMM_KEYS, MMM_VARS, slotOf } from "../../src/inventory/known-vars.js";
import { assignServerIds, type ServerIdRequest } from "../../src/inventory/server-ids.js";
import { firstOption, parseSshArgs, splitShellWords, type SshArgs } from "../../src/inventory/ssh-args.js";
import { readYamlTree, toPlain } from "../../src/inventory/yaml-tree.js";
import { inventoryReference } from "../../src/inventory/reference.js";

describe("splitShellWords", () => {
  it.each([
    ["-o A=1 -o B=2", ["-o", "A=1", "-o", "B=2"]],
    ["  -o   A=1  ", ["-o", "A=1"]],
    ["-o ProxyCommand='ip netns exec mmm-lab nc %h %p'", ["-o", "ProxyCommand=ip netns exec mmm-lab nc %h %p"]],
    ['-o "ProxyCommand ssh -W %h:%p \\"b\\""', ["-o", 'ProxyCommand ssh -W %h:%p "b"']],
    ["a\\ b 'c d'e \"\"", ["a b", "c de", ""]],
    ["", []],
  ])("%s", (text, words) => {
    expect(splitShellWords(text)).toEqual(words);
  });

  it("reports an unterminated quote", () => {
    expect(splitShellWords("-o 'x")).toEqual({ error: "unterminated ' quote" });
    expect(splitShellWords('-o "x')).toEqual({ error: 'unterminated " quote' });
  });
});

describe("parseSshArgs", () => {
  it("reads -o Key=Value, -o 'Key Value' and -oKey=Value, and skips other flags", () => {
    expect(parseSshArgs("-C -o UserKnownHostsFile=/k -o 'ProxyCommand nc %h %p' -oConnectTimeout=5 -F /cfg")).toEqual({
      options: [
        { key: "UserKnownHostsFile", value: "/k" },
        { key: "ProxyCommand", value: "nc %h %p" },
        { key: "ConnectTimeout", value: "5" },
      ],
      unsupported: [],
    });
  });

  it("refuses jump hosts, which it would otherwise silently bypass", () => {
    expect(parseSshArgs("-J bastion")).toEqual({ options: [], unsupported: ["-J"] });
    expect(parseSshArgs("-o ProxyJump=bastion")).toMatchObject({ unsupported: ["ProxyJump"] });
  });

  it("first value wins, keywords case-insensitive, as in ssh", () => {
    const a = parseSshArgs("-o proxycommand=first") as SshArgs;
    const b = parseSshArgs("-o ProxyCommand=second -o ConnectTimeout=3") as SshArgs;
    expect(firstOption([a, b], "ProxyCommand")).toBe("first");
    expect(firstOption([a, b], "connecttimeout")).toBe("3");
    expect(firstOption([a, b], "UserKnownHostsFile")).toBeUndefined();
  });

  it("reports -o without an option", () => {
    expect(parseSshArgs("-o")).toEqual({ error: "-o at the end needs an option" });
  });
});

describe("did you mean", () => {
  it.each([
    ["mmm_peer", "mmm_peer", 0],
    ["mmm_pere", "mmm_peer", 1], // transposition
    ["mmm_per", "mmm_peer", 1],
    ["replicaton", "replication", 1],
    ["kitten", "sitting", 3],
  ])("editDistance(%s, %s) = %i", (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });

  it("picks the closest candidate within the limit", () => {
    expect(closest("chidren", ["hosts", "vars", "children"])).toBe("children");
    expect(closest("mmm_replicaton_user", MMM_KEYS)).toBe("mmm_replication_user");
    expect(closest("zzz", ["hosts", "vars"])).toBeUndefined();
  });
});

describe("server ids", () => {
  const m = (name: string, explicit?: number): ServerIdRequest => ({ name, kind: "master", ...(explicit ? { explicit } : {}) });
  const s = (name: string, explicit?: number): ServerIdRequest => ({ name, kind: "slave", ...(explicit ? { explicit } : {}) });
  it.each<[string, ServerIdRequest[], Record<string, number>]>([
    ["the tutorial's layout", [m("db1"), m("db2"), s("db3"), s("db4")], { db1: 1, db2: 2, db3: 3, db4: 4 }],
    ["one master: slaves still start at 3", [m("db1"), s("db3"), s("db4")], { db1: 1, db3: 3, db4: 4 }],
    ["file order, whatever the listing order of kinds", [s("a"), m("x"), s("b")], { x: 1, a: 3, b: 4 }],
    ["explicit ids are skipped", [m("db1", 3), m("db2"), s("db3"), s("db4", 4)], { db1: 3, db2: 1, db3: 5, db4: 4 }],
    ["a slave taking 1 pushes the masters up", [m("db1"), m("db2"), s("db3", 1)], { db1: 2, db2: 3, db3: 1 }],
  ])("%s", (_, hosts, ids) => {
    expect(Object.fromEntries(assignServerIds(hosts))).toEqual(ids);
  });

  it("appending hosts never renumbers the existing ones", () => {
    const before = assignServerIds([m("db1"), s("db3"), s("db4")]);
    const after = assignServerIds([m("db1"), m("db2"), s("db3"), s("db4"), s("db5")]);
    for (const [name, id] of before) expect(after.get(name)).toBe(id);
  });
});

describe("IP helpers", () => {
  it("parses dotted quads strictly", () => {
    expect(parseIpv4("192.168.77.1")).toBe(0xc0a84d01);
    for (const bad of ["192.168.77", "192.168.77.256", "01.2.3.4", "1.2.3.4.5", "a.b.c.d", ""]) expect(parseIpv4(bad)).toBeUndefined();
  });

  it("computes networks and broadcasts", () => {
    const a = parseIpv4("10.1.2.3")!;
    expect(formatIpv4(networkOf(a, 24))).toBe("10.1.2.0");
    expect(formatIpv4(broadcastOf(a, 24))).toBe("10.1.2.255");
    expect(formatIpv4(networkOf(a, 16))).toBe("10.1.0.0");
    expect(formatIpv4(networkOf(a, 32))).toBe("10.1.2.3");
    expect(formatIpv4(networkOf(parseIpv4("255.255.255.255")!, 1))).toBe("128.0.0.0");
  });

  it.each([
    ["192.168.1.2", undefined],
    ["db1.example.com", undefined],
    ["db_1", undefined],
    ["fe80::1", undefined],
    ["192.168.1.300", '"192.168.1.300" is not a valid IP address'],
    ["fe80::1::2", '"fe80::1::2" is not a valid IP address'],
    ["bad host", '"bad host" is neither an IP address nor a host name'],
  ])("address %s", (text, problem) => {
    expect(addressProblem(text)).toBe(problem);
  });
});

describe("the variable table", () => {
  it("names every variable once, with a doc string, and secrets take an _env spelling", () => {
    const names = MMM_VARS.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    for (const v of MMM_VARS) {
      expect(v.name).toMatch(/^mmm_[a-z_]+$/);
      expect(v.doc.length).toBeGreaterThan(5);
    }
    expect(MMM_KEYS).toContain("mmm_agent_password_env");
    expect(MMM_KEYS).not.toContain("mmm_agent_user_env");
    expect(slotOf("mmm_agent_password_env")).toBe("mmm_agent_password");
    expect(CONNECTION_VARS.map((v) => v.name)).toContain("ansible_ssh_common_args");
  });
});

describe("readYamlTree", () => {
  it("reads YAML 1.1 as Ansible does (yes/no are booleans), follows aliases and merge keys", () => {
    const t = readYamlTree("a: &x { k: 1, j: 2 }\nb:\n  <<: *x\n  j: 3\nc: no\nd: *x\n");
    expect(t.problems).toEqual([]);
    expect(toPlain(t.root!)).toEqual({ a: { k: 1, j: 2 }, b: { j: 3, k: 1 }, c: false, d: { k: 1, j: 2 } });
  });

  it("keeps keys as written, so a host called 'on' is not true", () => {
    const t = readYamlTree("on: 1\n");
    expect(t.root?.kind === "map" && t.root.entries[0]!.key).toBe("on");
  });

  it("gives line and column of every node", () => {
    const t = readYamlTree("all:\n  vars:\n    x: [1, 2]\n");
    const all = t.root?.kind === "map" ? t.root.entries[0]! : undefined;
    expect(all?.keyPos).toEqual({ line: 1, col: 1 });
    const vars = all?.value.kind === "map" ? all.value.entries[0]! : undefined;
    const x = vars?.value.kind === "map" ? vars.value.entries[0]! : undefined;
    expect(x?.keyPos).toEqual({ line: 3, col: 5 });
    expect(x?.value.kind === "seq" && x.value.items[1]!.pos).toEqual({ line: 3, col: 12 });
  });
});

describe("inventoryReference", () => {
  it("documents every variable of the table", () => {
    const text = inventoryReference();
    for (const v of MMM_VARS) expect(text).toContain(`\`${v.name}\``);
    for (const v of CONNECTION_VARS) expect(text).toContain(`| \`${v.name}\` |`);
    expect(text).toContain("| `mmm_mysql_port` | host (databases) | `3306` |");
    expect(text).toContain("| `mmm_replication_password` or `mmm_replication_password_env` | cluster | **required** |");
  });
});
