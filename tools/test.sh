#!/usr/bin/env bash
# `npm test`: prepares the real services the tests use, type-checks, then runs the whole suite: the main suite
# (jest, two workers), then the end-to-end suite against a real OpenStack (test/e2e, one file at a time).
# Extra arguments go to jest and select from the main suite only (e.g. `npm test -- test/unit`); the
# end-to-end suite alone is `npm run test:e2e`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/ensure-mariadb.sh
bash tools/ensure-postgresql.sh
bash tools/ensure-openstack-cli.sh
bash tools/ensure-osc-plugin.sh
bash tools/ensure-keystone.sh
bash tools/ensure-rabbitmq-stomp.sh
bash tools/ensure-chromium.sh
bash tools/ensure-galera.sh

mkdir -p var
e2e=$(($# == 0))
cloud_pid=''
if ((e2e)); then
  # The real OpenStack starts in the background (1.5-3 minutes) while the main suite runs.
  echo "== starting the real OpenStack for the end-to-end suite (log: var/ensure-openstack.log)"
  bash tools/ensure-openstack.sh > var/ensure-openstack.log 2>&1 &
  cloud_pid=$!
fi

echo "== build (the crash test runs the compiled manager)"
npm run build --silent

echo "== type check"
npx tsc -p tsconfig.json --noEmit

status=0
# Progress as it goes (package.json's reporters: one numbered line per test file; failures again at the end).
rm -f var/jest-results.json var/jest-e2e-results.json
echo "== tests"
npx jest --maxWorkers=2 --json --outputFile=var/jest-results.json "$@" || status=$?

if ((e2e)); then
  echo "== end-to-end tests (real Keystone, Placement, Glance, Nova, Heat, Neutron, Cinder)"
  if wait "$cloud_pid"; then
    npx jest --runInBand --testMatch '<rootDir>/test/e2e/**/*.e2e.ts' --json --outputFile=var/jest-e2e-results.json || status=$?
  else
    echo "tools/ensure-openstack.sh failed; its output:" >&2
    tail -n 40 var/ensure-openstack.log >&2
    status=1
  fi
fi

# The summary line CI tools read, whatever the runner: "N passed, N failed, N skipped" over both runs.
node -e '
  const fs = require("node:fs");
  const runs = ["var/jest-results.json", "var/jest-e2e-results.json"].filter((f) => fs.existsSync(f)).map((f) => JSON.parse(fs.readFileSync(f, "utf8")));
  const sum = (k) => runs.reduce((n, r) => n + r[k], 0);
  console.log(`${sum("numPassedTests")} passed, ${sum("numFailedTests")} failed, ${sum("numPendingTests") + sum("numTodoTests")} skipped`);
' || true
exit "$status"
