#!/usr/bin/env bash
# Makes sure Debian's Keystone (python3-keystone: keystone-manage and keystone-wsgi-public for the system
# Python) is installed, for the tests that run a throwaway Keystone (test/support/keystone.ts). Does nothing
# when it is there; otherwise installs it with apt-get (waiting for another apt-get to finish first).
# Exits non-zero with a message on stderr when that is not possible.
set -euo pipefail

readonly PACKAGE=python3-keystone
readonly PROGRAMS=(/usr/bin/keystone-manage /usr/bin/keystone-wsgi-public)

have_keystone() {
  local program
  for program in "${PROGRAMS[@]}"; do
    [[ -x "$program" ]] || return 1
  done
}

die() {
  echo "ensure-keystone: $*" >&2
  exit 1
}

have_keystone && exit 0

command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install $PACKAGE (Keystone for the system Python) by hand."

as_root=()
if [[ "$(id -u)" -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || die "not root and no sudo: install $PACKAGE by hand, or run as root."
  as_root=(sudo -n)
fi

export DEBIAN_FRONTEND=noninteractive
# Another apt-get (another test script) may hold the lock: wait for it rather than fail.
readonly APT_OPTIONS=(-o DPkg::Lock::Timeout=600 -qq)
echo "ensure-keystone: installing $PACKAGE" >&2
"${as_root[@]}" apt-get "${APT_OPTIONS[@]}" update >&2 || die "'apt-get update' failed; cannot install $PACKAGE."
"${as_root[@]}" apt-get "${APT_OPTIONS[@]}" install -y --no-install-recommends "$PACKAGE" >&2 \
  || die "'apt-get install $PACKAGE' failed."

have_keystone || die "$PACKAGE is installed but ${PROGRAMS[*]} are still missing."
