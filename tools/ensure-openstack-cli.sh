#!/usr/bin/env bash
# Makes sure the real OpenStack CLI with the reservation (Blazar) plugin is installed, from Debian's packages:
# /usr/bin/openstack (python3-openstackclient) and the blazarclient module for the system Python
# (python3-blazarclient). Idempotent and silent when both are already there; otherwise runs apt-get update
# once and installs them. Exits non-zero with a message on stderr when that is not possible.
set -euo pipefail

readonly OPENSTACK=/usr/bin/openstack
readonly PYTHON=/usr/bin/python3
readonly PACKAGES=(python3-blazarclient python3-openstackclient)

installed() {
  [[ -x "$OPENSTACK" ]] && [[ -x "$PYTHON" ]] && "$PYTHON" -c 'import blazarclient' >/dev/null 2>&1
}

fail() {
  echo "ensure-openstack-cli: $*" >&2
  exit 1
}

if installed; then
  exit 0
fi

command -v apt-get >/dev/null 2>&1 \
  || fail "apt-get not found: install ${PACKAGES[*]} (or their equivalents) by hand."

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 \
    || fail "not root and sudo is not available: run as root, or install ${PACKAGES[*]} by hand."
  SUDO=(sudo -n)
fi

export DEBIAN_FRONTEND=noninteractive
echo "ensure-openstack-cli: installing ${PACKAGES[*]}" >&2
"${SUDO[@]}" apt-get update -qq >&2 \
  || fail "'apt-get update' failed; cannot install ${PACKAGES[*]}."
"${SUDO[@]}" apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${PACKAGES[@]}" >&2 \
  || fail "'apt-get install ${PACKAGES[*]}' failed."

installed \
  || fail "${PACKAGES[*]} installed, but $OPENSTACK or the blazarclient module for $PYTHON is still missing."
