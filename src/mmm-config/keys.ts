import type { MmmProgram } from "./model.js";

/**
 * Every key MMM 2.2 accepts (lib/Common/Config.pm RULESET) plus mmm's extras, per section, with
 * the model field it fills. One table drives parsing, validation, did-you-mean and rendering.
 */

export type ValueKind = "string" | "int" | "number" | "bool" | "list" | "iplist" | "ip" | "secret" | "enum";

export interface KeySpec {
  readonly key: string;
  readonly field: string;
  readonly kind: ValueKind;
  readonly values?: readonly string[];
  /** Programs that cannot run without it (MMM's `required`). */
  readonly requiredBy?: readonly MmmProgram[];
  /** Needed whatever the program (the model cannot be built without it). */
  readonly always?: true;
  /** An mmm-only key: real MMM 2.2 stops on it with "Unknown variable". */
  readonly extra?: true;
  /** An MMM tools key (mmm_backup/mmm_clone): kept verbatim in MmmHost.tools, unused. */
  readonly tools?: true;
}

const k = (key: string, field: string, kind: ValueKind, more: Partial<KeySpec> = {}): KeySpec => ({
  key,
  field,
  kind,
  ...more,
});

export const TOP_KEYS: readonly KeySpec[] = [
  k("active_master_role", "activeMasterRole", "string", { requiredBy: ["agent", "monitor"], always: true }),
  k("this", "this", "string", { requiredBy: ["agent"] }),
  k("debug", "debug", "bool"),
  k("max_kill_retries", "maxKillRetries", "int"),
  k("lease", "lease", "number", { extra: true }),
  k("cluster_secret_file", "clusterSecretFile", "string", { extra: true }),
];

export const HOST_KEYS: readonly KeySpec[] = [
  k("ip", "ip", "ip", { requiredBy: ["agent", "monitor", "control"], always: true }),
  k("mode", "mode", "enum", { values: ["master", "slave"], requiredBy: ["agent", "monitor", "control"], always: true }),
  k("peer", "peer", "string"),
  k("pid_path", "pidPath", "string", { requiredBy: ["agent"] }),
  k("bin_path", "binPath", "string", { requiredBy: ["agent"] }),
  k("agent_port", "agentPort", "int"),
  k("cluster_interface", "clusterInterface", "string", { requiredBy: ["agent"] }),
  k("mysql_port", "mysqlPort", "int"),
  k("mysql_pidfile", "mysqlPidfile", "string"),
  k("mysql_rcscript", "mysqlRcscript", "string"),
  k("mysql_cnf", "mysqlCnf", "string"),
  k("agent_user", "agentUser", "string", { requiredBy: ["agent"] }),
  k("agent_password", "agentPassword", "secret", { requiredBy: ["agent"] }),
  k("monitor_user", "monitorUser", "string", { requiredBy: ["monitor"] }),
  k("monitor_password", "monitorPassword", "secret", { requiredBy: ["monitor"] }),
  k("replication_user", "replicationUser", "string", { requiredBy: ["agent"] }),
  k("replication_password", "replicationPassword", "secret", { requiredBy: ["agent"] }),
  ...[
    "ssh_user",
    "ssh_port",
    "ssh_parameters",
    "tools_user",
    "tools_password",
    "backup_dir",
    "restore_dir",
    "lvm_bin_lvcreate",
    "lvm_bin_lvremove",
    "lvm_snapshot_size",
    "lvm_logical_volume",
    "lvm_volume_group",
    "lvm_mount_dir",
    "lvm_mount_opts",
  ].map((key) => k(key, key, key === "tools_password" ? "secret" : "string", { tools: true })),
];

/** Host keys that only the monitor reads: rendered into mmm_mon.conf, as the tutorial does. */
export const MONITOR_ONLY_HOST_KEYS: ReadonlySet<string> = new Set(["monitor_user", "monitor_password"]);

export const ROLE_KEYS: readonly KeySpec[] = [
  k("mode", "mode", "enum", { values: ["exclusive", "balanced"], requiredBy: ["monitor"], always: true }),
  k("hosts", "hosts", "list", { requiredBy: ["monitor"], always: true }),
  k("ips", "ips", "iplist", { requiredBy: ["agent", "monitor"], always: true }),
  k("prefer", "prefer", "string"),
];

export const MONITOR_KEYS: readonly KeySpec[] = [
  k("ip", "ip", "ip", { requiredBy: ["monitor", "control"] }),
  k("port", "port", "int"),
  k("pid_path", "pidPath", "string", { requiredBy: ["monitor"] }),
  k("bin_path", "binPath", "string", { requiredBy: ["monitor"] }),
  k("status_path", "statusPath", "string", { requiredBy: ["monitor"] }),
  k("ping_interval", "pingInterval", "number"),
  k("ping_ips", "pingIps", "iplist", { requiredBy: ["monitor"] }),
  k("flap_duration", "flapDuration", "number"),
  k("flap_count", "flapCount", "int"),
  k("auto_set_online", "autoSetOnline", "number"),
  k("kill_host_bin", "killHostBin", "string"),
  k("careful_startup", "carefulStartup", "bool"),
  k("mode", "mode", "enum", { values: ["active", "manual", "wait", "passive"] }),
  k("wait_for_other_master", "waitForOtherMaster", "number"),
  k("max_catchup_wait", "maxCatchupWait", "number", { extra: true }),
];

export const CHECK_KEYS: readonly KeySpec[] = [
  k("check_period", "checkPeriod", "number"),
  k("trap_period", "trapPeriod", "number"),
  k("timeout", "timeout", "number"),
  k("restart_after", "restartAfter", "int"),
  k("max_backlog", "maxBacklog", "number"),
];

export const SOCKET_KEYS: readonly KeySpec[] = [
  k("type", "type", "enum", { values: ["plain", "ssl"] }),
  k("cert_file", "certFile", "string"),
  k("key_file", "keyFile", "string"),
  k("ca_file", "caFile", "string"),
];

export type SectionType = "host" | "role" | "monitor" | "check" | "socket";

export interface SectionSpec {
  readonly type: SectionType;
  /** Named sections (`<host db1>`) vs unique ones (`<monitor>`). */
  readonly named: boolean;
  readonly keys: readonly KeySpec[];
  /** Named sections whose `default` entry is a template for the others. */
  readonly template?: boolean;
  /** Allowed section names, when MMM restricts them. */
  readonly names?: readonly string[];
}

export const SECTIONS: Readonly<Record<SectionType, SectionSpec>> = {
  host: { type: "host", named: true, keys: HOST_KEYS, template: true },
  role: { type: "role", named: true, keys: ROLE_KEYS },
  monitor: { type: "monitor", named: false, keys: MONITOR_KEYS },
  check: {
    type: "check",
    named: true,
    keys: CHECK_KEYS,
    template: true,
    names: ["ping", "mysql", "rep_threads", "rep_backlog"],
  },
  socket: { type: "socket", named: false, keys: SOCKET_KEYS },
};

/** MMM sections and keys that only mmm_tools.conf uses; mmm does not read that file. */
export const TOOLS_ONLY = new Set(["copy_method", "default_copy_method", "clone_dirs"]);

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(word, c);
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}
