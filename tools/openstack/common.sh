# shellcheck shell=bash
# shellcheck disable=SC2034  # the constants are used by the scripts that source this file
# What tools/ensure-openstack.sh and tools/stop-openstack.sh share: where the mini cloud lives, its ports,
# databases and vhost, and the record of the processes it started.
#
# CLIMATE_OS_STATE: the state directory (configuration, logs, keys, images, the pid file, cloud.json);
# default var/openstack in the repository. Everything the cloud stores in MariaDB is in the databases named
# climate_os_*, and in RabbitMQ in the vhost climate_os: nothing else on those servers is touched.

OS_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly OS_REPO
readonly OS_STATE=${CLIMATE_OS_STATE:-$OS_REPO/var/openstack}
readonly OS_PIDS=$OS_STATE/pids
# Climate's own processes when `npm run cloud` (tools/cloud.sh) started them.
readonly OS_CLIMATE_PIDS=$OS_STATE/climate-pids
# Written last by a successful start: the cloud is complete (processes alone are not).
readonly OS_READY=$OS_STATE/ready
readonly OS_CLOUD_JSON=$OS_STATE/cloud.json
# Debian's python3-* packages live in /usr/lib/python3/dist-packages: another python3 on PATH (pyenv, a
# virtualenv) does not see them.
readonly OS_PYTHON=/usr/bin/python3
readonly OS_COMPUTES=3
readonly OS_REGION=RegionOne
readonly OS_ADMIN_PASSWORD=admin
readonly OS_SERVICE_PASSWORD=secret
readonly OS_DB_PREFIX=climate_os_
readonly OS_DATABASES=(keystone placement glance nova_api nova nova_cell0 heat neutron cinder)
readonly OS_VHOST=climate_os
readonly OS_MYSQL=(mysql --protocol=tcp -h127.0.0.1 -P3306 -uroot)
readonly OS_DB_URL=mysql+pymysql://root@127.0.0.1:3306/$OS_DB_PREFIX
readonly OS_RABBIT_URL=rabbit://guest:guest@127.0.0.1:5672/$OS_VHOST

readonly OS_PORT_IDENTITY=35000
readonly OS_PORT_PLACEMENT=38778
readonly OS_PORT_COMPUTE=38774
readonly OS_PORT_IMAGE=39292
readonly OS_PORT_ORCHESTRATION=38004
readonly OS_PORT_NETWORK=39696
readonly OS_PORT_VOLUME=38776
readonly OS_KEYSTONE_ROOT=http://127.0.0.1:$OS_PORT_IDENTITY
readonly OS_KEYSTONE=$OS_KEYSTONE_ROOT/v3

# The start time of a process (clock ticks after boot): with its PID, it tells our process from a later one
# that got the same PID.
os_starttime() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
  stat=${stat##*) }
  # shellcheck disable=SC2086  # split the fields on purpose
  set -- $stat
  echo "${20}"
}

# os_ours PID STARTTIME: the process recorded in the pid file is still alive.
os_ours() {
  [[ -n "$2" && "$(os_starttime "$1")" == "$2" ]]
}

# os_stop_recorded FILE: stops the processes a pid file lists ("PID NAME STARTTIME" lines, each the leader of its
# own session, so the group is signalled): SIGTERM, then SIGKILL after 20 s; a PID now used by another process is
# left alone. Empties the file.
os_stop_recorded() {
  local file=$1 pid name started
  [[ -s "$file" ]] || return 0
  while read -r pid name started; do
    os_ours "$pid" "$started" && { kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; }
  done < "$file"
  # The services exit within their graceful_shutdown_timeout (5 s).
  local _
  for _ in $(seq 1 100); do
    local alive=false
    while read -r pid name started; do
      os_ours "$pid" "$started" && alive=true
    done < "$file"
    [[ "$alive" == true ]] || break
    sleep 0.2
  done
  while read -r pid name started; do
    if os_ours "$pid" "$started"; then
      echo "stop-openstack: $name ($pid) did not stop in time: SIGKILL" >&2
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  done < "$file"
  : > "$file"
}
