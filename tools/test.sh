#!/usr/bin/env bash
# `npm test`: prepares the real services the tests use, type-checks, then runs the whole suite.
# Extra arguments go to jest (e.g. `npm test -- test/unit`).
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/ensure-mariadb.sh
bash tools/ensure-openstack-cli.sh
bash tools/ensure-keystone.sh
bash tools/ensure-rabbitmq-stomp.sh

echo "== build (the crash test runs the compiled manager)"
npm run build --silent

echo "== type check"
npx tsc -p tsconfig.json --noEmit

echo "== tests"
mkdir -p var
status=0
# Progress as it goes (package.json's reporters: one numbered line per test file; failures again at the end).
rm -f var/jest-results.json
npx jest --maxWorkers=2 --json --outputFile=var/jest-results.json "$@" || status=$?
# The summary line CI tools read, whatever the runner: "N passed, N failed, N skipped".
node -e '
  const r = require("./var/jest-results.json");
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
' || true
exit "$status"
