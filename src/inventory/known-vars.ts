/**
 * Every variable mmm reads from an inventory: the one table that validation, resolution and the
 * README's "Inventory reference" are all derived from.
 */
export type VarScope = "cluster" | "host";

export type VarType =
  | "interface"
  | "prefix"
  | "port"
  | "server-id"
  | "host-name"
  | "user"
  | "secret"
  | "string-list"
  | "bool"
  | "roles";

/** Which hosts a host-scope variable means something on. */
export type VarAppliesTo = "all" | "databases" | "masters" | "slaves";

export interface VarSpec {
  readonly name: string;
  readonly type: VarType;
  readonly scope: VarScope;
  readonly appliesTo: VarAppliesTo;
  /** Used when the variable is unset; undefined: no default (see `required`). */
  readonly default?: unknown;
  /** Shown in the reference instead of a literal default. */
  readonly defaultText?: string;
  readonly required: boolean;
  readonly doc: string;
}

export const MMM_VARS: readonly VarSpec[] = [
  {
    name: "mmm_cluster_interface",
    type: "interface",
    scope: "host",
    appliesTo: "all",
    default: "eth0",
    required: false,
    doc: "Network interface on the cluster network; the agent adds and removes VIPs on it.",
  },
  {
    name: "mmm_cluster_prefix",
    type: "prefix",
    scope: "cluster",
    appliesTo: "all",
    default: 24,
    required: false,
    doc: "Prefix length of the cluster network. Every VIP of a role must lie in the /prefix network of each host of that role, and must not be its network or broadcast address.",
  },
  {
    name: "mmm_mysql_port",
    type: "port",
    scope: "host",
    appliesTo: "databases",
    default: 3306,
    required: false,
    doc: "Port mysqld listens on.",
  },
  {
    name: "mmm_server_id",
    type: "server-id",
    scope: "host",
    appliesTo: "databases",
    defaultText: "derived",
    required: false,
    doc: "MySQL server_id (1..4294967295). Unset: derived from file order (see below).",
  },
  {
    name: "mmm_peer",
    type: "host-name",
    scope: "host",
    appliesTo: "masters",
    required: false,
    doc: "Masters only, required when there are two: the other master. The two must name each other.",
  },
  {
    name: "mmm_master",
    type: "host-name",
    scope: "host",
    appliesTo: "slaves",
    required: false,
    doc: "Slaves only, required: the master this slave replicates from.",
  },
  {
    name: "mmm_replication_user",
    type: "user",
    scope: "cluster",
    appliesTo: "all",
    default: "repl",
    required: false,
    doc: "Account the slaves and the peer master replicate with.",
  },
  {
    name: "mmm_replication_password",
    type: "secret",
    scope: "cluster",
    appliesTo: "all",
    required: true,
    doc: "Its password.",
  },
  {
    name: "mmm_agent_user",
    type: "user",
    scope: "cluster",
    appliesTo: "all",
    default: "mmm_agent",
    required: false,
    doc: "Account the agent uses on its own database (read_only, replication control).",
  },
  {
    name: "mmm_agent_password",
    type: "secret",
    scope: "cluster",
    appliesTo: "all",
    required: true,
    doc: "Its password.",
  },
  {
    name: "mmm_monitor_user",
    type: "user",
    scope: "cluster",
    appliesTo: "all",
    default: "mmm_monitor",
    required: false,
    doc: "Account the monitor checks every database with.",
  },
  {
    name: "mmm_monitor_password",
    type: "secret",
    scope: "cluster",
    appliesTo: "all",
    required: true,
    doc: "Its password.",
  },
  {
    name: "mmm_app_user",
    type: "user",
    scope: "cluster",
    appliesTo: "all",
    defaultText: "none",
    required: false,
    doc: "Optional application account (the tutorial's test user), created with access to mmm_app_databases.",
  },
  {
    name: "mmm_app_password",
    type: "secret",
    scope: "cluster",
    appliesTo: "all",
    defaultText: "none",
    required: false,
    doc: "Its password; required when mmm_app_user is set, not allowed without it.",
  },
  {
    name: "mmm_app_databases",
    type: "string-list",
    scope: "cluster",
    appliesTo: "all",
    default: ["*"],
    required: false,
    doc: "Databases the application account may use; ['*'] means all.",
  },
  {
    name: "mmm_ntp_servers",
    type: "string-list",
    scope: "cluster",
    appliesTo: "all",
    defaultText: "[the monitor]",
    required: false,
    doc: "Time servers the database hosts follow (chrony), as in the tutorial where the monitor serves the time: inventory host names, IP addresses or fully qualified names (a bare name that is not an inventory host is an error).",
  },
  {
    name: "mmm_ntp_adjust_clock",
    type: "bool",
    scope: "cluster",
    appliesTo: "all",
    default: true,
    required: false,
    doc: "false: chronyd runs with -x and never sets the clock (the lab, whose hosts share the machine's clock).",
  },
  {
    name: "mmm_semi_sync",
    type: "bool",
    scope: "cluster",
    appliesTo: "all",
    default: false,
    required: false,
    doc: "Enable semi-synchronous replication between the masters.",
  },
  {
    name: "mmm_gtid",
    type: "bool",
    scope: "cluster",
    appliesTo: "all",
    default: true,
    required: false,
    doc: "Replicate with GTIDs; false: with binary log file and position.",
  },
  {
    name: "mmm_agent_port",
    type: "port",
    scope: "cluster",
    appliesTo: "all",
    default: 9989,
    required: false,
    doc: "TCP port the agents listen on.",
  },
  {
    name: "mmm_monitor_port",
    type: "port",
    scope: "cluster",
    appliesTo: "all",
    default: 9988,
    required: false,
    doc: "TCP port the monitor listens on (status and commands).",
  },
  {
    name: "mmm_roles",
    type: "roles",
    scope: "cluster",
    appliesTo: "all",
    required: true,
    doc:
      "Roles and their VIPs: `name: { hosts: [...], ips: [...], mode: exclusive|balanced, prefer: host }`. " +
      "exclusive: exactly one IP, held by one host at a time (the writer); balanced: one or more IPs spread over the hosts (readers). " +
      "prefer (exclusive only): the host that gets the role when it is healthy. " +
      "Role hosts are masters or slaves; a VIP belongs to one role and is no host's address.",
  },
];

/** Every `*_password` may instead name an environment variable: `*_password_env: NAME`. */
export const ENV_SUFFIX = "_env";

const byName = new Map(MMM_VARS.map((v) => [v.name, v]));

export function mmmVar(name: string): VarSpec | undefined {
  return byName.get(name);
}

/** Every accepted mmm_ key, including the *_password_env spellings. */
export const MMM_KEYS: readonly string[] = MMM_VARS.flatMap((v) => (v.type === "secret" ? [v.name, v.name + ENV_SUFFIX] : [v.name]));

/** The variable a key sets: `mmm_x_password_env` sets `mmm_x_password`. */
export function slotOf(key: string): string {
  return key.endsWith("_password" + ENV_SUFFIX) ? key.slice(0, -ENV_SUFFIX.length) : key;
}

/** The Ansible connection variables mmm honours (others are ignored, see REJECTED_ANSIBLE_VARS). */
export interface ConnectionVarSpec {
  readonly name: string;
  readonly type: "address" | "port" | "user" | "path" | "bool" | "seconds" | "ssh-args" | "int";
  readonly defaultText: string;
  readonly doc: string;
}

export const CONNECTION_VARS: readonly ConnectionVarSpec[] = [
  { name: "ansible_host", type: "address", defaultText: "the inventory name", doc: "Address mmm connects to; also the host's address on the cluster network. ansible_ssh_host, if set, wins (as in Ansible)." },
  { name: "ansible_ssh_host", type: "address", defaultText: "unset", doc: "Older name of ansible_host." },
  { name: "ansible_port", type: "port", defaultText: "22", doc: "SSH port. ansible_ssh_port, if set, wins." },
  { name: "ansible_ssh_port", type: "port", defaultText: "unset", doc: "Older name of ansible_port." },
  { name: "ansible_user", type: "user", defaultText: "root", doc: "SSH user. ansible_ssh_user, if set, wins." },
  { name: "ansible_ssh_user", type: "user", defaultText: "unset", doc: "Older name of ansible_user." },
  { name: "ansible_ssh_private_key_file", type: "path", defaultText: "ssh-agent", doc: "Private key (~ expanded; relative paths are relative to the directory mmm runs in, as in Ansible). Unset: keys from ssh-agent." },
  { name: "ansible_private_key_file", type: "path", defaultText: "unset", doc: "Other name of ansible_ssh_private_key_file, which wins if both are set." },
  { name: "ansible_become", type: "bool", defaultText: "user is not root", doc: "Run commands with sudo -n (passwordless sudo)." },
  { name: "ansible_ssh_timeout", type: "seconds", defaultText: "10", doc: "Connect timeout in seconds; wins over -o ConnectTimeout." },
  { name: "ansible_ssh_common_args", type: "ssh-args", defaultText: "none", doc: "ssh options; mmm honours -o UserKnownHostsFile, -o ProxyCommand and -o ConnectTimeout (first value wins, as in ssh) and ignores the rest." },
  { name: "ansible_ssh_extra_args", type: "ssh-args", defaultText: "none", doc: "Read after ansible_ssh_common_args, same options." },
  { name: "ansible_group_priority", type: "int", defaultText: "1", doc: "Group vars only: among groups of the same depth, higher priority wins (as in Ansible)." },
];

/** Ansible variables that would make mmm connect differently from Ansible if silently ignored. */
export const REJECTED_ANSIBLE_VARS: Readonly<Record<string, { readonly allowed?: readonly string[]; readonly message: string }>> = {
  ansible_password: { message: "mmm authenticates with SSH keys only: remove it and use ansible_ssh_private_key_file or ssh-agent" },
  ansible_ssh_pass: { message: "mmm authenticates with SSH keys only: remove it and use ansible_ssh_private_key_file or ssh-agent" },
  ansible_ssh_password: { message: "mmm authenticates with SSH keys only: remove it and use ansible_ssh_private_key_file or ssh-agent" },
  ansible_become_password: { message: "mmm needs passwordless sudo (it runs sudo -n): remove it and allow the user NOPASSWD in sudoers" },
  ansible_become_pass: { message: "mmm needs passwordless sudo (it runs sudo -n): remove it and allow the user NOPASSWD in sudoers" },
  ansible_sudo_pass: { message: "mmm needs passwordless sudo (it runs sudo -n): remove it and allow the user NOPASSWD in sudoers" },
  ansible_connection: { allowed: ["ssh", "smart", "paramiko"], message: "mmm connects over SSH only: use ssh or remove it" },
  ansible_become_method: { allowed: ["sudo"], message: "mmm becomes root with sudo only: use sudo or remove it" },
  ansible_become_user: { allowed: ["root"], message: "mmm becomes root: use root or remove it" },
};

const connectionByName = new Map(CONNECTION_VARS.map((v) => [v.name, v]));

export function connectionVar(name: string): ConnectionVarSpec | undefined {
  return connectionByName.get(name);
}
