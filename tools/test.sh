#!/usr/bin/env bash
# `npm test`: prepares the real services the tests use, type-checks, then runs the whole suite.
# Extra arguments go to jest (e.g. `npm test -- test/unit`).
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/ensure-mariadb.sh
bash tools/ensure-openstack-cli.sh

echo "== build (the crash test runs the compiled manager)"
npm run build --silent

echo "== type check"
npx tsc -p tsconfig.json --noEmit

echo "== tests"
npx jest --maxWorkers=2 "$@"
