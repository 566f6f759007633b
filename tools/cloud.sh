#!/usr/bin/env bash
# `npm run cloud`: the mini OpenStack of tools/ensure-openstack.sh plus Climate itself (climate-api and
# climate-manager from this checkout, [compute] driver = nova, auth_strategy = keystone, registered in the
# catalog as the "reservation" service), to try Climate with the `openstack` CLI on one machine.
#
# Writes, in the state directory (CLIMATE_OS_STATE, default var/openstack):
#   clouds.yaml            clouds "climate-admin" and "climate-demo" (OS_CLIENT_CONFIG_FILE points at it)
#   openrc, openrc.demo    the same as environment variables, for `. openrc`
#   climate/climate.conf   Climate's configuration (its database: climate/climate.sqlite; logs: log/climate-*.log)
# and prints how to use them. Stop everything with `npm run cloud:stop` (tools/stop-openstack.sh).
#
# usage: tools/cloud.sh [--port PORT]   (Climate's API port; default 1234)
set -euo pipefail
TOOLS=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=openstack/common.sh
source "$TOOLS/openstack/common.sh"

port=1234
while (($#)); do
  case "$1" in
    --port) port=${2:?--port needs a number}; shift 2 ;;
    *) echo "usage: $0 [--port PORT]" >&2; exit 2 ;;
  esac
done
readonly STARTED_AT=$SECONDS CLIMATE_URL=http://127.0.0.1:$port
say() { echo "cloud [$((SECONDS - STARTED_AT))s]: $*" >&2; }
fail() { echo "cloud: $*" >&2; exit 1; }

# Climate first (its build takes a while) while nothing else is asked of the machine, then the cloud.
cd "$OS_REPO"
if [[ ! -f dist/src/cli/climate-api.js || -n "$(find src -newer dist/src/cli/climate-api.js -print -quit)" ]]; then
  say "building Climate"
  npm run build --silent
fi
bash "$TOOLS/ensure-openstack.sh" --reservation-url "$CLIMATE_URL/v1"

readonly DIR=$OS_STATE/climate
mkdir -p "$DIR"
# Climate's processes of an earlier `npm run cloud` (the cloud's own ones are up, as ensure-openstack.sh found them).
os_stop_recorded "$OS_CLIMATE_PIDS"
cat > "$DIR/climate.conf" <<CONF
[DEFAULT]
host = 127.0.0.1
port = $port
auth_strategy = keystone
[database]
connection = sqlite:///$DIR/climate.sqlite
[manager]
plugins = physical:host,virtual:instance,flavor:instance,virtual:stack,virtual:floatingip,virtual:volume
[compute]
driver = nova
[keystone_authtoken]
auth_url = $OS_KEYSTONE
username = climate
password = $OS_SERVICE_PASSWORD
project_name = service
[nova]
aggregate_freepool_name = freepool
healing_interval = 30
CONF

node dist/src/cli/climate-manage.js --config-file "$DIR/climate.conf" db upgrade > "$OS_STATE/log/climate-manage.log" 2>&1 \
  || fail "climate-manage db upgrade failed; see $OS_STATE/log/climate-manage.log"
for program in climate-api climate-manager; do
  setsid node "dist/src/cli/$program.js" --config-file "$DIR/climate.conf" > "$OS_STATE/log/$program.log" 2>&1 < /dev/null &
  echo "$! $program $(os_starttime $!)" >> "$OS_CLIMATE_PIDS"
done
tries=0
until curl -s -o /dev/null --max-time 5 "$CLIMATE_URL/"; do
  ((++tries < 300)) || fail "Climate's API does not answer on $CLIMATE_URL; see $OS_STATE/log/climate-api.log"
  sleep 0.2
done

cloud_entry() { # NAME USER PASSWORD PROJECT
  cat <<YAML
  $1:
    auth:
      auth_url: $OS_KEYSTONE
      username: $2
      password: $3
      project_name: $4
      user_domain_name: Default
      project_domain_name: Default
    region_name: $OS_REGION
    identity_api_version: 3
YAML
}
{
  echo "clouds:"
  cloud_entry climate-admin admin "$OS_ADMIN_PASSWORD" admin
  cloud_entry climate-demo demo demo demo
} > "$OS_STATE/clouds.yaml"
sed -e 's/OS_USERNAME=admin/OS_USERNAME=demo/' -e "s/OS_PASSWORD=$OS_ADMIN_PASSWORD/OS_PASSWORD=demo/" \
  -e 's/OS_PROJECT_NAME=admin/OS_PROJECT_NAME=demo/' -e "s/the admin's credentials/the demo user's credentials/" \
  "$OS_STATE/openrc" > "$OS_STATE/openrc.demo"

say "Climate answers on $CLIMATE_URL (catalog service \"reservation\")"
cat <<USAGE
Climate and a mini OpenStack are running (Keystone $OS_KEYSTONE, region $OS_REGION; computes compute-1..$OS_COMPUTES).
Use them with the openstack CLI and Climate's plugin (tools/ensure-osc-plugin.sh installs it):

  export OS_CLIENT_CONFIG_FILE=$OS_STATE/clouds.yaml
  openstack --os-cloud climate-admin reservation host create compute-1
  openstack --os-cloud climate-demo reservation lease create --reservation resource_type=physical:host,min=1,max=1 \\
    --start-date "\$(date -u -d '+1 min' '+%Y-%m-%d %H:%M')" --end-date "\$(date -u -d '+1 hour' '+%Y-%m-%d %H:%M')" my-lease
  openstack --os-cloud climate-demo reservation lease list

or: . $OS_STATE/openrc (admin) / . $OS_STATE/openrc.demo (demo). Logs: $OS_STATE/log/
Stop it all: npm run cloud:stop
USAGE
