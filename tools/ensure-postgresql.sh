#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers for the tests: user postgres without a password (trust) on
# 127.0.0.1:5432, or the server CLIMATE_TEST_POSTGRES names (postgresql://user@host:port). Starts an installed
# Debian cluster that is down. Under CI=true a server that does not answer fails the run: tests never skip a
# missing database; elsewhere it warns loudly (the PostgreSQL tests will then fail, each saying why).
set -euo pipefail

base=${CLIMATE_TEST_POSTGRES:-postgresql://postgres@127.0.0.1:5432}

ping_db() { psql "$base/postgres" -X -q -t -c 'SELECT 1' >/dev/null 2>&1; }

if ! command -v psql >/dev/null 2>&1; then
  # shellcheck source-path=SCRIPTDIR source=lib/apt-install.sh
  source "$(dirname "$0")/lib/apt-install.sh"
  apt_install ensure-postgresql postgresql-client
fi
if ping_db; then exit 0; fi
if command -v pg_lsclusters >/dev/null 2>&1; then
  # A Debian cluster that is installed but down (after a reboot of a machine without systemd).
  while read -r version cluster _; do
    echo "ensure-postgresql: starting cluster $version/$cluster" >&2
    pg_ctlcluster "$version" "$cluster" start >&2 || true
  done < <(pg_lsclusters --no-header 2>/dev/null | awk '$4 != "online"')
  for _ in $(seq 1 60); do
    if ping_db; then exit 0; fi
    sleep 0.5
  done
fi
echo "ensure-postgresql: PostgreSQL does not answer at $base (user postgres with trust authentication is expected;" \
  "set CLIMATE_TEST_POSTGRES=postgresql://user@host:port to use another server)" >&2
if [[ "${CI:-}" == "true" ]]; then exit 1; fi
echo "ensure-postgresql: not under CI: going on, but every test on PostgreSQL will fail" >&2
