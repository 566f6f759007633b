#!/usr/bin/env bash
# Makes sure Climate's OpenStackClient plugin (src/osc_plugin: `openstack reservation slot find`, `capacity show`,
# `usage show`) is installed for the system Python (/usr/bin/python3, which runs /usr/bin/openstack), as it is in
# this checkout. Idempotent and silent when the installed plugin matches the source (version, entry points and
# every module's content); otherwise installs it with the system pip, fetching nothing (--no-deps
# --no-build-isolation --no-index: python3-openstackclient brings everything it needs). Installs the CLI itself
# first (tools/ensure-openstack-cli.sh), and pip/setuptools from Debian's packages when missing.
# Exits non-zero with a message on stderr when that is not possible.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib/apt-install.sh
source "$(dirname "$0")/lib/apt-install.sh"

readonly PYTHON=/usr/bin/python3
SOURCE="$(cd "$(dirname "$0")/../src/osc_plugin" && pwd)"
readonly SOURCE

# Exits 0 when the plugin Python imports is the one in $SOURCE; otherwise says on stdout what differs.
installed_matches_source() {
  "$PYTHON" - "$SOURCE" <<'PY'
import importlib.metadata as metadata
import pathlib
import sys
import tomllib

source = pathlib.Path(sys.argv[1])
project = tomllib.loads((source / 'pyproject.toml').read_text())['project']
try:
    dist = metadata.distribution(project['name'])
except metadata.PackageNotFoundError:
    sys.exit('not installed')
if dist.version != project['version']:
    sys.exit('installed version %s, source %s' % (dist.version, project['version']))
wanted = {(group, name, value) for group, points in project['entry-points'].items() for name, value in points.items()}
if {(point.group, point.name, point.value) for point in dist.entry_points} != wanted:
    sys.exit('entry points differ')
sources = {path.relative_to(source).as_posix() for path in source.joinpath('climate_osc').rglob('*.py')}
installed = {str(path) for path in dist.files or () if str(path).startswith('climate_osc/') and str(path).endswith('.py')}
if sources != installed:
    sys.exit('modules differ: %s' % sorted(sources ^ installed))
for name in sorted(sources):
    if pathlib.Path(dist.locate_file(name)).read_bytes() != source.joinpath(name).read_bytes():
        sys.exit('%s differs' % name)
import climate_osc  # noqa: E402 (checked last: the copy Python imports must be the installed one)
if pathlib.Path(climate_osc.__file__).resolve() != pathlib.Path(dist.locate_file('climate_osc/__init__.py')).resolve():
    sys.exit('python imports climate_osc from %s' % climate_osc.__file__)
PY
}

bash "$(dirname "$0")/ensure-openstack-cli.sh"
installed_matches_source >/dev/null 2>&1 && exit 0

# Test files run in parallel may get here together: one installs, the others then find it installed.
command -v flock >/dev/null 2>&1 || { echo "ensure-osc-plugin: flock (util-linux) not found." >&2; exit 1; }
exec 9>"${TMPDIR:-/tmp}/climate-ensure-osc-plugin.lock"
flock -w 600 9 || { echo "ensure-osc-plugin: another install held the lock for 10 minutes." >&2; exit 1; }
installed_matches_source >/dev/null 2>&1 && exit 0

if ! "$PYTHON" -m pip --version >/dev/null 2>&1 || ! "$PYTHON" -c 'import setuptools' >/dev/null 2>&1; then
  apt_install ensure-osc-plugin python3-pip python3-setuptools
fi

# Built from a copy, so that setuptools' build/ and *.egg-info/ stay out of the checkout.
workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT
cp -r "$SOURCE" "$workdir/osc_plugin"
find "$workdir/osc_plugin" -name __pycache__ -prune -exec rm -rf {} +
echo "ensure-osc-plugin: installing the Climate OpenStackClient plugin from src/osc_plugin" >&2
# --break-system-packages: Debian marks its Python as externally managed (PEP 668); the plugin's dependencies
# are Debian's own packages, and pip installs it under /usr/local (or ~/.local when not root), not over them.
"$PYTHON" -m pip install --quiet --no-deps --no-build-isolation --no-index --force-reinstall \
  --break-system-packages --disable-pip-version-check --root-user-action=ignore "$workdir/osc_plugin" >&2 \
  || { echo "ensure-osc-plugin: 'pip install' of src/osc_plugin failed." >&2; exit 1; }

why="$(installed_matches_source 2>&1)" \
  || { echo "ensure-osc-plugin: installed, but the plugin $PYTHON imports is not the checkout's: $why" >&2; exit 1; }
