// A climate manager process whose start hooks never finish: the crash test SIGKILLs it mid-event.
// Runs the compiled code (dist/), as a deployed climate-manager would. Argument: database URL.
const { Database, Repositories } = require('../../dist/src/db');
const { LeaseLifecycle } = require('../../dist/src/leases');
const { EventRunner } = require('../../dist/src/manager');
const { Notifier } = require('../../dist/src/notifications');
const { PluginRegistry } = require('../../dist/src/plugins');
const { silentLogger, systemClock } = require('../../dist/src/common');

const hang = {
  resourceType: 'test:flaky',
  async onStart({ reservation }) {
    process.stdout.write(`STARTED ${reservation.id}\n`);
    await new Promise(() => {});
  },
  async onEnd() {}, async beforeEnd() {}, async beforeStart() {},
};

(async () => {
  const db = new Database({ connection: process.argv[2] });
  await db.open();
  const repos = new Repositories(db);
  const plugins = new PluginRegistry().register(hang).freeze();
  const lifecycle = new LeaseLifecycle({ db, repos, plugins, notifier: new Notifier(repos.outbox, systemClock), clock: systemClock, logger: silentLogger });
  const runner = new EventRunner(repos, lifecycle, systemClock, silentLogger,
    { pollIntervalMs: 100, claimMs: Number(process.argv[3]), maxRetries: 5, retryDelayMs: 500, owner: 'doomed-manager' });
  runner.start();
})();
