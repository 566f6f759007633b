#!/usr/bin/env bash
# Stops or starts one fake nova-compute of the mini cloud (as a crashed and a repaired compute host), e.g. for
# host healing: its service goes "down" in Nova after [DEFAULT] service_down_time (30 s here).
#
# usage: tools/openstack/compute.sh stop|start compute-N
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=common.sh
source "$(dirname "$0")/common.sh"

action=${1:-}
name=${2:-}
[[ "$action" =~ ^(stop|start)$ && "$name" =~ ^compute-[0-9]+$ && -f "$OS_STATE/etc/nova-$name.conf" ]] \
  || { echo "usage: $0 stop|start compute-N (a compute of the running cloud)" >&2; exit 2; }
service=nova-$name

# Its line in the pid file goes to a file of its own, so that os_stop_recorded stops just that process.
mine=$(mktemp)
trap 'rm -f "$mine"' EXIT
grep " $service " "$OS_PIDS" > "$mine" || true
grep -v " $service " "$OS_PIDS" > "$OS_PIDS.new" || true
mv "$OS_PIDS.new" "$OS_PIDS"
os_stop_recorded "$mine"
[[ "$action" == stop ]] && exit 0

setsid "$OS_PYTHON" -c "import sys; sys.argv[0] = '$service'; from nova.cmd.compute import main; sys.exit(main())" \
  --config-file "$OS_STATE/etc/nova.conf" --config-file "$OS_STATE/etc/nova-$name.conf" \
  >> "$OS_STATE/log/$service.log" 2>&1 < /dev/null &
echo "$! $service $(os_starttime $!)" >> "$OS_PIDS"
