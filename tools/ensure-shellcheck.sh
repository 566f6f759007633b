#!/usr/bin/env bash
# Makes sure `shellcheck` is installed (Debian package shellcheck), for the DevStack plugin's tests.
# Silent when it is already on PATH; otherwise installs it. Exits non-zero with a message on stderr when that
# is not possible.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/apt-install.sh
source "$(dirname "$0")/lib/apt-install.sh"

command -v shellcheck >/dev/null 2>&1 && exit 0
apt_install ensure-shellcheck shellcheck
command -v shellcheck >/dev/null 2>&1 || { echo "ensure-shellcheck: shellcheck installed, but still not on PATH." >&2; exit 1; }
