#!/usr/bin/env bash
# Stops the mini OpenStack that tools/ensure-openstack.sh started, and Climate if `npm run cloud` started it:
# exactly the processes their pid files list (each the leader of its own session, so the group is signalled),
# skipping any PID now used by another process.
# Keeps the climate_os_* databases, the climate_os vhost and the state directory (the next start recreates them).
# --purge also drops those databases and the vhost, and removes the state directory.
# --climate-only stops only Climate's processes (those of `npm run cloud`), leaving the cloud running.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=openstack/common.sh
source "$(dirname "$0")/openstack/common.sh"

purge=false
case "${1:-}" in
  '') ;;
  --purge) purge=true ;;
  --climate-only) os_stop_recorded "$OS_CLIMATE_PIDS"; exit 0 ;;
  *) echo "usage: $0 [--purge | --climate-only]" >&2; exit 2 ;;
esac

os_stop_recorded "$OS_CLIMATE_PIDS"
if [[ -s "$OS_PIDS" ]]; then
  rm -f "$OS_READY"
  os_stop_recorded "$OS_PIDS"
  echo "stop-openstack: stopped" >&2
fi

if [[ "$purge" == true ]]; then
  sql=""
  for db in "${OS_DATABASES[@]}"; do sql+="DROP DATABASE IF EXISTS $OS_DB_PREFIX$db;"; done
  "${OS_MYSQL[@]}" -e "$sql"
  rabbitmqctl -q delete_vhost "$OS_VHOST" >/dev/null 2>&1 || true
  rm -rf "$OS_STATE"
  echo "stop-openstack: dropped the ${OS_DB_PREFIX}* databases and the $OS_VHOST vhost, removed the state directory" >&2
fi
