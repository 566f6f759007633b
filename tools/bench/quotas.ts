/**
 * What quotas cost a lease create: `npm run build && node dist/tools/bench/quotas.js [--dialect sqlite|mariadb]
 * [--hosts N] [--leases N]`. One project holds `leases` one-host leases within one 30-day period (all of them
 * counted by every check), then creates leases sequentially and from 8 clients at once, first without limits
 * (nothing locked nor counted), then with every limit set (high enough never to refuse): the difference is the
 * per-project lock and the counting. Concurrent creates of one project queue on its quota row.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildServices, type Services } from '../../src/cli/services';
import { silentLogger } from '../../src/common';
import { configWith } from '../../src/config';
import { createTestDatabase, type TestDialect } from '../../test/support/database';
import { call } from './http';
import { summarize, timed, type Summary } from './stats';

const DAY = 86_400_000;
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const hostReservation = { resource_type: 'physical:host', min: 1, max: 1, hypervisor_properties: '', resource_properties: '' };
const HIGH = { hosts: 1_000_000, host_hours: 1_000_000_000, instance_slots: 1_000_000, leases: 1_000_000, max_lease_duration: 10 * 365 * 86_400, max_extension: 365 * 86_400 };

interface Run { sequential: Summary; concurrent: { perSecond: number; latency: Summary } }

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function creates(base: string, label: string, origin: number): Promise<Run> {
  const window = (i: number) => ({ start_date: iso(new Date(origin + i * 3_600_000)), end_date: iso(new Date(origin + (i + 1) * 3_600_000)) });
  const sequential = await timed(100, 1, async (i) => {
    await call(base, 'POST', '/v1/leases', { name: `${label}-seq-${i}`, ...window(i % 20), reservations: [hostReservation] });
  });
  const concurrent = await timed(200, 8, async (i) => {
    await call(base, 'POST', '/v1/leases', { name: `${label}-conc-${i}`, ...window(i % 20), reservations: [hostReservation] });
  });
  return { sequential: summarize(sequential.durations), concurrent: { perSecond: 200 / (concurrent.wallMs / 1000), latency: summarize(concurrent.durations) } };
}

async function benchDialect(dialect: TestDialect, hosts: number, leases: number): Promise<{ dialect: TestDialect; without: Run; with: Run }> {
  const db = await createTestDatabase(dialect);
  const services: Services = await buildServices(configWith({
    database: { connection: db.url, maxPoolSize: 10 }, notifications: { driver: 'noop' },
  }), { migrate: true, logger: silentLogger });
  const server = await new Promise<Server>((resolve) => { const s = services.app().listen(0, '127.0.0.1', () => resolve(s)); });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const log = (m: string) => process.stderr.write(`[${dialect}] ${m}\n`);
  try {
    log(`registering ${hosts} hosts, ${leases} leases of the project`);
    await timed(hosts, 8, async (i) => { await call(base, 'POST', '/v1/os-hosts', { name: `quota-${i}` }); });
    const origin = Math.ceil(Date.now() / DAY) * DAY + 30 * DAY;
    const days = Math.ceil(leases / hosts);
    await timed(leases, 8, async (i) => {
      const day = Math.floor(i / hosts);
      await call(base, 'POST', '/v1/leases', {
        name: `existing-${i}`, start_date: iso(new Date(origin + day * DAY)), end_date: iso(new Date(origin + (day + 1) * DAY - 3_600_000)),
        reservations: [hostReservation],
      });
    });
    // The new leases fall on the day after the existing ones, within host_hours_period of all of them: each
    // host-hours check reads and weighs every one.
    const at = origin + days * DAY;
    log('creates without limits');
    const without = await creates(base, 'free', at);
    await call(base, 'PUT', '/v1/quotas/bench', HIGH);
    log('creates with every limit set');
    const limited = await creates(base, 'limited', at + 2 * 3_600_000);
    return { dialect, without, with: limited };
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await services.close();
    await db.drop();
  }
}

async function main(): Promise<void> {
  const dialect = arg('dialect');
  const hosts = Number(arg('hosts') ?? 200);
  const leases = Number(arg('leases') ?? 2000);
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  const rows = [['dialect', 'limits', 'create p50 / p99 (sequential)', 'creates/s, 8 clients', 'create p50 / p99, 8 clients']];
  for (const d of dialect ? [dialect as TestDialect] : (['sqlite', 'mariadb'] as const)) {
    const r = await benchDialect(d, hosts, leases);
    for (const [label, run] of [['none', r.without], ['all set', r.with]] as const) {
      rows.push([d, label, `${ms(run.sequential.p50)} / ${ms(run.sequential.p99)}`, run.concurrent.perSecond.toFixed(0),
        `${ms(run.concurrent.latency.p50)} / ${ms(run.concurrent.latency.p99)}`]);
    }
  }
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  process.stdout.write(`${hosts} hosts, ${leases} leases of the project in one 30-day period\n\n`
    + `${[line(rows[0]), line(rows[0].map(() => '---')), ...rows.slice(1).map(line)].join('\n')}\n`);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
