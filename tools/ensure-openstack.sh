#!/usr/bin/env bash
# Makes sure a small real OpenStack runs on this machine for Climate's end-to-end tests: Keystone, Placement,
# Glance (file store), Nova (API, conductor, scheduler with Climate's filter from src/nova_filter/, and three
# computes with the fake virt driver), Heat (API, engine), Neutron (API only: ML2 with the logger mechanism
# driver, no agents) and Cinder (API, scheduler, volume with the fake logging driver), all from Debian's
# python3-* packages (installed when missing), each a background process recorded in the pid file.
#
# Idempotent: when everything it started is alive, answering and was set up completely, it exits at once.
# Otherwise it stops what is left (tools/stop-openstack.sh), recreates its own databases (climate_os_*) and
# RabbitMQ vhost (climate_os), and starts everything again; that takes 1.5-3 minutes.
#
# usage: tools/ensure-openstack.sh [--reservation-url URL]
#   --reservation-url URL  also point the catalog's "reservation" service (Climate) at URL, e.g.
#                          http://127.0.0.1:1234/v1 (done on an already running cloud too).
# What the tests need (URLs, credentials) is written to cloud.json in the state directory
# (CLIMATE_OS_STATE, default var/openstack); the services' logs are in its log/ directory.
set -euo pipefail
TOOLS=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib/apt-install.sh
source "$TOOLS/lib/apt-install.sh"
# shellcheck source-path=SCRIPTDIR source=openstack/common.sh
source "$TOOLS/openstack/common.sh"

readonly HELPERS=$TOOLS/openstack
readonly PACKAGES=(python3-keystone python3-placement python3-glance python3-nova python3-heat python3-neutron
  python3-cinder python3-pymysql python3-openstacksdk python3-keystoneclient)
readonly MODULES='keystone, placement, glance, nova, heat, neutron, cinder, pymysql, openstack, keystoneclient'
readonly STARTED_AT=$SECONDS

reservation_url=''
while (($#)); do
  case "$1" in
    --reservation-url) reservation_url=${2:?--reservation-url needs a URL}; shift 2 ;;
    *) echo "usage: $0 [--reservation-url URL]" >&2; exit 2 ;;
  esac
done

say() { echo "ensure-openstack [$((SECONDS - STARTED_AT))s]: $*" >&2; }
fail() { echo "ensure-openstack: $*" >&2; exit 1; }

answering() { curl -s -o /dev/null --max-time 5 "$1"; }

readonly APIS=("$OS_KEYSTONE" "http://127.0.0.1:$OS_PORT_PLACEMENT" "http://127.0.0.1:$OS_PORT_COMPUTE"
  "http://127.0.0.1:$OS_PORT_IMAGE" "http://127.0.0.1:$OS_PORT_ORCHESTRATION" "http://127.0.0.1:$OS_PORT_NETWORK"
  "http://127.0.0.1:$OS_PORT_VOLUME")

# What the cloud was set up from: a cloud set up from other files (an older checkout) is set up again.
fingerprint() {
  cat "$TOOLS/ensure-openstack.sh" "$HELPERS"/*.sh "$HELPERS"/*.py "$HELPERS"/etc/* | sha1sum | cut -d' ' -f1
}

running() {
  [[ -f "$OS_READY" && -s "$OS_PIDS" && "$(cat "$OS_READY")" == "$(fingerprint)" ]] || return 1
  local pid name started url
  while read -r pid name started; do
    os_ours "$pid" "$started" || return 1
  done < "$OS_PIDS"
  for url in "${APIS[@]}"; do
    answering "$url" || return 1
  done
  # Its databases still there (the MariaDB server is shared).
  local databases
  databases=$("${OS_MYSQL[@]}" -N -e "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name LIKE '${OS_DB_PREFIX//_/\\_}%'") || return 1
  ((databases == ${#OS_DATABASES[@]}))
}

set_reservation_url() {
  [[ -n "$reservation_url" ]] || return 0
  "$OS_PYTHON" "$HELPERS/keystone_setup.py" --keystone "$OS_KEYSTONE" --region "$OS_REGION" \
    --admin-password "$OS_ADMIN_PASSWORD" --service-password "$OS_SERVICE_PASSWORD" \
    --reservation-url "$reservation_url" --reservation-only
  say "catalog: reservation -> $reservation_url"
}

if running; then
  set_reservation_url
  exit 0
fi

"$OS_PYTHON" -c "import $MODULES" >/dev/null 2>&1 || {
  apt_install ensure-openstack "${PACKAGES[@]}"
  "$OS_PYTHON" -c "import $MODULES" || fail "the packages are installed, but $OS_PYTHON still cannot import $MODULES."
}
command -v rabbitmqctl >/dev/null || fail "rabbitmqctl not found: the cloud needs the RabbitMQ server of this machine."
"${OS_MYSQL[@]}" -e 'SELECT 1' >/dev/null || fail "MariaDB does not answer on 127.0.0.1:3306 as root (tools/ensure-mariadb.sh)."

trap 'echo "ensure-openstack: failed (line $LINENO); logs in $OS_STATE/log; tools/stop-openstack.sh stops what started" >&2' ERR

bash "$TOOLS/stop-openstack.sh"
rm -rf "$OS_STATE"
mkdir -p "$OS_STATE"/{etc,log,keystone,nova/lock,heat/lock,neutron/lock} "$OS_STATE"/glance/{images,tasks,staging,lock} \
  "$OS_STATE"/cinder/{lock,volumes}
: > "$OS_PIDS"

# ---- configuration: the templates with this cloud's values --------------------------------------------------
render() {
  sed -e "s#@STATE@#$OS_STATE#g" -e "s#@DB@#$OS_DB_URL#g" -e "s#@RABBIT@#$OS_RABBIT_URL#g" \
    -e "s#@KEYSTONE@#$OS_KEYSTONE#g" -e "s#@KEYSTONE_ROOT@#$OS_KEYSTONE_ROOT#g" -e "s#@REGION@#$OS_REGION#g" \
    -e "s#@SERVICE_PASSWORD@#$OS_SERVICE_PASSWORD#g" -e "s#@PORT_IMAGE@#$OS_PORT_IMAGE#g" \
    -e "s#@PORT_ORCHESTRATION@#$OS_PORT_ORCHESTRATION#g" -e "s#@PORT_VOLUME@#$OS_PORT_VOLUME#g" "$@"
}
for template in "$HELPERS"/etc/*; do
  render "$template" > "$OS_STATE/etc/$(basename "$template")"
done
for i in $(seq 1 "$OS_COMPUTES"); do
  mkdir -p "$OS_STATE/compute-$i"/{instances,lock}
  sed "s#@HOST@#compute-$i#g" "$OS_STATE/etc/nova-compute.conf" > "$OS_STATE/etc/nova-compute-$i.conf"
done

# ---- how things run ------------------------------------------------------------------------------------------
# The python3-* packages have no /usr/bin entry points (those come with the service packages, which also bring
# init scripts, dbconfig-common and, for nova-compute, libvirt): run each program's main() from its module.
# usage: program NAME MODULE [ARG...]
program() {
  local name=$1 module=$2
  shift 2
  "$OS_PYTHON" -c "import sys; sys.argv[0] = '$name'; from $module import main; sys.exit(main())" "$@"
}
# A background service in its own session (stop-openstack.sh signals the group), logging to log/NAME.log,
# recorded as "PID NAME STARTTIME". usage: start NAME COMMAND [ARG...]
start() {
  local name=$1
  shift
  setsid "$@" > "$OS_STATE/log/$name.log" 2>&1 < /dev/null &
  echo "$! $name $(os_starttime $!)" >> "$OS_PIDS"
}
# usage: start_program NAME MODULE [ARG...] (a program() as a service)
start_program() {
  local name=$1 module=$2
  shift 2
  start "$name" "$OS_PYTHON" -c "import sys; sys.argv[0] = '$name'; from $module import main; sys.exit(main())" "$@"
}
wait_http() {
  local url=$1 tries=0
  until answering "$url"; do
    ((++tries < 900)) || fail "no answer from $url after 3 minutes; see $OS_STATE/log"
    sleep 0.2
  done
}
# Runs a set-up step in the background with its output in log/NAME.log. usage: step NAME FUNCTION
declare -A STEPS=()
step() {
  "$2" > "$OS_STATE/log/$1.log" 2>&1 &
  STEPS[$1]=$!
}
wait_step() {
  wait "${STEPS[$1]}" || { tail -n 30 "$OS_STATE/log/$1.log" >&2; fail "$1 failed; its log: $OS_STATE/log/$1.log"; }
}

readonly ETC=$OS_STATE/etc
readonly NOVA_CONTROLLER=(--config-file "$ETC/nova.conf" --config-file "$ETC/nova-db.conf")

# ---- the shared servers: our own databases and vhost only ------------------------------------------------------
sql=""
for db in "${OS_DATABASES[@]}"; do
  sql+="DROP DATABASE IF EXISTS $OS_DB_PREFIX$db; CREATE DATABASE $OS_DB_PREFIX$db CHARACTER SET utf8;"
done
"${OS_MYSQL[@]}" -e "$sql"
readonly VHOST_READY=$OS_STATE/vhost-ready
vhost() {
  rabbitmqctl -q delete_vhost "$OS_VHOST" 2>/dev/null || true
  rabbitmqctl -q add_vhost "$OS_VHOST"
  rabbitmqctl -q set_permissions -p "$OS_VHOST" guest '.*' '.*' '.*'
  touch "$VHOST_READY"
}
# For the steps below, which run in subshells (they cannot wait for a sibling).
wait_vhost() {
  local tries=0
  until [[ -f "$VHOST_READY" ]]; do
    ((++tries < 600)) || fail "the RabbitMQ vhost $OS_VHOST was not created; see $OS_STATE/log/rabbitmq-vhost.log"
    sleep 0.2
  done
}
step rabbitmq-vhost vhost
say "databases ${OS_DB_PREFIX}* created"

# ---- in parallel: each service's schema, then the service (those that need only their database and Keystone's
# URL: Keystone is asked only when requests come) ------------------------------------------------------------
placement() {
  program placement-manage placement.cmd.manage --config-file "$ETC/placement.conf" db sync
  OS_PLACEMENT_CONFIG_DIR=$ETC start placement "$OS_PYTHON" "$HELPERS/wsgi_serve.py" "$OS_PORT_PLACEMENT" \
    placement.wsgi:init_application
}
glance() {
  program glance-manage glance.cmd.manage --config-file "$ETC/glance-api.conf" db_sync
  start_program glance-api glance.cmd.api --config-file "$ETC/glance-api.conf"
}
heat() {
  program heat-manage heat.cmd.manage --config-file "$ETC/heat.conf" db_sync
  wait_vhost
  start_program heat-engine heat.cmd.engine --config-file "$ETC/heat.conf"
  start_program heat-api heat.cmd.api --config-file "$ETC/heat.conf"
}
nova() {
  program nova-manage nova.cmd.manage "${NOVA_CONTROLLER[@]}" api_db sync
  program nova-manage nova.cmd.manage "${NOVA_CONTROLLER[@]}" cell_v2 map_cell0 \
    --database_connection "${OS_DB_URL}nova_cell0?charset=utf8"
  program nova-manage nova.cmd.manage "${NOVA_CONTROLLER[@]}" cell_v2 create_cell --name cell1
  program nova-manage nova.cmd.manage "${NOVA_CONTROLLER[@]}" db sync
  wait_vhost
  OS_NOVA_CONFIG_DIR=$ETC OS_NOVA_CONFIG_FILES="nova-api-paste.ini;nova.conf;nova-db.conf" \
    start nova-api "$OS_PYTHON" "$HELPERS/wsgi_serve.py" "$OS_PORT_COMPUTE" nova.api.openstack.compute.wsgi:init_application
  start_program nova-conductor nova.cmd.conductor "${NOVA_CONTROLLER[@]}"
  # Climate's scheduler filter, straight from the source tree.
  PYTHONPATH=$OS_REPO/src/nova_filter start_program nova-scheduler nova.cmd.scheduler "${NOVA_CONTROLLER[@]}" \
    --config-file "$ETC/nova-scheduler.conf"
}
neutron() {
  program neutron-db-manage neutron.db.migration.cli "${NEUTRON_CONFIG[@]}" upgrade heads
  # neutron-api's application in one process (neutron-server would fork RPC workers no one needs here).
  OS_NEUTRON_CONFIG_DIR=$ETC OS_NEUTRON_CONFIG_FILES="neutron.conf;ml2_conf.ini" \
    start neutron-api "$OS_PYTHON" "$HELPERS/wsgi_serve.py" "$OS_PORT_NETWORK" neutron.cmd.eventlet.server:main_api_eventlet
}
cinder() {
  program cinder-manage cinder.cmd.manage --config-file "$ETC/cinder.conf" db sync
  wait_vhost
  start_program cinder-scheduler cinder.cmd.scheduler --config-file "$ETC/cinder.conf"
  start_program cinder-volume cinder.cmd.volume --config-file "$ETC/cinder.conf"
  start cinder-api "$OS_PYTHON" "$HELPERS/wsgi_serve.py" "$OS_PORT_VOLUME" cinder.wsgi.wsgi:initialize_application \
    --config-file "$ETC/cinder.conf"
}
readonly NEUTRON_CONFIG=(--config-file "$ETC/neutron.conf" --config-file "$ETC/ml2_conf.ini")
step placement placement
step glance glance
step heat heat
step nova nova
step neutron neutron
step cinder cinder

# ---- meanwhile Keystone -----------------------------------------------------------------------------------
keystone_manage() { program keystone-manage keystone.cmd.manage --config-file "$ETC/keystone.conf" "$@"; }
keystone_db() {
  keystone_manage db_sync
  # What keystone-manage fernet_setup and credential_setup do (key 0 staged, key 1 primary), without two
  # process starts of several seconds each.
  "$OS_PYTHON" -c "
import base64, os, sys
for directory in sys.argv[1:]:
    os.makedirs(directory, mode=0o700)
    for key in '01':
        with open(os.path.join(directory, key), 'wb') as f:
            f.write(base64.urlsafe_b64encode(os.urandom(32)))" "$OS_STATE/keystone/fernet-keys" "$OS_STATE/keystone/credential-keys"
  keystone_manage bootstrap --bootstrap-password "$OS_ADMIN_PASSWORD" --bootstrap-region-id "$OS_REGION" \
    --bootstrap-admin-url "$OS_KEYSTONE" --bootstrap-internal-url "$OS_KEYSTONE" --bootstrap-public-url "$OS_KEYSTONE"
}
step keystone-manage keystone_db
wait_step keystone-manage
OS_KEYSTONE_CONFIG_DIR=$ETC OS_KEYSTONE_CONFIG_FILES=keystone.conf \
  start keystone "$OS_PYTHON" "$HELPERS/wsgi_serve.py" "$OS_PORT_IDENTITY" keystone.server.wsgi:initialize_public_application
wait_http "$OS_KEYSTONE"
say "Keystone up"
reservation_args=()
[[ -n "$reservation_url" ]] && reservation_args=(--reservation-url "$reservation_url")
"$OS_PYTHON" "$HELPERS/keystone_setup.py" --keystone "$OS_KEYSTONE" --region "$OS_REGION" \
  --admin-password "$OS_ADMIN_PASSWORD" --service-password "$OS_SERVICE_PASSWORD" \
  --endpoint "placement=placement=http://127.0.0.1:$OS_PORT_PLACEMENT" \
  --endpoint "compute=nova=http://127.0.0.1:$OS_PORT_COMPUTE/v2.1" \
  --endpoint "image=glance=http://127.0.0.1:$OS_PORT_IMAGE" \
  --endpoint "orchestration=heat=http://127.0.0.1:$OS_PORT_ORCHESTRATION/v1/%(tenant_id)s" \
  --endpoint "network=neutron=http://127.0.0.1:$OS_PORT_NETWORK" \
  --endpoint "volumev3=cinderv3=http://127.0.0.1:$OS_PORT_VOLUME/v3/%(project_id)s" \
  --endpoint "block-storage=cinder=http://127.0.0.1:$OS_PORT_VOLUME/v3/%(project_id)s" \
  "${reservation_args[@]}" > "$OS_STATE/log/keystone-setup.log" 2>&1 \
  || fail "Keystone users and catalog failed; see $OS_STATE/log/keystone-setup.log"
say "Keystone users and catalog ready"

# ---- the computes: they register with Placement at start, so after Keystone's catalog and Placement ------
wait_step placement
wait_step nova
wait_http "http://127.0.0.1:$OS_PORT_PLACEMENT"
for i in $(seq 1 "$OS_COMPUTES"); do
  start_program "nova-compute-$i" nova.cmd.compute --config-file "$ETC/nova.conf" --config-file "$ETC/nova-compute-$i.conf"
done
wait_step glance
wait_step heat
wait_step neutron
wait_step cinder
for url in "${APIS[@]}"; do
  wait_http "$url"
done
say "every API answers"

# nova-scheduler maps new computes to cell1 every 5 s ([scheduler] discover_hosts_in_cells_interval).
tries=0
until (($("${OS_MYSQL[@]}" -N -e "SELECT COUNT(*) FROM ${OS_DB_PREFIX}nova_api.host_mappings") >= OS_COMPUTES)); do
  ((++tries < 360)) || fail "the computes were not mapped to cell1 within 3 minutes; see $OS_STATE/log/nova-*.log"
  sleep 0.5
done
say "computes registered"

"$OS_PYTHON" "$HELPERS/seed.py" "$OS_KEYSTONE" "$OS_REGION" "$OS_ADMIN_PASSWORD" > "$OS_STATE/log/seed.log" 2>&1 \
  || fail "seeding the image, flavor, freepool and external network failed; see $OS_STATE/log/seed.log"

computes=$(seq -f '"compute-%g"' -s , 1 "$OS_COMPUTES")
cat > "$OS_CLOUD_JSON" <<JSON
{
  "auth_url": "$OS_KEYSTONE",
  "region": "$OS_REGION",
  "admin": {"username": "admin", "password": "$OS_ADMIN_PASSWORD", "project": "admin"},
  "climate": {"username": "climate", "password": "$OS_SERVICE_PASSWORD", "project": "service"},
  "demo": {"username": "demo", "password": "demo", "project": "demo"},
  "alt_demo": {"username": "alt_demo", "password": "alt_demo", "project": "alt_demo"},
  "endpoints": {
    "identity": "$OS_KEYSTONE",
    "placement": "http://127.0.0.1:$OS_PORT_PLACEMENT",
    "compute": "http://127.0.0.1:$OS_PORT_COMPUTE/v2.1",
    "image": "http://127.0.0.1:$OS_PORT_IMAGE",
    "orchestration": "http://127.0.0.1:$OS_PORT_ORCHESTRATION/v1",
    "network": "http://127.0.0.1:$OS_PORT_NETWORK",
    "volume": "http://127.0.0.1:$OS_PORT_VOLUME/v3"
  },
  "computes": [$computes],
  "image": "fake-image",
  "flavor": "m1.tiny",
  "freepool": "freepool",
  "external_network": "public",
  "volume_pool": "controller@fake#fake",
  "logs": "$OS_STATE/log"
}
JSON
cat > "$OS_STATE/openrc" <<RC
# . openrc: the admin's credentials for the openstack CLI (Debian's, in /usr/bin).
export OS_AUTH_URL=$OS_KEYSTONE OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=$OS_REGION
export OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default
export OS_USERNAME=admin OS_PASSWORD=$OS_ADMIN_PASSWORD OS_PROJECT_NAME=admin
RC
fingerprint > "$OS_READY"
say "up: $OS_CLOUD_JSON"
