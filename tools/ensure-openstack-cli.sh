#!/usr/bin/env bash
# Makes sure the real OpenStack CLI with the reservation (Blazar) plugin is installed, from Debian's packages:
# /usr/bin/openstack (python3-openstackclient) and the blazarclient module for the system Python
# (python3-blazarclient). Idempotent and silent when both are already there; otherwise installs them.
# Exits non-zero with a message on stderr when that is not possible.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/apt-install.sh
source "$(dirname "$0")/lib/apt-install.sh"

readonly OPENSTACK=/usr/bin/openstack
readonly PYTHON=/usr/bin/python3

installed() {
  [[ -x "$OPENSTACK" ]] && [[ -x "$PYTHON" ]] && "$PYTHON" -c 'import blazarclient' >/dev/null 2>&1
}

installed && exit 0
apt_install ensure-openstack-cli python3-blazarclient python3-openstackclient
installed || { echo "ensure-openstack-cli: installed, but $OPENSTACK or the blazarclient module for $PYTHON is still missing." >&2; exit 1; }
