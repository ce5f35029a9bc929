import type { InventoryHost } from "../../inventory/model.js";
import type { Dialect } from "../../sql/dialect.js";
import {
  adoptBinlogPosAsSlavePos,
  changeSource,
  selectGtidState,
  showPrimaryStatus,
  showReplicaStatus,
  startReplica,
  stopReplica,
} from "../../sql/statements.js";
import { parseGtidState, parsePrimaryStatus, parseReplicaStatus, replicationError, type PrimaryStatus, type ReplicaStatus } from "../../sql/status.js";
import { PlanError } from "../../errors.js";
import type { MysqlSession } from "../../remote/mysql.js";
import { applyChanges } from "../apply.js";
import { unchanged, type StepPlan, type Statement } from "../change.js";
import type { HostContext, PlanInput, Step } from "../context.js";
import { userSchemas } from "./data.js";

/** MMM's tutorial value: seconds between reconnection attempts. */
export const CONNECT_RETRY_SECONDS = 10;
/** A dead source is noticed within about two heartbeats. */
export const HEARTBEAT_SECONDS = 1;
/** Bootstrap waits this long for every thread to run and lag to reach 0. */
export const CATCH_UP_TIMEOUT_MS = 120_000;

interface Observed {
  readonly dialect: Dialect;
  readonly status: ReplicaStatus | null;
  /** The source's binlog position, for file/position replication (mmm_gtid: false). */
  readonly sourcePrimary: PrimaryStatus | null;
  /** This server's own binlog has transactions (it was written to before it replicated). */
  readonly hasOwnBinlog: boolean;
  /** Its data is a copy with a known GTID position (seeded): it may start replicating with it. */
  readonly positioned: boolean;
  /** Schemas other than the server's own that hold tables, here and on the source. */
  readonly userSchemas: readonly string[];
  readonly sourceUserSchemas: readonly string[];
  /** The source's data is a positioned copy (seeded from this cluster's authority). */
  readonly sourcePositioned: boolean;
}


/** Where a host replicates from: a master from its peer, a slave from its master. */
export function sourceOf(input: Pick<PlanInput, "inventory" | "host">): InventoryHost | undefined {
  const h = input.host;
  const name = h.kind === "master" ? h.peer : h.kind === "slave" ? h.master : undefined;
  return name ? input.inventory.hosts.find((x) => x.name === name) : undefined;
}

/**
 * Sources a host may already replicate from without bootstrap pointing it back: a master only
 * from its peer; a slave from any master, because after a failover the monitor re-points slaves
 * to the new writer and a re-run of bootstrap must not undo that.
 */
export function acceptableSources(input: Pick<PlanInput, "inventory" | "host">): InventoryHost[] {
  if (input.host.kind === "slave") return [...input.inventory.masters];
  const s = sourceOf(input);
  return s ? [s] : [];
}

function replicationStep(id: string, title: string, kind: "master" | "slave"): Step<Observed> {
  return {
    id,
    title,
    appliesTo: (h) => h.kind === kind && (kind === "slave" || h.peer !== undefined),
    async observe(ctx) {
      const session = await ctx.mysql();
      const d = session.dialect;
      const status = parseReplicaStatus(await session.run(showReplicaStatus(d)));
      const [gtidRow] = await session.run(selectGtidState(d));
      const gtid = parseGtidState(d, gtidRow ?? {});
      const own = gtid.kind === "mariadb" ? gtid.binlogPos : gtid.executed;
      const source = sourceOf(ctx);
      const sourcePrimary =
        !ctx.inventory.settings.gtid && source
          ? parsePrimaryStatus(await (await ctx.mysqlOf(source.name)).run(showPrimaryStatus(d)))
          : null;
      const sourceSession = source ? await ctx.mysqlOf(source.name) : null;
      return {
        dialect: d,
        status,
        sourcePrimary,
        hasOwnBinlog: own !== "",
        positioned: await ctx.isSeeded(ctx.host.name),
        userSchemas: await userSchemas(session),
        sourceUserSchemas: sourceSession ? await userSchemas(sourceSession) : [],
        sourcePositioned: source ? await ctx.isSeeded(source.name) : false,
      };
    },
    plan: planReplication,
    async apply(ctx, plan) {
      await applyChanges(ctx, plan);
      await waitUntilReplicating(ctx, await ctx.mysql());
    },
  };
}

export const replicateMastersStep = replicationStep("replication-masters", "replication between the masters", "master");
export const replicateSlavesStep = replicationStep("replication-slaves", "replication of the slaves", "slave");

/** Pure: what it takes for this host to replicate from its source by GTID (or file/position). */
export function planReplication(o: Observed, input: PlanInput): StepPlan {
  const d = o.dialect;
  const s = input.inventory.settings;
  const source = sourceOf(input);
  if (!source) return unchanged("no source to replicate from");
  const status = o.status && o.status.sourceHost !== "" ? o.status : null;
  const current = status ? acceptableSources(input).find((h) => h.address === status.sourceHost) : undefined;
  const usesGtid = status?.gtid.kind === "mariadb" ? status.gtid.using !== "no" : status?.gtid.kind === "mysql" ? status.gtid.autoPosition : false;

  if (status && current && status.sourceUser === s.replication.user && usesGtid === s.gtid) {
    if (status.ioRunning === "yes" && status.sqlRunning) {
      return unchanged(`replicates from ${current.name}${s.gtid ? " by GTID" : ""}, lag ${status.secondsBehind ?? "?"} s`);
    }
    const error = replicationError(status);
    if (error) {
      throw new PlanError(
        `replication from ${current.name} is broken: ${error}. mmm never skips transactions: repair it (or rebuild this host) and re-run`,
      );
    }
    return { changes: [{ kind: "sql", summary: `start replication from ${current.name}`, statements: [startReplica(d)] }], reason: "" };
  }

  if (!status) {
    // First time this host replicates: its data must be exactly its source's, or replication
    // would silently diverge. Only an empty host may start from an empty source.
    const own = o.userSchemas;
    const theirs = o.sourceUserSchemas;
    // The first master's data is the cluster's: it may have data while its empty peer replicates it.
    const isAuthority = input.inventory.masters[0]?.name === input.host.name;
    if (own.length > 0 && !o.positioned && !(isAuthority && (theirs.length === 0 || o.sourcePositioned))) {
      throw new PlanError(
        `${input.host.name} holds user data (${own.join(", ")}) but does not replicate yet; mmm never overwrites ` +
          `or merges a replica's data: move those schemas away (or rebuild the host) and re-run, or re-run with --force ` +
          `to replace them with ${input.inventory.masters[0]?.name ?? "the first master"}'s data`,
      );
    }
  }
  const statements: Statement[] = [];
  if (status) statements.push(stopReplica(d));
  // A master that already wrote its own transactions must not fetch them back from its peer:
  // they count as replicated (MariaDB: MASTER_DEMOTE_TO_SLAVE, or the older equivalent).
  const demote = d.family === "mariadb" && s.gtid && o.hasOwnBinlog;
  if (demote && !d.has("demoteToSlave")) statements.push(adoptBinlogPosAsSlavePos(d));
  if (!s.gtid && !o.sourcePrimary) throw new PlanError(`${source.name} has binary logging off: it cannot be a replication source`);
  statements.push(
    changeSource(d, {
      host: source.address,
      port: source.mysqlPort,
      user: s.replication.user,
      password: s.replication.password,
      position: s.gtid ? { kind: "gtid" } : { kind: "file", file: o.sourcePrimary!.file, pos: o.sourcePrimary!.position },
      connectRetry: CONNECT_RETRY_SECONDS,
      heartbeatPeriod: HEARTBEAT_SECONDS,
      ...(demote && d.has("demoteToSlave") ? { demote: true } : {}),
    }),
    startReplica(d),
  );
  const why = status
    ? `re-point replication from ${status.sourceHost} to ${source.name}`
    : `replicate from ${source.name}${s.gtid ? " by GTID" : ` from ${o.sourcePrimary!.file}:${o.sourcePrimary!.position}`}`;
  return { changes: [{ kind: "sql", summary: why, statements }], reason: "" };
}

/** Bounded wait until both threads run and lag is 0; a replication error ends it at once. */
async function waitUntilReplicating(ctx: HostContext, session: MysqlSession): Promise<void> {
  const deadline = Date.now() + CATCH_UP_TIMEOUT_MS;
  let last: ReplicaStatus | null = null;
  while (Date.now() < deadline) {
    last = parseReplicaStatus(await session.run(showReplicaStatus(session.dialect)));
    if (!last) throw new PlanError("replication is not configured after CHANGE MASTER");
    const error = replicationError(last);
    if (error && !(last.ioRunning === "yes" && last.sqlRunning)) throw new PlanError(`replication does not run: ${error}`);
    if (last.ioRunning === "yes" && last.sqlRunning && last.secondsBehind === 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new PlanError(
    `${ctx.host.name}: replication did not catch up within ${CATCH_UP_TIMEOUT_MS / 1000} s ` +
      `(IO ${last?.ioRunning ?? "?"}, SQL ${last?.sqlRunning ? "yes" : "no"}, lag ${last?.secondsBehind ?? "?"} s, ${last?.ioState ?? ""})`,
  );
}
