/**
 * Benchmark rows of issue 14: finding windows (POST /v1/leases/availability) and earliest-fit creates, for 8
 * hosts matching a property filter, over 30 days that start where the existing leases fill the calendar.
 */
import { call } from './http';
import { summarize, timed, type Summary } from './stats';

export interface AvailabilityResult {
  findSlot: Summary;
  earliestCreate: Summary;
}

const DAY = 86_400_000;
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
/** min = max = 8 hosts with at least 24 vCPUs (half the benchmark's hosts). */
const eightBigHosts = {
  resource_type: 'physical:host', min: 8, max: 8, hypervisor_properties: '[">=", "$vcpus", "24"]', resource_properties: '',
};

/** `busyFrom`: where the existing leases begin. Runs sequentially, as one client. */
export async function benchAvailability(base: string, busyFrom: Date, runs: number, log: (m: string) => void): Promise<AvailabilityResult> {
  const question = {
    duration: '2h', not_before: iso(busyFrom), not_after: iso(new Date(busyFrom.getTime() + 30 * DAY)), reservations: [eightBigHosts],
  };
  log('POST /v1/leases/availability (8 hosts, property filter, 30 days)');
  const find = await timed(runs, 1, async () => { await call(base, 'POST', '/v1/leases/availability', { ...question, limit: 1 }); });
  log('earliest-fit creates (8 hosts, property filter, 30 days)');
  const create = await timed(runs, 1, async (i) => {
    await call(base, 'POST', '/v1/leases', { name: `earliest-${i}`, start_date: 'earliest', ...question });
  });
  return { findSlot: summarize(find.durations), earliestCreate: summarize(create.durations) };
}
