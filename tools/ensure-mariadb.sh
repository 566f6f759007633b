#!/usr/bin/env bash
# Makes sure a MariaDB server answers on 127.0.0.1:3306 for the tests (root, no password), starting or
# installing it when needed. Fails loudly: tests never skip a missing database.
set -euo pipefail

ping_db() { mysqladmin --protocol=tcp -h 127.0.0.1 -P 3306 -uroot ping >/dev/null 2>&1; }

if ping_db; then exit 0; fi
if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
  echo "ensure-mariadb: installing mariadb-server" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mariadb-server mariadb-client >/dev/null
fi
echo "ensure-mariadb: starting MariaDB" >&2
mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
for _ in $(seq 1 60); do
  if ping_db; then exit 0; fi
  sleep 0.5
done
echo "ensure-mariadb: MariaDB does not answer on 127.0.0.1:3306 (root without password is expected)" >&2
exit 1
