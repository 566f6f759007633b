#!/usr/bin/env bash
# Makes sure the system Python (/usr/bin/python3) can import Nova (Debian's python3-nova), which the
# tests of the Climate Nova scheduler filter (src/nova_filter/) run against. Idempotent and silent when
# `import nova` already works; otherwise runs apt-get update once and installs python3-nova.
# Exits non-zero with a message on stderr when that is not possible.
set -euo pipefail

readonly PYTHON=/usr/bin/python3
readonly PACKAGES=(python3-nova)

installed() {
  [[ -x "$PYTHON" ]] && "$PYTHON" -c 'import nova, nova.scheduler.filters' >/dev/null 2>&1
}

fail() {
  echo "ensure-python-nova: $*" >&2
  exit 1
}

if installed; then
  exit 0
fi

command -v apt-get >/dev/null 2>&1 \
  || fail "apt-get not found: install ${PACKAGES[*]} (or its equivalent) by hand."

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 \
    || fail "not root and sudo is not available: run as root, or install ${PACKAGES[*]} by hand."
  SUDO=(sudo -n)
fi

export DEBIAN_FRONTEND=noninteractive
echo "ensure-python-nova: installing ${PACKAGES[*]}" >&2
"${SUDO[@]}" apt-get update -qq >&2 \
  || fail "'apt-get update' failed; cannot install ${PACKAGES[*]}."
"${SUDO[@]}" apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends "${PACKAGES[@]}" >&2 \
  || fail "'apt-get install ${PACKAGES[*]}' failed."

installed \
  || fail "${PACKAGES[*]} installed, but $PYTHON still cannot import nova.scheduler.filters."
