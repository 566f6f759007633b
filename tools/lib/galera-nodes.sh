# shellcheck shell=bash
# Where the test Galera cluster's nodes live and how to ask them things (tools/ensure-galera.sh,
# tools/stop-galera.sh). Run from the repository's root. CLIMATE_GALERA_DIR moves the data elsewhere.

galera_root() { echo "${CLIMATE_GALERA_DIR:-$PWD/var/galera}"; }
node_dir() { echo "$(galera_root)/node$1"; }
sql_port() { echo $((3310 + $1)); }
gcomm_port() { echo $((4570 + $1)); }
ist_port() { echo $((4580 + $1)); }
sst_port() { echo $((4590 + $1)); }

galera_provider() {
  local p
  for p in /usr/lib/galera/libgalera_smm.so /usr/lib/libgalera_smm.so; do
    if [ -f "$p" ]; then echo "$p"; return 0; fi
  done
  return 1
}

# The recorded PID when that process is still a mariadbd (a reused PID is not ours).
node_pid() {
  local file pid
  file="$(node_dir "$1")/process.pid"
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "mariadbd.*$(node_dir "$1")/my.cnf" || return 1
  echo "$pid"
}

node_alive() { node_pid "$1" > /dev/null; }

node_sql() {
  mariadb --protocol=socket -S "$(node_dir "$1")/mariadbd.sock" -uroot -N -B -e "$2"
}

node_state() {
  node_sql "$1" "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null | awk '{print $2}'
}
