#!/usr/bin/env bash
# Makes sure a 3-node MariaDB Galera cluster runs on this machine for the tests: three `mariadbd` processes
# from Debian's mariadb-server (galera-4 comes with it), data under var/galera/node{1,2,3}, SQL on
# 127.0.0.1:3311-3313 (root, no password), group communication on 4571-4573, IST on 4581-4583, rsync SST on
# 4591-4593. Idempotent: nodes already up are left alone, missing ones are started and join the others (IST
# when their data is recent, SST otherwise); with none up, node 1 bootstraps a new cluster
# (--wsrep-new-cluster). PIDs are recorded in var/galera/nodeN/process.pid; tools/stop-galera.sh stops them.
# It never touches the MariaDB server on 3306. Fails loudly (exit 1) when the cluster does not come up.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR source=lib/apt-install.sh
source tools/lib/apt-install.sh
# shellcheck source-path=SCRIPTDIR source=lib/galera-nodes.sh
source tools/lib/galera-nodes.sh

if [ ! -x /usr/sbin/mariadbd ] || ! galera_provider >/dev/null; then
  apt_install ensure-galera mariadb-server mariadb-client galera-4 rsync
fi
provider=$(galera_provider)
# The server runs as mysql when started by root: the rsync daemon of a state transfer runs as the server's
# user, and one running as root would switch to `nobody` and could not write the joiner's data directory.
owner=$(id -un)
if [ "$owner" = root ]; then owner=mysql; fi

write_config() {
  local n=$1 dir
  dir=$(node_dir "$n")
  mkdir -p "$dir/data"
  chown "$owner" "$dir" "$dir/data"
  cat > "$dir/my.cnf" <<EOF
[mariadbd]
datadir=$dir/data
socket=$dir/mariadbd.sock
pid-file=$dir/mariadbd.pid
log-error=$dir/error.log
port=$(sql_port "$n")
bind-address=127.0.0.1
user=$owner
skip-name-resolve
skip-log-bin
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
innodb_buffer_pool_size=96M
innodb_log_file_size=48M
innodb_flush_log_at_trx_commit=2
max_connections=300
character-set-server=utf8mb4
wsrep_on=ON
wsrep_provider=$provider
wsrep_cluster_name=climate-test
wsrep_cluster_address=gcomm://127.0.0.1:$(gcomm_port 1),127.0.0.1:$(gcomm_port 2),127.0.0.1:$(gcomm_port 3)
wsrep_node_name=node$n
wsrep_node_address=127.0.0.1
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:$(gcomm_port "$n");ist.recv_addr=127.0.0.1:$(ist_port "$n");gcache.size=128M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S;evs.install_timeout=PT6S"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:$(sst_port "$n")
wsrep_slave_threads=2
EOF
}

# Data directory with the system tables, made once per node (a joiner's is replaced by the donor's at SST).
init_datadir() {
  local dir
  dir=$(node_dir "$1")
  [ -d "$dir/data/mysql" ] && return 0
  mariadb-install-db --no-defaults --datadir="$dir/data" --user="$owner" --auth-root-authentication-method=normal \
    --skip-test-db > "$dir/install.log" 2>&1
}

# After a crash grastate.dat says seqno -1: the node's position is read back from InnoDB (as the packages'
# galera_recovery does), so that it rejoins with an incremental transfer (IST) instead of a full copy (SST).
recovered_position() {
  local dir log
  dir=$(node_dir "$1")
  grep -q '^seqno: *-1' "$dir/data/grastate.dat" 2>/dev/null || return 0
  log="$dir/recover.log"
  rm -f "$log"
  /usr/sbin/mariadbd --defaults-file="$dir/my.cnf" --wsrep-recover --log-error="$log" > /dev/null 2>&1 || return 0
  sed -n 's/.*WSREP: Recovered position: *//p' "$log" | tail -n 1
}

# The ports are fixed: a cluster of another checkout (or anything else) holding them is named, not fought with.
port_taken() { (echo > "/dev/tcp/127.0.0.1/$1") 2> /dev/null; }

start_node() {
  local n=$1 bootstrap=$2 dir port
  dir=$(node_dir "$n")
  for port in "$(sql_port "$n")" "$(gcomm_port "$n")"; do
    if port_taken "$port"; then
      echo "ensure-galera: port $port of node $n is in use by another process (another checkout's cluster? stop it with its tools/stop-galera.sh)" >&2
      exit 1
    fi
  done
  write_config "$n"
  init_datadir "$n"
  local args=(--defaults-file="$dir/my.cnf")
  if [ "$bootstrap" = yes ]; then
    # The node that bootstraps must be allowed to, whatever the last shutdown left in grastate.dat.
    [ -f "$dir/data/grastate.dat" ] && sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$dir/data/grastate.dat"
    args+=(--wsrep-new-cluster)
  fi
  local position
  position=$(recovered_position "$n")
  if [ -n "$position" ]; then
    echo "ensure-galera: node $n recovered its position $position" >&2
    args+=(--wsrep-start-position="$position")
  fi
  local how='joining the cluster'
  [ "$bootstrap" = yes ] && how='bootstrapping a new cluster'
  echo "ensure-galera: starting node $n, $how" >&2
  setsid /usr/sbin/mariadbd "${args[@]}" < /dev/null > "$dir/stdout.log" 2>&1 &
  echo $! > "$dir/process.pid"
}

# Waits until the node answers and is Synced with the cluster (an SST can take a while on a busy machine).
wait_synced() {
  local n=$1
  for _ in $(seq 1 240); do
    if [ "$(node_state "$n")" = Synced ]; then return 0; fi
    if ! node_alive "$n"; then
      echo "ensure-galera: node $n exited; its log:" >&2
      tail -n 30 "$(node_dir "$n")/error.log" >&2 || true
      return 1
    fi
    sleep 0.5
  done
  echo "ensure-galera: node $n is not Synced after 120 s; its log:" >&2
  tail -n 30 "$(node_dir "$n")/error.log" >&2 || true
  return 1
}

mkdir -p "$(galera_root)"
any_up=no
for n in 1 2 3; do
  if node_alive "$n"; then any_up=yes; fi
done

started=()
for n in 1 2 3; do
  node_alive "$n" && continue
  if [ "$any_up" = no ]; then
    start_node "$n" yes
    any_up=yes
  else
    start_node "$n" no
  fi
  started+=("$n")
  # One at a time: two joiners asking for a state transfer at once would queue on the same donor anyway.
  wait_synced "$n"
done
for n in 1 2 3; do wait_synced "$n"; done

# root over TCP without password, as the tests connect (the grant replicates to every node).
if [ "${#started[@]}" -gt 0 ]; then
  node_sql 1 "CREATE USER IF NOT EXISTS 'root'@'127.0.0.1'; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;"
fi
size=$(node_sql 1 "SHOW STATUS LIKE 'wsrep_cluster_size'" | awk '{print $2}')
if [ "$size" != 3 ]; then
  echo "ensure-galera: the cluster has $size node(s), 3 expected" >&2
  exit 1
fi
for n in 1 2 3; do
  mariadb-admin --protocol=tcp -h 127.0.0.1 -P "$(sql_port "$n")" -uroot ping > /dev/null
done
