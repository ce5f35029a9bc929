import { accessSync, constants } from "node:fs";
import { PlanError } from "../errors.js";
import { LAB_ENV } from "./run.js";

/**
 * Commands the lab runs, on the machine and (through the overlay, the same binaries) inside each
 * host, with the Debian package that ships each. `bash scripts/setup.sh` installs them all.
 */
export const REQUIRED_COMMANDS: Readonly<Record<string, string>> = {
  ip: "iproute2",
  nsenter: "util-linux",
  unshare: "util-linux",
  pivot_root: "util-linux",
  mountpoint: "util-linux",
  mount: "mount",
  umount: "mount",
  nc: "netcat-openbsd",
  "nc.openbsd": "netcat-openbsd",
  tini: "tini",
  sshd: "openssh-server",
  "ssh-keygen": "openssh-client",
  mariadbd: "mariadb-server",
  "mariadb-install-db": "mariadb-server",
  mariadb: "mariadb-client",
  "mariadb-admin": "mariadb-client",
  sudo: "sudo",
  useradd: "passwd",
  service: "init-system-helpers",
  pkill: "procps",
  pgrep: "procps",
  logger: "bsdutils",
};

/** Pure: the "missing" message for commands not found, or null when all are there. */
export function describeMissing(missing: readonly string[]): string | null {
  if (missing.length === 0) return null;
  const packages = [...new Set(missing.map((c) => REQUIRED_COMMANDS[c] ?? c))].sort();
  return (
    `the lab needs commands that are not installed: ${missing.join(", ")}` +
    ` (Debian packages: ${packages.join(" ")}); install them with \`bash scripts/setup.sh\`` +
    ` or \`apt-get install ${packages.join(" ")}\``
  );
}

function onPath(cmd: string): boolean {
  for (const dir of (LAB_ENV.PATH ?? "").split(":")) {
    try {
      accessSync(`${dir}/${cmd}`, constants.X_OK);
      return true;
    } catch {
      // try the next directory
    }
  }
  return false;
}

/** Throws a PlanError that says what to do when not root or a command is missing. */
export function checkPreflight(): void {
  if (process.getuid?.() !== 0) {
    throw new PlanError("the lab needs root (network namespaces, mounts): run `sudo mmm lab ...` or as root");
  }
  const missing = Object.keys(REQUIRED_COMMANDS).filter((c) => !onPath(c));
  const message = describeMissing(missing);
  if (message) throw new PlanError(message);
}
