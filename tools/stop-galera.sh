#!/usr/bin/env bash
# Stops the test Galera cluster started by tools/ensure-galera.sh, by the PIDs it recorded: node 3, then 2,
# then 1, so node 1 is the last to leave and may bootstrap the cluster again. Leaves the data in place.
# `--kill N` instead kills node N at once (SIGKILL, as a crash would), for tests of a node's loss.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source-path=SCRIPTDIR source=lib/galera-nodes.sh
source tools/lib/galera-nodes.sh

if [ "${1:-}" = --kill ]; then
  n=${2:?--kill needs a node number}
  if pid=$(node_pid "$n"); then kill -9 "$pid"; fi
  exit 0
fi

for n in 3 2 1; do
  pid=$(node_pid "$n") || continue
  echo "stop-galera: stopping node $n (pid $pid)" >&2
  kill -TERM "$pid"
  for _ in $(seq 1 120); do
    [ -d "/proc/$pid" ] || break
    sleep 0.5
  done
  if [ -d "/proc/$pid" ]; then
    echo "stop-galera: node $n still running after 60 s; killing it" >&2
    kill -9 "$pid"
  fi
done
