import { sh } from "../../remote/shell.js";
import { renderTemplate } from "../../render/render.js";
import { probed, planFiles, type ObservedFile } from "../files.js";
import { serviceCommand, serviceName, MYSQL_SERVICES } from "../service.js";
import { unchanged, type Change } from "../change.js";
import type { PlanInput, Step } from "../context.js";
import { PlanError } from "../../errors.js";
import type { MysqlFacts } from "../../facts/parse.js";

export const MYCNF_NAME = "99-mmm.cnf";

export interface Setting {
  readonly name: string;
  readonly value: string | number;
  readonly why: string;
}

interface Observed {
  readonly running: boolean;
  readonly files: Map<string, ObservedFile>;
}

function versionAtLeast(version: string, min: string): boolean {
  const a = version.split(/[.-]/).map(Number);
  const b = min.split(".").map(Number);
  for (let i = 0; i < b.length; i++) {
    if ((a[i] ?? 0) !== b[i]) return (a[i] ?? 0) > b[i]!;
  }
  return true;
}

/** The file goes in the last include dir the server reads, so that it overrides the distribution's. */
export function mycnfPath(mysql: MysqlFacts, host: string): string {
  const dir = mysql.includeDirs[mysql.includeDirs.length - 1];
  if (!dir) {
    throw new PlanError(`${host}: the server's option files include no directory (!includedir); add one (e.g. /etc/my.cnf.d) and re-run`);
  }
  return `${dir}/${MYCNF_NAME}`;
}

/**
 * Does this MariaDB know init_rpl_role (MDEV-33465: 10.6.19, 10.11.9, 11.1.6, 11.2.5, 11.4.3,
 * 11.5 on)? An unknown option would keep the server from starting, so only then.
 */
export function semiSyncRecoveryOption(version: string): boolean {
  const since: readonly (readonly [string, string])[] = [["10.6.19", "10.7"], ["10.11.9", "10.12"], ["11.1.6", "11.2"], ["11.2.5", "11.3"], ["11.4.3", "11.5"]];
  return versionAtLeast(version, "11.5") || since.some(([from, next]) => versionAtLeast(version, from) && !versionAtLeast(version, next));
}

/** What the server must run with for mmm's replication and fencing, flavor by flavor. Pure. */
export function mysqlSettings(input: PlanInput, mysql: MysqlFacts): Setting[] {
  const h = input.host;
  const s = input.inventory.settings;
  const mariadb = mysql.flavor === "mariadb";
  const mysql8026 = !mariadb && versionAtLeast(mysql.version, "8.0.26");
  const out: Setting[] = [
    { name: "server_id", value: h.serverId ?? 0, why: "unique in the cluster (inventory: mmm_server_id or derived)" },
    { name: "report_host", value: h.name, why: "how this server names itself to its master (SHOW SLAVE HOSTS)" },
    { name: "bind_address", value: "0.0.0.0", why: "replication, the monitor and the VIPs reach the server over the network (Debian binds 127.0.0.1)" },
    { name: "skip_name_resolve", value: "ON", why: "accounts are granted by address; no DNS lookup may delay a connection during failover" },
    { name: "log_bin", value: "mysql-bin", why: "every host can become a master" },
    { name: mysql8026 ? "log_replica_updates" : "log_slave_updates", value: "ON", why: "a slave's binlog holds what it replicated, so it can be re-pointed and promoted" },
    { name: "relay_log", value: "relay-bin", why: "a fixed name: renaming the host must not orphan the relay log" },
    { name: "binlog_format", value: "ROW", why: "deterministic replication" },
    { name: "sync_binlog", value: 1, why: "an acknowledged commit is in the binlog on disk" },
    { name: "innodb_flush_log_at_trx_commit", value: 1, why: "an acknowledged commit is in the redo log on disk" },
    { name: "read_only", value: "ON", why: "fencing: only the mmm agent makes the active writer writable" },
  ];
  if (!mariadb && versionAtLeast(mysql.version, "5.7.8")) {
    out.push({ name: "super_read_only", value: "ON", why: "fencing also holds against accounts with SUPER" });
  }
  if (h.kind === "master" && input.inventory.masters.length === 2) {
    const offset = input.inventory.masters.findIndex((m) => m.name === h.name) + 1;
    out.push(
      { name: "auto_increment_increment", value: 2, why: "the two masters never generate the same AUTO_INCREMENT value" },
      { name: "auto_increment_offset", value: offset, why: `${h.name} is master ${offset} of 2` },
    );
  }
  if (s.gtid) {
    if (mariadb) {
      out.push({ name: "gtid_strict_mode", value: "ON", why: "replicas refuse out-of-order or duplicate GTIDs instead of diverging" });
    } else {
      out.push(
        { name: "gtid_mode", value: "ON", why: "replicas are re-pointed by GTID: nothing applied twice or skipped" },
        { name: "enforce_gtid_consistency", value: "ON", why: "required by gtid_mode" },
      );
    }
  }
  if (s.semiSync && h.kind === "master") {
    if (mariadb) {
      out.push(
        { name: "rpl_semi_sync_master_enabled", value: "ON", why: "a commit is acknowledged only once the peer master has it (mmm_semi_sync)" },
        { name: "rpl_semi_sync_slave_enabled", value: "ON", why: "this master acknowledges its peer's commits" },
        // MariaDB's default, AFTER_COMMIT, commits before the peer has the transaction, so a
        // crashed writer keeps commits nobody acknowledged and returns errant. With AFTER_SYNC
        // (MySQL's default) they are only prepared at a crash, and recovery as a replica rolls
        // them back (below).
        { name: "rpl_semi_sync_master_wait_point", value: "AFTER_SYNC", why: "a commit waits for the peer before it is committed here" },
      );
      if (semiSyncRecoveryOption(mysql.version)) {
        // MDEV-33465: since 10.6.19 / 10.11.9 / 11.4.3 crash recovery truncates the binlog only
        // for a server started as a replica. An mmm master always starts as one (read_only, until
        // the monitor makes it the writer), so what it had not had acknowledged is dropped and it
        // rejoins without errant transactions. Before those versions rpl_semi_sync_slave_enabled
        // triggered the same recovery.
        out.push({ name: "init_rpl_role", value: "SLAVE", why: "after a crash, drop the commits the peer never acknowledged (semi-sync recovery)" });
      }
    } else {
      const src = versionAtLeast(mysql.version, "8.0.26");
      out.push(
        { name: "plugin_load_add", value: src ? "semisync_source.so" : "semisync_master.so", why: "semi-sync (mmm_semi_sync)" },
        { name: "plugin_load_add", value: src ? "semisync_replica.so" : "semisync_slave.so", why: "semi-sync (mmm_semi_sync)" },
        { name: src ? "rpl_semi_sync_source_enabled" : "rpl_semi_sync_master_enabled", value: "ON", why: "a commit is acknowledged only once the peer master has it" },
        { name: src ? "rpl_semi_sync_replica_enabled" : "rpl_semi_sync_slave_enabled", value: "ON", why: "this master acknowledges its peer's commits" },
      );
    }
  }
  if (h.mysqlPort !== 3306) out.push({ name: "port", value: h.mysqlPort, why: "mmm_mysql_port" });
  return out;
}

export function renderMycnf(input: PlanInput, mysql: MysqlFacts): string {
  return renderTemplate("my.cnf.hbs", { host: input.host.name, settings: mysqlSettings(input, mysql) });
}

function requireMysql(input: PlanInput): MysqlFacts {
  if (!input.facts.mysql) throw new PlanError(`${input.host.name}: no MySQL/MariaDB server installed`);
  return input.facts.mysql;
}

/**
 * Writes the managed option file; restarts the server only when that file changed, then
 * waits until it answers again.
 */
export const mycnfStep: Step<Observed> = {
  id: "mycnf",
  title: "my.cnf (server-id, binlog, GTID, read_only)",
  appliesTo: (h) => h.kind !== "monitor",
  ...probed((ctx) => {
    const mysql = requireMysql(ctx);
    return {
      commands: { ping: sh`mysqladmin --socket=${mysql.socket} ping >/dev/null 2>&1 && echo up; true` },
      files: [mycnfPath(mysql, ctx.host.name)],
      read: (o) => ({ files: o.files, running: o.outputs.get("ping")!.stdout.includes("up") }),
    };
  }),
  plan(observed, input) {
    const mysql = requireMysql(input);
    const path = mycnfPath(mysql, input.host.name);
    const changes: Change[] = planFiles(observed.files, [{ path, content: renderMycnf(input, mysql), mode: 0o644 }]);
    const service = serviceName(input.facts, MYSQL_SERVICES);
    if (changes.length > 0 || !observed.running) {
      const action = observed.running ? "restart" : "start";
      changes.push({
        kind: "command",
        summary: `${action} ${service} and wait until it answers`,
        command: sh`${serviceCommand(input.facts, service, action)} >/dev/null
for i in $(seq 1 120); do mysqladmin --socket=${mysql.socket} ping >/dev/null 2>&1 && exit 0; sleep 0.5; done
echo "${service} did not answer within 60 s after ${action}" >&2; exit 1`,
        timeoutMs: 180_000,
      });
    }
    return changes.length ? { changes, reason: "" } : unchanged(`${path} is current and ${service} runs`);
  },
};
