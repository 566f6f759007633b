import { ManualClock, createLogger } from '../../../src/common';
import type { EventBacklog, EventCompletion, HostCount, HostsAllocated, OutboxBacklog } from '../../../src/db';
import { MetricsRegistry, registerServiceMetrics, type ServiceStatsSource } from '../../../src/metrics';
import { parseExposition, sampleValue } from '../../support/prometheus';

const NOW = new Date('2030-01-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);

class FakeStats implements ServiceStatsSource {
  leases = new Map<string, number>([['ACTIVE', 3], ['PENDING', 1]]);
  events: EventBacklog = { due: 2, oldestDueAt: ago(90), inProgress: 1, failed: 4, overdue: 1 };
  hosts: HostCount[] = [{ status: null, reservable: true, count: 3 }, { status: 'down', reservable: false, count: 1 }];
  held: HostsAllocated = { whole: 2, slots: 1 };
  completions: EventCompletion[] = [{ dueAt: ago(100), doneAt: ago(99.5) }, { dueAt: ago(60), doneAt: ago(48) }];
  outbox: OutboxBacklog = { unsent: 5, oldestCreatedAt: ago(30) };
  hang = false;
  fail = false;
  asked: { dueSince?: Date; doneSince?: Date; overdueBefore?: Date } = {};

  private answer<T>(value: T): Promise<T> {
    if (this.hang) return new Promise(() => undefined);
    return this.fail ? Promise.reject(new Error('connection refused')) : Promise.resolve(value);
  }
  leaseCountsByStatus() { return this.answer(this.leases); }
  eventBacklog(_now: Date, overdueBefore: Date) {
    this.asked.overdueBefore = overdueBefore;
    return this.answer(this.events);
  }
  hostCounts() { return this.answer(this.hosts); }
  hostsAllocated() { return this.answer(this.held); }
  recentCompletions(dueSince: Date, doneSince: Date) {
    this.asked = { ...this.asked, dueSince, doneSince };
    return this.answer(this.completions);
  }
  outboxBacklog() { return this.answer(this.outbox); }
}

function setup(options: { timeoutMs?: number } = {}) {
  const registry = new MetricsRegistry();
  const stats = new FakeStats();
  const lines: string[] = [];
  const logger = createLogger({ write: (line) => lines.push(line) });
  registerServiceMetrics(registry, stats, new ManualClock(NOW), { logger, timeoutMs: options.timeoutMs });
  const scrape = async () => parseExposition(await registry.expose());
  return { registry, stats, lines, scrape };
}

describe('service metrics', () => {
  it('reads leases by status (every status present, 0 when none), due events, lateness and the outbox', async () => {
    const { scrape, stats } = setup();
    const m = await scrape();
    expect(sampleValue(m, 'climate_database_up')).toBe(1);
    expect(sampleValue(m, 'climate_leases', { status: 'ACTIVE' })).toBe(3);
    expect(sampleValue(m, 'climate_leases', { status: 'PENDING' })).toBe(1);
    expect(sampleValue(m, 'climate_leases', { status: 'TERMINATED' })).toBe(0);
    expect(m.get('climate_leases')?.samples).toHaveLength(9);
    expect(sampleValue(m, 'climate_events_due')).toBe(2);
    expect(sampleValue(m, 'climate_events_due_oldest_seconds')).toBe(90);
    expect(sampleValue(m, 'climate_events_in_progress')).toBe(1);
    expect(sampleValue(m, 'climate_events_failed')).toBe(4);
    expect(sampleValue(m, 'climate_events_recent_done')).toBe(2);
    expect(sampleValue(m, 'climate_events_recent_lateness_max_seconds')).toBe(12);
    expect(sampleValue(m, 'climate_notifications_unsent')).toBe(5);
    expect(sampleValue(m, 'climate_notifications_unsent_oldest_seconds')).toBe(30);
    expect(stats.asked).toEqual({ dueSince: ago(24 * 3600), doneSince: ago(600), overdueBefore: ago(60) });
    expect(sampleValue(m, 'climate_events_overdue')).toBe(1);
    expect(sampleValue(m, 'climate_hosts', { status: 'ok', reservable: 'true' })).toBe(3);
    expect(sampleValue(m, 'climate_hosts', { status: 'down', reservable: 'false' })).toBe(1);
    expect(sampleValue(m, 'climate_hosts', { status: 'missing', reservable: 'true' })).toBe(0);
    expect(m.get('climate_hosts')?.samples).toHaveLength(8);
    expect(sampleValue(m, 'climate_hosts_allocated', { resource_type: 'physical:host' })).toBe(2);
    expect(sampleValue(m, 'climate_hosts_allocated', { resource_type: 'virtual:instance' })).toBe(1);
    for (const family of m.values()) expect(family.type).toBe('gauge');
  });

  it('reports 0 ages when nothing waits, and drops a status that no longer has leases', async () => {
    const { scrape, stats } = setup();
    stats.leases = new Map([['SOMETHING_NEW', 1]]);
    stats.events = { due: 0, oldestDueAt: null, inProgress: 0, failed: 0, overdue: 0 };
    stats.completions = [];
    stats.outbox = { unsent: 0, oldestCreatedAt: null };
    const m = await scrape();
    expect(sampleValue(m, 'climate_events_due_oldest_seconds')).toBe(0);
    expect(sampleValue(m, 'climate_events_recent_lateness_max_seconds')).toBe(0);
    expect(sampleValue(m, 'climate_notifications_unsent_oldest_seconds')).toBe(0);
    expect(sampleValue(m, 'climate_leases', { status: 'SOMETHING_NEW' })).toBe(1);
    expect(sampleValue(m, 'climate_leases', { status: 'ACTIVE' })).toBe(0);
  });

  it('says the database is down, without stale values, when it fails; logs once per failure streak', async () => {
    const { scrape, stats, lines } = setup();
    await scrape();
    stats.fail = true;
    for (let i = 0; i < 3; i++) {
      const m = await scrape();
      expect(sampleValue(m, 'climate_database_up')).toBe(0);
      expect(sampleValue(m, 'climate_events_due')).toBeUndefined();
      expect(m.get('climate_leases')?.samples).toEqual([]);
    }
    expect(lines.filter((l) => l.includes('cannot read the database'))).toHaveLength(1);
    expect(lines.join('\n')).toContain('connection refused');
    stats.fail = false;
    expect(sampleValue(await scrape(), 'climate_database_up')).toBe(1);
    expect(lines.filter((l) => l.includes('answers again'))).toHaveLength(1);
  });

  it('gives up on a database that does not answer in time', async () => {
    const { scrape, stats } = setup({ timeoutMs: 50 });
    stats.hang = true;
    const started = Date.now();
    const m = await scrape();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(sampleValue(m, 'climate_database_up')).toBe(0);
  });
});
