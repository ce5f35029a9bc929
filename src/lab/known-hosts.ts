import {
  LAB_KEY,
  LAB_KNOWN_HOSTS,
  LAB_SSH_CONFIG,
  PROXY_COMMAND,
  type LabHost,
} from "./constants.js";

export interface HostKey {
  readonly type: string;
  readonly key: string;
}

/** An OpenSSH public key file ("ssh-ed25519 AAAA... root@db1") → type and base64 key. */
export function parseHostKey(pub: string): HostKey | null {
  const m = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp\d+)\s+([A-Za-z0-9+/]+={0,3})(\s|$)/.exec(pub.trim());
  return m && m[1] && m[2] ? { type: m[1], key: m[2] } : null;
}

/** One line per host, keyed by address (what ssh and our transport look up via the ProxyCommand). */
export function renderKnownHosts(entries: readonly { address: string; key: HostKey }[]): string {
  return entries.map((e) => `${e.address} ${e.key.type} ${e.key.key}\n`).join("");
}

/** For people: `ssh -F /var/lib/mmm-lab/ssh_config db1`. */
export function renderSshConfig(hosts: readonly LabHost[]): string {
  const lines = [
    `# Written by \`mmm lab up\`; use: ssh -F ${LAB_SSH_CONFIG} db1`,
    ...hosts.flatMap((h) => [`Host ${h.name}`, `  HostName ${h.address}`]),
    "Host *",
    "  User root",
    `  IdentityFile ${LAB_KEY}`,
    "  IdentitiesOnly yes",
    `  UserKnownHostsFile ${LAB_KNOWN_HOSTS}`,
    "  StrictHostKeyChecking yes",
    "  BatchMode yes",
    `  ProxyCommand ${PROXY_COMMAND}`,
  ];
  return `${lines.join("\n")}\n`;
}
