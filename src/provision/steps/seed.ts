import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { sh } from "../../remote/shell.js";
import { showReplicaStatus, makeStatement } from "../../sql/statements.js";
import { parseReplicaStatus } from "../../sql/status.js";
import { PlanError } from "../../errors.js";
import type { MysqlSession } from "../../remote/mysql.js";
import { unchanged, type Change, type Statement, type StepPlan } from "../change.js";
import { applyChanges } from "../apply.js";
import { NO_BINLOG } from "./accounts.js";
import { quoteIdentifier } from "../../sql/quote.js";
import type { HostContext, PlanInput, Step } from "../context.js";
import { SEED_MARKER, userSchemas } from "./data.js";

interface Observed {
  readonly replicating: boolean;
  /** A copy with a known GTID position is already here (an earlier seed). */
  readonly positioned: boolean;
  readonly ownSchemas: readonly string[];
  readonly authoritySchemas: readonly string[];
  readonly flavor: "mariadb" | "mysql";
}

/** The host whose data is the cluster's: the first master. */
function authorityOf(input: Pick<PlanInput, "inventory">) {
  return input.inventory.masters[0]!;
}

/**
 * Copies the first master's data into every database host that will replicate and is still
 * empty, with the GTID position of the copy, so that replication continues exactly after it:
 * nothing applied twice, nothing skipped. A host that holds data of its own is never
 * overwritten.
 */
export const seedStep: Step<Observed> = {
  id: "seed",
  title: "copy existing data to empty replicas",
  appliesTo: (h) => h.kind !== "monitor",
  async observe(ctx) {
    const session = await ctx.mysql();
    const d = session.dialect;
    const status = parseReplicaStatus(await session.run(showReplicaStatus(d)));
    const authority = authorityOf(ctx);
    const theirs = authority.name === ctx.host.name ? [] : await userSchemas(await ctx.mysqlOf(authority.name));
    return {
      replicating: status !== null && status.sourceHost !== "",
      positioned: await ctx.isSeeded(ctx.host.name),
      ownSchemas: await userSchemas(session),
      authoritySchemas: theirs,
      flavor: session.dialect.family,
    };
  },
  plan(o, input): StepPlan {
    const authority = authorityOf(input);
    if (authority.name === input.host.name) return unchanged(`${input.host.name} holds the cluster's data`);
    if (o.replicating) return unchanged("already replicates");
    if (o.positioned && o.ownSchemas.length > 0) return unchanged(`holds a copy of ${authority.name}'s data with its GTID position`);
    if (o.ownSchemas.length > 0 && input.cluster.force) {
      const drop: Change = {
        kind: "sql",
        summary: `--force: drop ${input.host.name}'s own ${o.ownSchemas.join(", ")}`,
        statements: [NO_BINLOG, ...o.ownSchemas.map((name) => dropDatabase(name))],
      };
      return { changes: o.authoritySchemas.length > 0 ? [drop, copyChange(o, authority.name)] : [drop], reason: "" };
    }
    if (o.authoritySchemas.length === 0) return unchanged(`${authority.name} holds no user data to copy`);
    if (o.ownSchemas.length > 0) {
      throw new PlanError(
        `${input.host.name} holds user data (${o.ownSchemas.join(", ")}) and ${authority.name} too (${o.authoritySchemas.join(", ")}); ` +
          `mmm never merges data: move those schemas away (or rebuild the host), or re-run with --force to replace them with a copy of ${authority.name}'s`,
      );
    }
    return { changes: [copyChange(o, authority.name)], reason: "" };
  },
  async apply(ctx, plan) {
    for (const c of plan.changes) {
      if (c.kind === "copy") await copyData(ctx, c.from, c.schemas);
      else await applyChanges(ctx, { changes: [c], reason: "" });
    }
  },
};

function copyChange(o: Observed, from: string): Change {
  return {
    kind: "copy",
    summary: `copy ${o.authoritySchemas.join(", ")} from ${from} (consistent dump with its GTID position)`,
    from,
    schemas: o.authoritySchemas,
  };
}

function dropDatabase(name: string): Statement {
  const sql = `DROP DATABASE ${quoteIdentifier(name)}`;
  return makeStatement(sql, [], sql);
}

/** Streams a dump of `schemas` from `from` into this host, then sets its GTID state to the dump's. */
async function copyData(ctx: HostContext, from: string, schemas: readonly string[]): Promise<void> {
  const session = await ctx.mysql();
  const mariadb = session.dialect.family === "mariadb";
  const source = ctx.inventory.hosts.find((h) => h.name === from)!;
  const sourceSocket = ctx.allFacts.get(from)?.mysql?.socket ?? "/run/mysqld/mysqld.sock";
  const socket = ctx.facts.mysql?.socket ?? "/run/mysqld/mysqld.sock";
  if (!mariadb) await session.query("RESET MASTER");
  const dumpCmd = mariadb
    ? sh`mariadb-dump --socket=${sourceSocket} --single-transaction --gtid --master-data=2 --routines --events --triggers --hex-blob --databases ${schemas}`
    : sh`mysqldump --socket=${sourceSocket} --single-transaction --set-gtid-purged=ON --routines --events --triggers --hex-blob --databases ${schemas}`;
  const restoreCmd = mariadb
    ? sh`mariadb --socket=${socket} --binary-mode --init-command='SET SESSION sql_log_bin = 0'`
    : sh`mysql --socket=${socket} --binary-mode --init-command='SET SESSION sql_log_bin = 0'`;
  const dumper = await ctx.transportOf(source.name).spawn(dumpCmd);
  const restorer = await ctx.transport.spawn(restoreCmd);
  // A channel closes only once both its directions ended: the dump reads nothing, and the
  // restore's output (normally none) must still be drained.
  dumper.stdin.end();
  restorer.stdout.resume();
  let gtid: string | undefined;
  let head = "";
  // MariaDB writes the position as a comment near the top: -- SET GLOBAL gtid_slave_pos='0-1-42';
  const watch = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      if (gtid === undefined && head.length < 65536) {
        head += chunk.toString("utf8");
        const m = /gtid_slave_pos='([^']*)'/.exec(head);
        if (m) gtid = m[1];
      }
      cb(null, chunk);
    },
  });
  const streamed = pipeline(dumper.stdout, watch, restorer.stdin).catch((e: Error) => e);
  const [dumped, restored] = await Promise.all([dumper.done, restorer.done]);
  await streamed;
  const partial = `${ctx.host.name} may now hold part of ${schemas.join(", ")}: drop ${schemas.length > 1 ? "them" : "it"} before re-running`;
  if (dumped.code !== 0) throw new PlanError(`the dump on ${from} failed (exit ${dumped.code}): ${dumped.stderr.trim()}; ${partial}`);
  if (restored.code !== 0) throw new PlanError(`the restore failed (exit ${restored.code}): ${restored.stderr.trim()}; ${partial}`);
  if (mariadb) {
    if (gtid === undefined) throw new PlanError(`the dump from ${from} carries no GTID position; ${partial}`);
    await setMariaGtidState(session, gtid);
  }
  const marker = { from, schemas, gtid: gtid ?? null, at: new Date().toISOString() };
  await ctx.transport.upload(SEED_MARKER, `${JSON.stringify(marker)}\n`, { mode: 0o600 });
}

/** After a restore outside the binlog: this server's history is the copy's, and replication resumes after it. */
async function setMariaGtidState(session: MysqlSession, gtid: string): Promise<void> {
  const literal = `'${gtid.replace(/[^0-9,-]/g, "")}'`;
  for (const sql of ["RESET MASTER", `SET GLOBAL gtid_binlog_state = ${literal}`, `SET GLOBAL gtid_slave_pos = ${literal}`]) {
    await session.run(makeStatement(sql, [], sql));
  }
}
