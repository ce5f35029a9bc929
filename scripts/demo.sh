#!/usr/bin/env bash
# `npm run demo`: installs what mmm needs, brings up the local lab (five bare hosts), checks the
# inventory, gathers facts, bootstraps the tutorial's cluster, then proves replication: a row
# written on db1 must reach db2, db3 and db4. Ends with how long each step took. Needs root.
# Leaves the lab up; `node dist/bin/mmm.js lab down` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "demo: needs root (the lab uses network, mount and PID namespaces): run it as root or with sudo" >&2
  exit 1
fi

INVENTORY=inventories/lab.yml
REPLICAS=(db2 db3 db4)
WAIT_SECONDS=10

mmm() { node dist/bin/mmm.js "$@"; }

# Microseconds since the epoch; EPOCHREALTIME's decimal separator follows the locale, so drop it.
now_us() { local t=${EPOCHREALTIME}; echo "${t//[!0-9]/}"; }
seconds_since() { awk -v a="$1" -v b="$(now_us)" 'BEGIN { printf "%.1f", (b - a) / 1e6 }'; }

step_names=()
step_times=()

summary() {
  echo
  echo "== summary"
  local i width=0
  for i in "${!step_names[@]}"; do
    [ ${#step_names[$i]} -gt "$width" ] && width=${#step_names[$i]}
  done
  for i in "${!step_names[@]}"; do
    printf '  %-*s %6s s\n' "$width" "${step_names[$i]}" "${step_times[$i]}"
  done
}

# step NAME CMD...: runs CMD under a heading, records its duration; on failure prints the
# summary so far and exits with CMD's status.
step() {
  local name=$1
  shift
  echo
  echo "== $name"
  local t0 rc=0
  t0=$(now_us)
  "$@" || rc=$?
  step_names+=("$name")
  step_times+=("$(seconds_since "$t0")")
  if [ "$rc" != 0 ]; then
    summary
    echo
    echo "demo: '$name' failed (exit $rc); the lab is left as it is for inspection" >&2
    exit "$rc"
  fi
}

# The runtime that makes a writer writable does not exist yet, so every server is read_only=ON.
# As in the tutorial (which creates its test table on db1 before starting MMM), the demo writes on
# db1 as root over the local socket: root's ALL PRIVILEGES include READ_ONLY ADMIN.
MARKER="demo-$(date -u +%Y%m%dT%H%M%SZ)-$$"
write_marker() {
  echo "writing marker $MARKER on db1 (table mmm_demo.markers)"
  mmm lab exec db1 -- mariadb -e "
    CREATE DATABASE IF NOT EXISTS mmm_demo;
    CREATE TABLE IF NOT EXISTS mmm_demo.markers (
      id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,
      marker VARCHAR(64) NOT NULL UNIQUE,
      written_on VARCHAR(64) NOT NULL,
      written_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
    );
    INSERT INTO mmm_demo.markers (marker, written_on) VALUES ('$MARKER', @@hostname);"
}

# Watches HOST for the marker from inside it, polling every 50 ms, and prints the host clock (ns)
# when the row is there, or nothing after WAIT_SECONDS. The lab's hosts share one clock, so the
# time is comparable with the insert's.
watch_marker() {
  mmm lab exec "$1" -- sh -c "
    end=\$((\$(date +%s) + $WAIT_SECONDS))
    while [ \$(date +%s) -lt \$end ]; do
      n=\$(mariadb -N -B -e \"SELECT COUNT(*) FROM mmm_demo.markers WHERE marker = '$MARKER'\" 2>/dev/null)
      [ \"\$n\" = 1 ] && { date +%s%N; exit 0; }
      sleep 0.05
    done" 2>/dev/null || true
}

missing=()
watch_dir=$(mktemp -d)
trap 'rm -rf "$watch_dir"' EXIT
start_watchers() {
  local host
  for host in "${REPLICAS[@]}"; do
    watch_marker "$host" > "$watch_dir/$host" &
  done
}

check_replicas() {
  local written_ns=$1 host seen_ns
  wait
  for host in "${REPLICAS[@]}"; do
    seen_ns=$(tr -d '[:space:]' < "$watch_dir/$host")
    if [ -n "$seen_ns" ]; then
      echo "  $host: there, $(( (seen_ns - written_ns) / 1000000 )) ms after the insert (polled every 50 ms)"
    else
      echo "  $host: row NOT there after ${WAIT_SECONDS} s"
      mmm lab exec "$host" -- mariadb -e "SHOW SLAVE STATUS\G" 2>&1 |
        grep -E 'Master_Host|Slave_(IO|SQL)_Running:|Last_(IO|SQL)_Error:|Seconds_Behind' | sed 's/^/      /' || true
      missing+=("$host")
    fi
  done
}

write_failed=0
replication_check() {
  # The table must exist before the watchers poll it; the marker row is what they wait for.
  mmm lab exec db1 -- mariadb -e "CREATE DATABASE IF NOT EXISTS mmm_demo" || { write_failed=1; return 1; }
  start_watchers
  sleep 1
  write_marker || { write_failed=1; return 1; }
  # The insert's own time on db1 (its TIMESTAMP(6) column), not this script's.
  local written_ns
  written_ns=$(mmm lab exec db1 -- mariadb -N -B -e \
    "SELECT CAST(UNIX_TIMESTAMP(written_at) * 1000000 AS UNSIGNED) * 1000 FROM mmm_demo.markers WHERE marker = '$MARKER'" | tr -d '[:space:]')
  echo "watching for it on ${REPLICAS[*]} at once (up to ${WAIT_SECONDS} s):"
  check_replicas "$written_ns"
  [ ${#missing[@]} -eq 0 ]
}

step "setup (apt, npm ci, build)" bash scripts/setup.sh
step "mmm lab up" mmm lab up
step "mmm inventory check $INVENTORY" mmm inventory check "$INVENTORY"
step "mmm facts $INVENTORY" mmm facts "$INVENTORY"
step "mmm bootstrap $INVENTORY" mmm bootstrap "$INVENTORY"

# Not through step(): a missing row must still print the summary and the verdict below.
echo
echo "== replication check: db1 -> ${REPLICAS[*]}"
t0=$(now_us)
rc=0
replication_check || rc=$?
step_names+=("replication check")
step_times+=("$(seconds_since "$t0")")

summary
echo
if [ "$rc" = 0 ]; then
  echo "replication: marker $MARKER written on db1 is on ${REPLICAS[*]}"
elif [ "$write_failed" = 1 ]; then
  echo "replication: FAILED: could not write the marker on db1 (see the error above)" >&2
else
  echo "replication: FAILED: marker $MARKER did not reach ${missing[*]} within ${WAIT_SECONDS} s (see above)" >&2
fi
cat <<EOF

The lab is still up. Try:
  ssh -F /var/lib/mmm-lab/ssh_config db3
  node dist/bin/mmm.js lab exec db4 -- mariadb -e 'SELECT * FROM mmm_demo.markers'
  node dist/bin/mmm.js bootstrap $INVENTORY      # again: changed=0 everywhere
Take it down with:
  node dist/bin/mmm.js lab down
EOF
exit "$rc"
