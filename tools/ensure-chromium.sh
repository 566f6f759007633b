#!/usr/bin/env bash
# Makes sure Debian's Chromium (/usr/bin/chromium) is installed, for the dashboard's browser tests
# (test/dashboard, driven by playwright-core, which never downloads a browser of its own). Does nothing when it
# is there; otherwise installs the Debian package. Exits non-zero with a message on stderr when that is not
# possible: the browser tests then fail (CI) rather than skip.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/apt-install.sh
source "$(dirname "$0")/lib/apt-install.sh"

readonly CHROMIUM=/usr/bin/chromium

[[ -x "$CHROMIUM" ]] && exit 0
# fonts-dejavu-core: text in screenshots instead of empty boxes on a machine without fonts.
apt_install ensure-chromium chromium fonts-dejavu-core
[[ -x "$CHROMIUM" ]] || { echo "ensure-chromium: the chromium package is installed but $CHROMIUM is still missing." >&2; exit 1; }
