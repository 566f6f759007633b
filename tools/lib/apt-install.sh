# shellcheck shell=bash
# apt_install NAME PACKAGE...: installs Debian packages for a tools/ensure-* script, as root or through
# `sudo -n`, after one `apt-get update`, waiting for another apt-get that holds the lock instead of failing.
# Prints what it does on stderr; on failure prints "NAME: <why>" and exits 1.

apt_install() {
  local name=$1
  shift
  local packages=("$@")
  local as_root=()
  _apt_fail() { echo "$name: $*" >&2; exit 1; }

  command -v apt-get >/dev/null 2>&1 || _apt_fail "apt-get not found: install ${packages[*]} by hand."
  if [[ "$(id -u)" -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || _apt_fail "not root and sudo is not available: run as root, or install ${packages[*]} by hand."
    as_root=(sudo -n)
  fi
  echo "$name: installing ${packages[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=300 update -qq >&2 \
    || _apt_fail "'apt-get update' failed; cannot install ${packages[*]}."
  "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "${packages[@]}" >&2 \
    || _apt_fail "'apt-get install ${packages[*]}' failed."
}
