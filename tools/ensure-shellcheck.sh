#!/usr/bin/env bash
# Makes sure `shellcheck` is installed (Debian package shellcheck), for the DevStack plugin's tests.
# Silent when it is already on PATH; otherwise installs it with apt-get (as root, or through sudo -n).
# Exits non-zero with a message on stderr when that is not possible.
set -euo pipefail

readonly PACKAGE=shellcheck

fail() {
  echo "ensure-shellcheck: $*" >&2
  exit 1
}

if command -v shellcheck >/dev/null 2>&1; then
  exit 0
fi

command -v apt-get >/dev/null 2>&1 \
  || fail "shellcheck is missing and apt-get was not found: install shellcheck (https://www.shellcheck.net/) by hand."

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 \
    || fail "shellcheck is missing; not root and sudo is not available: run 'apt-get install $PACKAGE' as root."
  SUDO=(sudo -n)
fi

export DEBIAN_FRONTEND=noninteractive
echo "ensure-shellcheck: installing $PACKAGE" >&2
"${SUDO[@]}" apt-get update -qq >&2 || fail "'apt-get update' failed; cannot install $PACKAGE."
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "$PACKAGE" >&2 \
  || fail "'apt-get install $PACKAGE' failed."

command -v shellcheck >/dev/null 2>&1 || fail "$PACKAGE installed, but shellcheck is still not on PATH."
