import type { Account, Inventory } from "../../inventory/model.js";
import type { Dialect } from "../../sql/dialect.js";
import {
  authMatchesPassword,
  describeGrantDiff,
  diffGrants,
  grantDiffStatements,
  isEmptyGrantDiff,
  parseShowCreateUser,
  parseShowGrants,
  requiredGrants,
  type MmmAccount,
} from "../../sql/grants.js";
import { accountExists, alterUserPassword, createUser, makeStatement, showCreateUser, showGrants } from "../../sql/statements.js";
import type { AccountName } from "../../sql/quote.js";
import type { Row } from "../../remote/mysql.js";
import { accountHostPattern } from "../network.js";
import { unchanged, type Change, type Statement } from "../change.js";
import type { PlanInput, Step } from "../context.js";

export interface WantedAccount {
  readonly kind: MmmAccount;
  readonly name: AccountName;
  readonly account: Account;
}

interface ObservedAccount {
  readonly exists: boolean;
  readonly createRow?: Row;
  readonly grantRows?: readonly Row[];
}

interface Observed {
  readonly dialect: Dialect;
  readonly accounts: ReadonlyMap<string, ObservedAccount>;
}

/**
 * Account changes are kept out of the binary log: every host's accounts are its own state,
 * and a CREATE USER logged on a slave would be a transaction its masters never had (an errant
 * GTID that would block re-pointing it).
 */
export const NO_BINLOG: Statement = makeStatement("SET SESSION sql_log_bin = 0", [], "SET SESSION sql_log_bin = 0");

/** mmm's accounts, all on the cluster network's host pattern (the tutorial's '192.168.1.%'). */
export function wantedAccounts(inv: Inventory, address: string): WantedAccount[] {
  const s = inv.settings;
  const host = accountHostPattern(address, s.clusterPrefix);
  const list: WantedAccount[] = [
    { kind: "replication", name: { user: s.replication.user, host }, account: s.replication },
    { kind: "agent", name: { user: s.agent.user, host }, account: s.agent },
    { kind: "monitor", name: { user: s.monitor.user, host }, account: s.monitor },
  ];
  if (s.app) list.push({ kind: "app", name: { user: s.app.user, host }, account: s.app });
  return list;
}

const key = (n: AccountName) => `${n.user}@${n.host}`;

export const accountsStep: Step<Observed> = {
  id: "accounts",
  title: "accounts and grants",
  appliesTo: (h) => h.kind !== "monitor",
  async observe(ctx) {
    const session = await ctx.mysql();
    const d = session.dialect;
    const accounts = new Map<string, ObservedAccount>();
    for (const w of wantedAccounts(ctx.inventory, ctx.host.address)) {
      const [row] = await session.run(accountExists(d, w.name));
      if (Number(row?.n) === 0) {
        accounts.set(key(w.name), { exists: false });
        continue;
      }
      const [createRow] = await session.run(showCreateUser(d, w.name));
      const grantRows = await session.run(showGrants(d, w.name));
      accounts.set(key(w.name), { exists: true, ...(createRow ? { createRow } : {}), grantRows });
    }
    return { dialect: d, accounts };
  },
  plan(observed, input) {
    const changes = planAccounts(observed, input);
    const names = wantedAccounts(input.inventory, input.host.address).map((w) => `${w.name.user}@'${w.name.host}'`);
    return changes.length ? { changes, reason: "" } : unchanged(`${names.join(", ")} exist with exactly their grants`);
  },
};

export function planAccounts(observed: Observed, input: PlanInput): Change[] {
  const d = observed.dialect;
  const changes: Change[] = [];
  for (const w of wantedAccounts(input.inventory, input.host.address)) {
    const o = observed.accounts.get(key(w.name)) ?? { exists: false };
    const wanted = requiredGrants(w.kind, d, {
      ...(w.kind === "app" && input.inventory.settings.app ? { databases: input.inventory.settings.app.databases } : {}),
      semiSync: input.inventory.settings.semiSync,
    });
    const statements: Statement[] = [];
    const what: string[] = [];
    if (!o.exists) {
      statements.push(createUser(d, w.name, w.account.password));
      what.push("create");
    } else {
      const auth = o.createRow ? parseShowCreateUser(o.createRow, d) : [];
      // undefined: the plugin's hash cannot be checked here (caching_sha2): set it, to be sure.
      if (authMatchesPassword(auth, w.account.password) !== true) {
        statements.push(alterUserPassword(d, w.name, w.account.password));
        what.push("set password");
      }
    }
    const actual = o.exists ? parseShowGrants(o.grantRows ?? [], d) : { scopes: [], roles: [] };
    const diff = diffGrants(wanted, actual, d);
    if (!isEmptyGrantDiff(diff)) {
      statements.push(...grantDiffStatements(d, w.name, diff));
      what.push(...describeGrantDiff(diff));
    }
    if (statements.length > 0) {
      changes.push({
        kind: "sql",
        summary: `${w.kind} account ${w.name.user}@'${w.name.host}': ${what.join(", ")}`,
        statements: [NO_BINLOG, ...statements],
      });
    }
  }
  return changes;
}
