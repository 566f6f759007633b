#!/usr/bin/env bash
#
# Stand-in for the external commands devstack/plugin.sh runs (node, npm, openstack, rabbitmq-plugins,
# apt-cache, dnf, python3 and python3.X, mysql, psql, createdb, sudo): the test harness links each name to this script. Each
# run appends a line to $FAKE_LOG: "exec", the command name, the working directory, then the
# arguments, separated by tabs. Behaviour is steered by files in $FAKE_STATE.
set -euo pipefail

name=$(basename "$0")
{
    printf 'exec\t%s\t%s' "$name" "$PWD"
    printf '\t%s' "$@"
    printf '\n'
} >> "$FAKE_LOG"

case "$name" in
    node)
        # `node --version` prints $FAKE_STATE/node-version; anything else (a script) succeeds.
        if [[ "${1:-}" == "--version" ]]; then
            cat "$FAKE_STATE/node-version"
        fi
        ;;
    npm)
        # `npm run build` leaves the entry points the plugin runs.
        if [[ "${1:-}" == "run" && "${2:-}" == "build" ]]; then
            mkdir -p dist/src/cli
            for entry in climate climate-api climate-manager climate-manage; do
                echo "// built" > "dist/src/cli/$entry.js"
            done
        fi
        ;;
    apt-cache)
        # `apt-cache policy nodejs`: the candidate is $FAKE_STATE/apt-candidate, else (none).
        candidate="(none)"
        if [[ -f "$FAKE_STATE/apt-candidate" ]]; then
            candidate=$(cat "$FAKE_STATE/apt-candidate")
        fi
        printf 'nodejs:\n  Installed: (none)\n  Candidate: %s\n  Version table:\n' "$candidate"
        ;;
    dnf)
        # `dnf repoquery ... nodejs`: the version in $FAKE_STATE/dnf-candidate, else nothing.
        if [[ -f "$FAKE_STATE/dnf-candidate" ]]; then
            cat "$FAKE_STATE/dnf-candidate"
        fi
        ;;
    python3*)
        # Nova is importable when $FAKE_STATE/nova-site names its site directory.
        if [[ "$*" == *"import nova"* ]]; then
            if [[ -f "$FAKE_STATE/nova-site" ]]; then
                cat "$FAKE_STATE/nova-site"
            else
                echo "ModuleNotFoundError: No module named 'nova'" >&2
                exit 1
            fi
        fi
        ;;
    openstack)
        # Aggregates are the lines of $FAKE_STATE/aggregates.
        args=" $* "
        aggregates="$FAKE_STATE/aggregates"
        touch "$aggregates"
        if [[ "$args" == *" aggregate show "* ]]; then
            wanted=${!#}
            if ! grep -qxF -- "$wanted" "$aggregates"; then
                echo "No aggregate with a name or ID of '$wanted' exists." >&2
                exit 1
            fi
            echo "$wanted"
        elif [[ "$args" == *" aggregate create "* ]]; then
            echo "${!#}" >> "$aggregates"
        fi
        ;;
    sudo)
        # Runs the command without its options.
        while [[ $# -gt 0 && "$1" == -* ]]; do
            case "$1" in
                -u | -g) shift 2 ;;
                *) shift ;;
            esac
        done
        exec "$@"
        ;;
    *)
        ;;
esac
