import type { Secret } from "../secret.js";

/**
 * The resolved inventory: what every other module consumes. Produced by `loadInventory`
 * after Ansible-style variable resolution (all.vars < parent group vars < child group vars <
 * host vars) and validation. Immutable by convention.
 */

/** How the controller reaches a host over SSH (Ansible connection variables, resolved). */
export interface SshTarget {
  /** ansible_host, or the inventory name when unset. */
  readonly address: string;
  /** ansible_port, default 22. */
  readonly port: number;
  /** ansible_user, default root. */
  readonly user: string;
  /** ansible_ssh_private_key_file with ~ expanded; undefined: use ssh-agent ($SSH_AUTH_SOCK). */
  readonly privateKeyFile?: string;
  /** Run commands with sudo: true when user is not root (or ansible_become: true). */
  readonly become: boolean;
  /** -o UserKnownHostsFile from ansible_ssh_common_args / ansible_ssh_extra_args, ~ expanded. */
  readonly knownHostsFile?: string;
  /** -o ProxyCommand (with %h %p %r still unexpanded). */
  readonly proxyCommand?: string;
  /** ansible_ssh_timeout / -o ConnectTimeout, seconds; default 10. */
  readonly connectTimeout: number;
}

export type HostKind = "monitor" | "master" | "slave";

export interface InventoryHost {
  readonly name: string;
  readonly kind: HostKind;
  /** The host's address on the cluster network (ansible_host). */
  readonly address: string;
  readonly ssh: SshTarget;
  /** Database hosts only. */
  readonly serverId?: number;
  /** Masters: the other master (mmm_peer). */
  readonly peer?: string;
  /** Slaves: the master they replicate from (mmm_master). */
  readonly master?: string;
  /** mmm_cluster_interface for this host. */
  readonly clusterInterface: string;
  /** mmm_mysql_port, default 3306. */
  readonly mysqlPort: number;
  /** Every variable as resolved for this host (secrets already wrapped in Secret). */
  readonly vars: Readonly<Record<string, unknown>>;
}

export type RoleMode = "exclusive" | "balanced";

export interface ClusterRole {
  readonly name: string;
  readonly hosts: readonly string[];
  readonly ips: readonly string[];
  readonly mode: RoleMode;
  readonly prefer?: string;
}

export interface Account {
  readonly user: string;
  readonly password: Secret;
  /** Set when the password came from *_password_env: the variable's name (safe to show). */
  readonly passwordEnv?: string;
}

/** Cluster-wide settings: must resolve to the same value on every host. */
export interface ClusterSettings {
  readonly replication: Account;
  readonly agent: Account;
  readonly monitor: Account;
  readonly app?: Account & { readonly databases: readonly string[] };
  /**
   * mmm_ntp_servers: names of hosts in `hosts` (look up their address), IP addresses or fully
   * qualified names. Other inventory hosts are already replaced by their address.
   */
  readonly ntpServers: readonly string[];
  /** false in the lab: chronyd runs with -x and never touches the machine's clock. */
  readonly ntpAdjustClock: boolean;
  readonly semiSync: boolean;
  readonly gtid: boolean;
  /** Prefix length of the cluster network (mmm_cluster_prefix, default 24): VIPs must lie in it. */
  readonly clusterPrefix: number;
  readonly agentPort: number;
  readonly monitorPort: number;
}

export interface Inventory {
  /** Absolute path of the inventory file. */
  readonly file: string;
  /** All hosts in file order: monitor, masters, slaves. */
  readonly hosts: readonly InventoryHost[];
  readonly monitor: InventoryHost;
  readonly masters: readonly InventoryHost[];
  readonly slaves: readonly InventoryHost[];
  readonly roles: readonly ClusterRole[];
  readonly settings: ClusterSettings;
}

export function findHost(inv: Inventory, name: string): InventoryHost | undefined {
  return inv.hosts.find((h) => h.name === name);
}

/** Every secret in the inventory, for masking text that might contain one. */
export function inventorySecrets(inv: Inventory): Secret[] {
  const s = inv.settings;
  return [s.replication.password, s.agent.password, s.monitor.password, ...(s.app ? [s.app.password] : [])];
}
