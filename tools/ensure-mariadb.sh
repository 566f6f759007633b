#!/usr/bin/env bash
# Makes sure a MariaDB server answers on 127.0.0.1:3306 for the tests (root, no password), starting or
# installing it when needed. Fails loudly: tests never skip a missing database.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/apt-install.sh
source "$(dirname "$0")/lib/apt-install.sh"

ping_db() { mysqladmin --protocol=tcp -h 127.0.0.1 -P 3306 -uroot ping >/dev/null 2>&1; }

if ping_db; then exit 0; fi
if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
  apt_install ensure-mariadb mariadb-server mariadb-client
fi
echo "ensure-mariadb: starting MariaDB" >&2
mkdir -p /run/mysqld
chown mysql:mysql /run/mysqld 2>/dev/null || true
start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
for _ in $(seq 1 60); do
  if ping_db; then exit 0; fi
  sleep 0.5
done
echo "ensure-mariadb: MariaDB does not answer on 127.0.0.1:3306 (root without password is expected)" >&2
exit 1
