#!/usr/bin/env bash
# Makes sure the system Python (/usr/bin/python3) can import Nova (Debian's python3-nova), which the
# tests of the Climate Nova scheduler filter (src/nova_filter/) run against. Idempotent and silent when
# `import nova` already works; otherwise installs python3-nova. Exits non-zero with a message on stderr when
# that is not possible.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/apt-install.sh
source "$(dirname "$0")/lib/apt-install.sh"

readonly PYTHON=/usr/bin/python3

installed() {
  [[ -x "$PYTHON" ]] && "$PYTHON" -c 'import nova, nova.scheduler.filters' >/dev/null 2>&1
}

installed && exit 0
apt_install ensure-python-nova python3-nova
installed || { echo "ensure-python-nova: python3-nova installed, but $PYTHON still cannot import nova.scheduler.filters." >&2; exit 1; }
