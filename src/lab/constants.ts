/**
 * The local lab's fixed shape: five hosts mirroring the mysql-mmm tutorial (192.168.1.1–.5),
 * on a private /24 that exists only inside the lab's network namespaces. inventories/lab.yml
 * and every lab test depend on these values.
 */

/** Root-only state: key, known_hosts, state.json, per-host overlays, the datadir template. */
export const LAB_DIR = "/var/lib/mmm-lab";
export const LAB_KEY = `${LAB_DIR}/id_ed25519`;
export const LAB_PUBLIC_KEY = `${LAB_KEY}.pub`;
export const LAB_KNOWN_HOSTS = `${LAB_DIR}/known_hosts`;
/** `ssh -F` file naming every host (monitor, db1..db4) for people. */
export const LAB_SSH_CONFIG = `${LAB_DIR}/ssh_config`;
export const LAB_STATE_FILE = `${LAB_DIR}/state.json`;
/** The fixed host init script, written on every up; values reach it as arguments. */
export const LAB_INIT_SCRIPT = `${LAB_DIR}/host-init.sh`;
/** hosts/<h>/{upper,work,root,mysql,init.log}: removed by `down`. */
export const LAB_HOSTS_DIR = `${LAB_DIR}/hosts`;
/** A pristine datadir made once by mariadb-install-db; `down` keeps it, `down --purge` removes it. */
export const LAB_CACHE_DIR = `${LAB_DIR}/cache`;
export const LAB_TEMPLATE_DATADIR = `${LAB_CACHE_DIR}/datadir`;

/** The switch and the controller's only foothold: holds bridge br0 and 192.168.77.254. */
export const SWITCH_NETNS = "mmm-lab";
export const BRIDGE = "br0";
export const LAB_PREFIX = 24;
export const LAB_NETWORK = "192.168.77.0";
export const SWITCH_ADDRESS = "192.168.77.254";
/** The interface every host has on the lab network (mmm_cluster_interface). */
export const HOST_INTERFACE = "eth0";

/**
 * The controller never gets an interface or route into the lab: ssh reaches hosts through
 * the switch namespace. `%h %p` are expanded by ssh (and by our transport).
 */
export const PROXY_COMMAND = `ip netns exec ${SWITCH_NETNS} nc %h %p`;

export const WRITER_VIP = "192.168.77.100";
export const READER_VIPS: readonly string[] = ["192.168.77.101", "192.168.77.102", "192.168.77.103", "192.168.77.104"];

/** The non-root account on every host (same key, passwordless sudo) for the transport's sudo path. */
export const LAB_SUDO_USER = "mmm";

export type LabHostKind = "monitor" | "db";

export interface LabHost {
  readonly name: string;
  readonly kind: LabHostKind;
  readonly address: string;
}

export const LAB_HOSTS: readonly LabHost[] = [
  { name: "monitor", kind: "monitor", address: "192.168.77.1" },
  { name: "db1", kind: "db", address: "192.168.77.2" },
  { name: "db2", kind: "db", address: "192.168.77.3" },
  { name: "db3", kind: "db", address: "192.168.77.4" },
  { name: "db4", kind: "db", address: "192.168.77.5" },
];

export const LAB_HOST_NAMES: readonly string[] = LAB_HOSTS.map((h) => h.name);

/** The host's own network namespace: `ip netns exec mmm-db1 ...`. */
export function hostNetns(host: string): string {
  return `mmm-${host}`;
}

/** The veth end on the switch: setting it down pulls the host's cable. */
export function bridgePort(host: string): string {
  return `v-${host}`;
}

export function hostDir(host: string): string {
  return `${LAB_HOSTS_DIR}/${host}`;
}
