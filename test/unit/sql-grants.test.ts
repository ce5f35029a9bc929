import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { PlanError } from "../../src/errors.js";
import { Secret } from "../../src/secret.js";
import { resolveDialect } from "../../src/sql/dialect.js";
import { parseServerVersion } from "../../src/sql/flavor.js";
import {
  allPrivileges,
  APP_PRIVILEGES,
  authMatchesPassword,
  canonicalPrivilege,
  describeGrantDiff,
  diffGrants,
  findReadOnlyBypass,
  grantDiffStatements,
  isEmptyGrantDiff,
  maskQuotedStrings,
  nativePasswordHash,
  parseShowCreateUser,
  parseShowGrants,
  requiredGrants,
  requirements,
  type AccountGrants,
} from "../../src/sql/grants.js";

const dialect = (version: string, session = {}) => resolveDialect(parseServerVersion(version), session);
const maria1011 = dialect("10.11.19-MariaDB-0+deb12u1-log");
const mysql80 = dialect("8.0.36");
const globalPrivs = (g: AccountGrants) => g.scopes.find((s) => s.scope.kind === "global")?.privileges ?? [];

// The hash MariaDB stores for the password "pw" (SELECT PASSWORD('pw') on 10.11).
const PW_HASH = "*D821809F681A40A6E379B50D0463EFAE20BDD122";

describe("requiredGrants per account × flavor × version", () => {
  const TABLE: [string, string, string[]][] = [
    ["replication", "10.5.1-MariaDB", ["REPLICATION SLAVE"]],
    ["replication", "10.11.6-MariaDB", ["REPLICATION SLAVE"]],
    ["replication", "8.4.0", ["REPLICATION SLAVE"]],
    ["monitor", "10.5.1-MariaDB", ["REPLICATION CLIENT"]],
    ["monitor", "10.5.2-MariaDB", ["BINLOG MONITOR", "REPLICATION SLAVE ADMIN"]],
    ["monitor", "10.5.8-MariaDB", ["BINLOG MONITOR", "REPLICATION SLAVE ADMIN"]],
    ["monitor", "10.5.9-MariaDB", ["BINLOG MONITOR", "SLAVE MONITOR"]],
    ["monitor", "10.6.18-MariaDB", ["BINLOG MONITOR", "SLAVE MONITOR"]],
    ["monitor", "10.11.6-MariaDB", ["BINLOG MONITOR", "SLAVE MONITOR"]],
    ["monitor", "11.4.2-MariaDB", ["BINLOG MONITOR", "SLAVE MONITOR"]],
    ["monitor", "5.7.44", ["REPLICATION CLIENT"]],
    ["monitor", "8.0.21", ["REPLICATION CLIENT"]],
    ["monitor", "8.4.0", ["REPLICATION CLIENT"]],
    ["agent", "10.5.1-MariaDB", ["PROCESS", "SUPER", "REPLICATION CLIENT"]],
    ["agent", "10.5.2-MariaDB", ["PROCESS", "BINLOG MONITOR", "CONNECTION ADMIN", "READ_ONLY ADMIN", "REPLICATION SLAVE ADMIN"]],
    ["agent", "10.5.9-MariaDB", ["PROCESS", "BINLOG MONITOR", "CONNECTION ADMIN", "READ_ONLY ADMIN", "REPLICATION SLAVE ADMIN", "SLAVE MONITOR"]],
    ["agent", "10.6.18-MariaDB", ["PROCESS", "BINLOG MONITOR", "CONNECTION ADMIN", "READ_ONLY ADMIN", "REPLICATION SLAVE ADMIN", "SLAVE MONITOR"]],
    ["agent", "10.11.6-MariaDB", ["PROCESS", "BINLOG MONITOR", "CONNECTION ADMIN", "READ_ONLY ADMIN", "REPLICATION SLAVE ADMIN", "SLAVE MONITOR"]],
    ["agent", "11.4.2-MariaDB", ["PROCESS", "BINLOG MONITOR", "CONNECTION ADMIN", "READ_ONLY ADMIN", "REPLICATION SLAVE ADMIN", "SLAVE MONITOR"]],
    ["agent", "5.7.44", ["PROCESS", "SUPER", "REPLICATION CLIENT"]],
    ["agent", "8.0.21", ["PROCESS", "REPLICATION CLIENT", "CONNECTION_ADMIN", "REPLICATION_SLAVE_ADMIN", "SYSTEM_VARIABLES_ADMIN"]],
    ["agent", "8.0.26", ["PROCESS", "REPLICATION CLIENT", "CONNECTION_ADMIN", "REPLICATION_SLAVE_ADMIN", "SYSTEM_VARIABLES_ADMIN"]],
    ["agent", "8.4.0", ["PROCESS", "REPLICATION CLIENT", "CONNECTION_ADMIN", "REPLICATION_SLAVE_ADMIN", "SYSTEM_VARIABLES_ADMIN"]],
  ];
  it.each(TABLE)("%s on %s", (account, version, privileges) => {
    const g = requiredGrants(account as "agent", dialect(version));
    expect(g.scopes).toHaveLength(1);
    expect(globalPrivs(g)).toEqual(privileges);
    expect(g.roles).toEqual([]);
  });

  it("gives the MariaDB agent REPLICATION MASTER ADMIN only with semi-sync", () => {
    expect(globalPrivs(requiredGrants("agent", maria1011, { semiSync: true }))).toContain("REPLICATION MASTER ADMIN");
    expect(globalPrivs(requiredGrants("agent", maria1011))).not.toContain("REPLICATION MASTER ADMIN");
  });

  it("never gives a MariaDB ≥ 10.5.2 or MySQL 8 agent SUPER, which no longer moves read_only on 10.11", () => {
    for (const v of ["10.5.9-MariaDB", "10.11.6-MariaDB", "8.0.36", "8.4.0"]) {
      expect(globalPrivs(requiredGrants("agent", dialect(v)))).not.toContain("SUPER");
    }
  });

  it("explains each privilege", () => {
    const reqs = requirements("agent", maria1011);
    expect(reqs.find((r) => r.privilege === "READ_ONLY ADMIN")?.why).toMatch(/MDEV-29596/);
    expect(reqs.find((r) => r.privilege === "SLAVE MONITOR")?.why).toMatch(/10\.5\.9/);
    for (const r of reqs) expect(r.why.length).toBeGreaterThan(10);
  });

  it("merges why-lines when one privilege serves two needs (MariaDB 10.5.2–10.5.8)", () => {
    const rsa = requirements("agent", dialect("10.5.8-MariaDB")).filter((r) => r.privilege === "REPLICATION SLAVE ADMIN");
    expect(rsa).toHaveLength(1);
    expect(rsa[0]!.why).toMatch(/CHANGE MASTER.*SHOW SLAVE STATUS/);
  });
});

describe("app grants", () => {
  it("grants data and DDL privileges on each listed database, wildcards escaped", () => {
    const g = requiredGrants("app", maria1011, { databases: ["my_app", "shop", "shop"] });
    expect(g.scopes.map((s) => s.scope)).toEqual([
      { kind: "database", db: "my\\_app" },
      { kind: "database", db: "shop" },
    ]);
    expect(g.scopes[0]!.privileges).toEqual(APP_PRIVILEGES);
  });

  it("grants globally for *.* (the default)", () => {
    expect(requiredGrants("app", mysql80).scopes.map((s) => s.scope)).toEqual([{ kind: "global" }]);
    expect(requiredGrants("app", mysql80, { databases: ["shop", "*"] }).scopes.map((s) => s.scope)).toEqual([{ kind: "global" }]);
  });

  it("holds nothing that bypasses read_only on any flavor", () => {
    for (const v of ["10.5.1-MariaDB", "10.6.18-MariaDB", "10.11.6-MariaDB", "5.7.44", "8.0.36", "8.4.0"]) {
      const d = dialect(v);
      expect(findReadOnlyBypass(requiredGrants("app", d), d)).toEqual([]);
      for (const p of ["SUPER", "READ_ONLY ADMIN", "CONNECTION ADMIN", "CONNECTION_ADMIN", "SYSTEM_VARIABLES_ADMIN"]) {
        expect(APP_PRIVILEGES).not.toContain(p);
      }
    }
  });

  it("flags the tutorial's `grant all on *.*` app user as able to write through read_only", () => {
    const parsed = parseShowGrants(["GRANT ALL PRIVILEGES ON *.* TO `user`@`192.168.1.%` IDENTIFIED BY PASSWORD '*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9'"], maria1011);
    const bad = findReadOnlyBypass(parsed, maria1011).map((b) => b.privilege);
    expect(bad).toEqual(expect.arrayContaining(["SUPER", "READ_ONLY ADMIN", "CONNECTION ADMIN"]));
    const bad8 = findReadOnlyBypass(parseShowGrants(["GRANT CONNECTION_ADMIN,SYSTEM_VARIABLES_ADMIN ON *.* TO `u`@`%`"], mysql80), mysql80);
    expect(bad8.map((b) => b.privilege)).toEqual(["CONNECTION_ADMIN", "SYSTEM_VARIABLES_ADMIN"]);
  });
});

describe("canonical privilege names", () => {
  it.each([
    ["10.11.6-MariaDB", "replication client", "BINLOG MONITOR"],
    ["10.11.6-MariaDB", "REPLICATION  REPLICA", "REPLICATION SLAVE"],
    ["10.11.6-MariaDB", "REPLICA MONITOR", "SLAVE MONITOR"],
    ["10.11.6-MariaDB", "REPLICATION REPLICA ADMIN", "REPLICATION SLAVE ADMIN"],
    ["10.11.6-MariaDB", "READ ONLY ADMIN", "READ_ONLY ADMIN"],
    ["10.11.6-MariaDB", "all", "ALL PRIVILEGES"],
    ["10.5.1-MariaDB", "REPLICATION CLIENT", "REPLICATION CLIENT"],
    ["10.5.1-MariaDB", "BINLOG MONITOR", "REPLICATION CLIENT"],
    ["8.0.36", "REPLICATION CLIENT", "REPLICATION CLIENT"],
    ["8.0.36", "connection_admin", "CONNECTION_ADMIN"],
  ])("%s: %s → %s", (version, input, output) => {
    expect(canonicalPrivilege(input, dialect(version))).toBe(output);
  });
});

describe("parseShowGrants: MariaDB 10.11 (captured from a real server)", () => {
  const agentRows = [
    {
      "Grants for mmm_agent@10.0.0.%":
        "GRANT PROCESS, BINLOG MONITOR, CONNECTION ADMIN, READ_ONLY ADMIN, REPLICATION SLAVE ADMIN, SLAVE MONITOR ON *.* TO `mmm_agent`@`10.0.0.%` IDENTIFIED BY PASSWORD '*D821809F681A40A6E379B50D0463EFAE20BDD122'",
    },
  ];

  it("reads privileges, grantee and the hash as a secret", () => {
    const g = parseShowGrants(agentRows, maria1011);
    expect(g.account).toEqual({ user: "mmm_agent", host: "10.0.0.%" });
    expect(g.scopes).toEqual([
      {
        scope: { kind: "global" },
        privileges: ["PROCESS", "BINLOG MONITOR", "CONNECTION ADMIN", "READ_ONLY ADMIN", "REPLICATION SLAVE ADMIN", "SLAVE MONITOR"],
        columns: [],
        grantOption: false,
      },
    ]);
    expect(g.auth).toHaveLength(1);
    expect(g.auth[0]!.plugin).toBe("mysql_native_password");
    expect(g.auth[0]!.authString?.reveal()).toBe(PW_HASH);
  });

  it("never echoes the password hash", () => {
    const g = parseShowGrants(agentRows, maria1011);
    expect(JSON.stringify(g)).not.toContain("D821809F");
    expect(inspect(g, { depth: 10 })).not.toContain("D821809F");
  });

  it("is exactly the required agent grants: nothing to do", () => {
    expect(isEmptyGrantDiff(diffGrants(requiredGrants("agent", maria1011), parseShowGrants(agentRows, maria1011), maria1011))).toBe(true);
  });

  it("expands global ALL PRIVILEGES to what 10.11 prints after a revoke", () => {
    const g = parseShowGrants(["GRANT ALL PRIVILEGES ON *.* TO `all`@`%` WITH GRANT OPTION"], maria1011);
    // From SHOW GRANTS after REVOKE SELECT ON *.* on 10.11.19, plus SELECT.
    const printed =
      "SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, SHUTDOWN, PROCESS, FILE, REFERENCES, INDEX, ALTER, SHOW DATABASES, SUPER, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, REPLICATION SLAVE, BINLOG MONITOR, CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, CREATE USER, EVENT, TRIGGER, CREATE TABLESPACE, DELETE HISTORY, SET USER, FEDERATED ADMIN, CONNECTION ADMIN, READ_ONLY ADMIN, REPLICATION SLAVE ADMIN, REPLICATION MASTER ADMIN, BINLOG ADMIN, BINLOG REPLAY, SLAVE MONITOR";
    expect(g.scopes[0]!.privileges).toEqual(printed.split(", "));
    expect(g.scopes[0]!.grantOption).toBe(true);
  });

  it("reads database, table, column and routine grants, escaped names and USAGE", () => {
    const rows = [
      "GRANT USAGE ON *.* TO `app`@`%` IDENTIFIED BY PASSWORD '*B69027D44F6E5EDC07F1AEAD1477967B16F28227'",
      "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, REFERENCES, INDEX, ALTER, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, EVENT, TRIGGER ON `my\\_app`.* TO `app`@`%`",
      "GRANT SELECT ON `a``b`.* TO `app`@`%`",
      "GRANT ALL PRIVILEGES ON `shop`.* TO `app`@`%`",
      "GRANT SELECT, SELECT (`a`), INSERT (`a`) ON `t`.`x` TO `app`@`%`",
      "GRANT EXECUTE, ALTER ROUTINE ON PROCEDURE `t`.`p` TO `app`@`%`",
    ];
    const g = parseShowGrants(rows, maria1011);
    expect(g.scopes.map((s) => s.scope)).toEqual([
      { kind: "database", db: "my\\_app" },
      { kind: "database", db: "a`b" },
      { kind: "database", db: "shop" },
      { kind: "table", db: "t", table: "x" },
      { kind: "routine", routineType: "PROCEDURE", db: "t", name: "p" },
    ]);
    expect(g.scopes[0]!.privileges).toEqual(APP_PRIVILEGES);
    expect(g.scopes[2]!.privileges).toEqual([...APP_PRIVILEGES, "DELETE HISTORY"]);
    expect(g.scopes[3]!.privileges).toEqual(["SELECT"]);
    expect(g.scopes[3]!.columns).toEqual([
      { privilege: "INSERT", column: "a" },
      { privilege: "SELECT", column: "a" },
    ]);
  });

  it("reads roles, default roles, proxies and other authentication plugins", () => {
    const rows = [
      "GRANT `r1` TO `nopw`@`localhost`",
      "GRANT USAGE ON *.* TO `nopw`@`localhost` IDENTIFIED VIA ed25519 USING 'Gv2JI8Env2fd5YGonZ082tX3UAW+yJYldOlj4R1bfK4' OR unix_socket WITH MAX_QUERIES_PER_HOUR 5",
      "SET DEFAULT ROLE `r1` FOR `nopw`@`localhost`",
      "GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION",
    ];
    const g = parseShowGrants(rows, maria1011);
    expect(g.roles).toEqual([{ name: "r1" }]);
    expect(g.defaultRoles).toEqual([{ name: "r1" }]);
    expect(g.proxies).toEqual([rows[3]]);
    expect(g.auth.map((a) => a.plugin)).toEqual(["ed25519", "unix_socket"]);
    expect(g.scopes).toEqual([]);
    expect(JSON.stringify(g)).not.toContain("Gv2JI8");
  });

  it("reads account names with quotes, backslashes and unicode", () => {
    expect(parseShowGrants(["GRANT USAGE ON *.* TO `b\\``t\\\\'q`@`10.0.0.%`"], maria1011).account).toEqual({ user: "b\\`t\\\\'q", host: "10.0.0.%" });
    expect(parseShowGrants(["GRANT USAGE ON *.* TO `ünï`@`%`"], maria1011).account).toEqual({ user: "ünï", host: "%" });
  });
});

describe("parseShowGrants: MySQL", () => {
  it("reads MySQL 8.0 static and dynamic privilege lines into one scope", () => {
    const rows = [
      ["GRANT PROCESS, REPLICATION CLIENT ON *.* TO `mmm_agent`@`10.0.0.%`"],
      ["GRANT CONNECTION_ADMIN,REPLICATION_SLAVE_ADMIN,SYSTEM_VARIABLES_ADMIN ON *.* TO `mmm_agent`@`10.0.0.%`"],
    ];
    const g = parseShowGrants(rows, mysql80);
    expect(globalPrivs(g)).toEqual(["PROCESS", "REPLICATION CLIENT", "CONNECTION_ADMIN", "REPLICATION_SLAVE_ADMIN", "SYSTEM_VARIABLES_ADMIN"]);
    expect(isEmptyGrantDiff(diffGrants(requiredGrants("agent", mysql80), g, mysql80))).toBe(true);
  });

  it("reads MySQL 8.0 root's expanded grants, PROXY and grant option", () => {
    const rows = [
      "GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, RELOAD, SHUTDOWN, PROCESS, FILE, REFERENCES, INDEX, ALTER, SHOW DATABASES, SUPER, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, REPLICATION SLAVE, REPLICATION CLIENT, CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, CREATE USER, EVENT, TRIGGER, CREATE TABLESPACE, CREATE ROLE, DROP ROLE ON *.* TO `root`@`localhost` WITH GRANT OPTION",
      "GRANT APPLICATION_PASSWORD_ADMIN,AUDIT_ABORT_EXEMPT,BACKUP_ADMIN,BINLOG_ADMIN,CONNECTION_ADMIN,REPLICATION_APPLIER,REPLICATION_SLAVE_ADMIN,SESSION_VARIABLES_ADMIN,SYSTEM_USER,SYSTEM_VARIABLES_ADMIN,XA_RECOVER_ADMIN ON *.* TO `root`@`localhost` WITH GRANT OPTION",
      "GRANT PROXY ON ``@`` TO `root`@`localhost` WITH GRANT OPTION",
    ];
    const g = parseShowGrants(rows, mysql80);
    const privs = globalPrivs(g);
    expect(privs).toEqual(expect.arrayContaining([...allPrivileges("global", mysql80), "SYSTEM_USER", "XA_RECOVER_ADMIN"]));
    expect(privs).toHaveLength(30 + 11);
    expect(g.scopes[0]!.grantOption).toBe(true);
    expect(g.proxies).toHaveLength(1);
    expect(findReadOnlyBypass(g, mysql80).map((b) => b.privilege)).toEqual(
      expect.arrayContaining(["SUPER", "CONNECTION_ADMIN", "SYSTEM_VARIABLES_ADMIN", "SESSION_VARIABLES_ADMIN", "BINLOG_ADMIN"]),
    );
  });

  it("expands database-level ALL without MariaDB's DELETE HISTORY", () => {
    const g = parseShowGrants(["GRANT USAGE ON *.* TO `app`@`%`", "GRANT ALL PRIVILEGES ON `shop`.* TO `app`@`%`"], mysql80);
    expect(g.scopes).toHaveLength(1);
    expect(g.scopes[0]!.privileges).toEqual(APP_PRIVILEGES);
    const diff = diffGrants(requiredGrants("app", mysql80, { databases: ["shop"] }), g, mysql80);
    expect(isEmptyGrantDiff(diff)).toBe(true);
  });

  it("reads MySQL 8 roles as accounts and partial revokes as restrictions", () => {
    const rows = [
      "GRANT SELECT, INSERT ON *.* TO `u`@`%`",
      "REVOKE INSERT ON `mysql`.* FROM `u`@`%`",
      "GRANT `r1`@`%`,`r2`@`localhost` TO `u`@`%` WITH ADMIN OPTION",
    ];
    const g = parseShowGrants(rows, mysql80);
    expect(g.roles).toEqual([
      { name: "r1", host: "%" },
      { name: "r2", host: "localhost" },
    ]);
    expect(g.restrictions).toEqual([{ scope: { kind: "database", db: "mysql" }, privileges: ["INSERT"], columns: [], grantOption: false }]);
    const wanted: AccountGrants = { scopes: [{ scope: { kind: "global" }, privileges: ["SELECT", "INSERT"], columns: [], grantOption: false }], roles: [] };
    const diff = diffGrants(wanted, g, mysql80);
    // INSERT is wanted everywhere, so the restriction on `mysql` must be lifted; roles go.
    expect(diff.grant).toEqual([{ scope: { kind: "database", db: "mysql" }, privileges: ["INSERT"] }]);
    expect(diff.revokeRoles).toEqual(g.roles);
    expect(grantDiffStatements(mysql80, { user: "u", host: "%" }, diff).map((s) => s.sql)).toEqual([
      "REVOKE `r1`@`%`, `r2`@`localhost` FROM `u`@`%`",
      "GRANT INSERT ON `mysql`.* TO `u`@`%`",
    ]);
  });

  it("reads MySQL 5.7's single-quoted accounts and the tutorial's agent grants", () => {
    const d = dialect("5.7.44-log");
    const g = parseShowGrants(["GRANT PROCESS, SUPER, REPLICATION CLIENT ON *.* TO 'mmm_agent'@'192.168.1.%'"], d);
    expect(g.account).toEqual({ user: "mmm_agent", host: "192.168.1.%" });
    expect(isEmptyGrantDiff(diffGrants(requiredGrants("agent", d), g, d))).toBe(true);
    expect(parseShowGrants(["GRANT USAGE ON *.* TO 'o\\'neil'@'%'"], d).account?.user).toBe("o'neil");
    expect(parseShowGrants(["GRANT USAGE ON *.* TO 'o''neil'@'%'"], d).account?.user).toBe("o'neil");
  });

  it("reads MySQL ≤ 5.6 style IDENTIFIED BY PASSWORD without keeping the hash in the open", () => {
    const g = parseShowGrants(["GRANT REPLICATION SLAVE ON *.* TO 'zhuzhu'@'192.168.1.%' IDENTIFIED BY PASSWORD '*C0B1F9C4A1F5F4A1E4E2B7B1E8B2C1D1E0F1A2B3'"], dialect("5.7.44"));
    expect(JSON.stringify(g)).not.toContain("C0B1F9");
    expect(g.auth[0]!.authString).toBeInstanceOf(Secret);
  });
});

describe("parse errors", () => {
  it("names the problem and masks every quoted string", () => {
    const bad = "GRANT SELECT ON *.* TOO `u`@`%` IDENTIFIED BY PASSWORD '*D821809F681A40A6E379B50D0463EFAE20BDD122'";
    expect(() => parseShowGrants([bad], maria1011)).toThrow(PlanError);
    try {
      parseShowGrants([bad], maria1011);
    } catch (e) {
      expect(String(e)).toMatch(/expected TO/);
      expect(String(e)).not.toContain("D821809F");
    }
    expect(() => parseShowGrants(["GRANT SELECT ON *.* TO `u`@`%` IDENTIFIED BY PASSWORD '*D8218"], maria1011)).toThrow(/unterminated string/);
    expect(() => parseShowGrants(["DROP USER x"], maria1011)).toThrow(/expected GRANT/);
    expect(() => parseShowGrants([{ n: 1 }], maria1011)).toThrow(/holds no text/);
  });

  it("masks single- and double-quoted strings", () => {
    expect(maskQuotedStrings(`a 'x''y' b "p\\"q" c 'open`)).toBe(`a '***' b "***" c '***'`);
  });
});

describe("diffGrants", () => {
  const acct = { user: "mmm_agent", host: "10.0.0.%" };

  it("turns the tutorial's agent grants into 10.11's exact set", () => {
    const tutorial = parseShowGrants(["GRANT PROCESS, SUPER, BINLOG MONITOR ON *.* TO `mmm_agent`@`10.0.0.%`"], maria1011);
    const diff = diffGrants(requiredGrants("agent", maria1011), tutorial, maria1011);
    expect(diff.revoke).toEqual([{ scope: { kind: "global" }, privileges: ["SUPER"] }]);
    expect(diff.grant).toEqual([
      { scope: { kind: "global" }, privileges: ["CONNECTION ADMIN", "READ_ONLY ADMIN", "REPLICATION SLAVE ADMIN", "SLAVE MONITOR"] },
    ]);
    expect(grantDiffStatements(maria1011, acct, diff).map((s) => s.sql)).toEqual([
      "REVOKE SUPER ON *.* FROM `mmm_agent`@`10.0.0.%`",
      "GRANT CONNECTION ADMIN, READ_ONLY ADMIN, REPLICATION SLAVE ADMIN, SLAVE MONITOR ON *.* TO `mmm_agent`@`10.0.0.%`",
    ]);
    expect(describeGrantDiff(diff)).toEqual([
      "- SUPER on *.*",
      "+ CONNECTION ADMIN, READ_ONLY ADMIN, REPLICATION SLAVE ADMIN, SLAVE MONITOR on *.*",
    ]);
  });

  it("treats REPLICATION CLIENT and BINLOG MONITOR as one privilege on MariaDB ≥ 10.5.2", () => {
    const g = parseShowGrants(["GRANT REPLICATION CLIENT, REPLICA MONITOR ON *.* TO `m`@`%`"], maria1011);
    expect(isEmptyGrantDiff(diffGrants(requiredGrants("monitor", maria1011), g, maria1011))).toBe(true);
  });

  it("revokes extra scopes, columns, grant option and roles", () => {
    const actual = parseShowGrants(
      [
        "GRANT REPLICATION SLAVE ON *.* TO `r`@`%`",
        "GRANT ALL PRIVILEGES ON `shop`.* TO `r`@`%` WITH GRANT OPTION",
        "GRANT SELECT (`a`) ON `t`.`x` TO `r`@`%`",
        "GRANT `dba` TO `r`@`%`",
      ],
      maria1011,
    );
    const diff = diffGrants(requiredGrants("replication", maria1011), actual, maria1011);
    expect(diff.grant).toEqual([]);
    expect(diff.revokeRoles).toEqual([{ name: "dba" }]);
    expect(grantDiffStatements(maria1011, { user: "r", host: "%" }, diff).map((s) => s.sql)).toEqual([
      "REVOKE `dba` FROM `r`@`%`",
      "REVOKE SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, REFERENCES, INDEX, ALTER, CREATE TEMPORARY TABLES, LOCK TABLES, EXECUTE, CREATE VIEW, SHOW VIEW, CREATE ROUTINE, ALTER ROUTINE, EVENT, TRIGGER, DELETE HISTORY, GRANT OPTION ON `shop`.* FROM `r`@`%`",
      "REVOKE SELECT (`a`) ON `t`.`x` FROM `r`@`%`",
    ]);
  });

  it("replaces a wildcard database grant by the exact one", () => {
    const actual = parseShowGrants(["GRANT SELECT ON `my_app`.* TO `a`@`%`"], maria1011);
    const diff = diffGrants(requiredGrants("app", maria1011, { databases: ["my_app"] }), actual, maria1011);
    expect(diff.revoke).toEqual([{ scope: { kind: "database", db: "my_app" }, privileges: ["SELECT"] }]);
    expect(diff.grant).toEqual([{ scope: { kind: "database", db: "my\\_app" }, privileges: APP_PRIVILEGES }]);
  });

  it("finds nothing to do for every account when the server holds exactly the required grants", () => {
    for (const v of ["10.5.1-MariaDB", "10.5.8-MariaDB", "10.11.6-MariaDB", "11.4.2-MariaDB", "5.7.44", "8.0.21", "8.4.0"]) {
      const d = dialect(v);
      for (const account of ["replication", "monitor", "agent", "app"] as const) {
        const wanted = requiredGrants(account, d, { databases: account === "app" ? ["shop", "my_app"] : undefined, semiSync: true });
        const rows = wanted.scopes.map(
          (s) => `GRANT ${s.privileges.join(", ")} ON ${s.scope.kind === "global" ? "*.*" : `\`${(s.scope as { db: string }).db}\`.*`} TO \`x\`@\`%\``,
        );
        expect(isEmptyGrantDiff(diffGrants(wanted, parseShowGrants(rows, d), d)), `${account} on ${v}`).toBe(true);
      }
    }
  });
});

describe("passwords", () => {
  it("computes mysql_native_password hashes as the server does", () => {
    expect(nativePasswordHash(new Secret("pw"))).toBe(PW_HASH);
  });

  it("tells whether stored credentials are a given password", () => {
    const auth = parseShowGrants([`GRANT USAGE ON *.* TO \`a\`@\`%\` IDENTIFIED BY PASSWORD '${PW_HASH}'`], maria1011).auth;
    expect(authMatchesPassword(auth, new Secret("pw"))).toBe(true);
    expect(authMatchesPassword(auth, new Secret("other"))).toBe(false);
    expect(authMatchesPassword([], new Secret("pw"))).toBeUndefined();
    expect(authMatchesPassword([{ plugin: "caching_sha2_password", authString: new Secret("$A$005$x") }], new Secret("pw"))).toBeUndefined();
  });

  it("reads SHOW CREATE USER on both flavors", () => {
    const m = parseShowCreateUser({ "CREATE USER for a@%": `CREATE USER \`a\`@\`%\` IDENTIFIED BY PASSWORD '${PW_HASH}'` }, maria1011);
    expect(authMatchesPassword(m, new Secret("pw"))).toBe(true);
    const y = parseShowCreateUser(
      "CREATE USER `a`@`%` IDENTIFIED WITH 'mysql_native_password' AS '*D821809F681A40A6E379B50D0463EFAE20BDD122' REQUIRE NONE PASSWORD EXPIRE DEFAULT ACCOUNT UNLOCK",
      mysql80,
    );
    expect(y.map((a) => a.plugin)).toEqual(["mysql_native_password"]);
    expect(authMatchesPassword(y, new Secret("pw"))).toBe(true);
    const c = parseShowCreateUser("CREATE USER `a`@`%` IDENTIFIED WITH 'caching_sha2_password' REQUIRE NONE", mysql80);
    expect(authMatchesPassword(c, new Secret("pw"))).toBeUndefined();
  });
});
