#!/usr/bin/env bash
# Makes sure Debian's Keystone (python3-keystone: keystone-manage and keystone-wsgi-public for the system
# Python) is installed, for the tests that run a throwaway Keystone (test/support/keystone.ts). Does nothing
# when it is there; otherwise installs it. Exits non-zero with a message on stderr when that is not possible.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/apt-install.sh
source "$(dirname "$0")/lib/apt-install.sh"

readonly PROGRAMS=(/usr/bin/keystone-manage /usr/bin/keystone-wsgi-public)

have_keystone() {
  local program
  for program in "${PROGRAMS[@]}"; do
    [[ -x "$program" ]] || return 1
  done
}

have_keystone && exit 0
apt_install ensure-keystone python3-keystone
have_keystone || { echo "ensure-keystone: python3-keystone is installed but ${PROGRAMS[*]} are still missing." >&2; exit 1; }
