#!/usr/bin/env bash
# Installs everything mmm's demo and tests need on a Debian/Ubuntu machine (root), then builds.
# Safe to re-run: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  mariadb-server mariadb-client   # the lab's database servers
  openssh-server openssh-client   # each lab host runs its own sshd
  iproute2 arping chrony          # VIPs, gratuitous ARP, time
  netcat-openbsd                  # the lab's ProxyCommand into its namespace
  tini sudo procps psmisc util-linux patch iputils-ping
  ansible-core                    # ansible-inventory proves our inventories are valid Ansible
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "setup: these Debian packages are missing and installing them needs root: ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}"
  # Packages must not start their services on this machine: the lab runs its own copies
  # inside namespaces, and a chronyd started here could adjust the machine's clock.
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    made_policy=1
  fi
  trap '[ "$made_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages"
  # Not `npm ci`: npm 11 leaves other platforms' optional packages (rollup's) out of the lock file
  # and then refuses it as out of sync. `npm install` installs the locked versions all the same.
  npm install --no-audit --no-fund --loglevel=error
fi

npm run --silent build
