#!/usr/bin/env bash
# Stops the mini OpenStack that tools/ensure-openstack.sh started: exactly the processes its pid file lists
# (each the leader of its own session, so the group is signalled), skipping any PID now used by another process.
# Keeps the climate_os_* databases, the climate_os vhost and the state directory (the next start recreates them).
# --purge also drops those databases and the vhost, and removes the state directory.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=openstack/common.sh
source "$(dirname "$0")/openstack/common.sh"

purge=false
case "${1:-}" in
  '') ;;
  --purge) purge=true ;;
  *) echo "usage: $0 [--purge]" >&2; exit 2 ;;
esac

signal_all() {
  local signal=$1 pid name started
  while read -r pid name started; do
    if os_ours "$pid" "$started"; then
      [[ "$signal" == KILL ]] && echo "stop-openstack: $name ($pid) did not stop in time: SIGKILL" >&2
      kill "-$signal" -- "-$pid" 2>/dev/null || kill "-$signal" "$pid" 2>/dev/null || true
    fi
  done < "$OS_PIDS"
}

any_alive() {
  local pid name started
  while read -r pid name started; do
    os_ours "$pid" "$started" && return 0
  done < "$OS_PIDS"
  return 1
}

if [[ -s "$OS_PIDS" ]]; then
  rm -f "$OS_READY"
  signal_all TERM
  # The services exit within their graceful_shutdown_timeout (5 s).
  for _ in $(seq 1 100); do
    any_alive || break
    sleep 0.2
  done
  signal_all KILL
  : > "$OS_PIDS"
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
