/**
 * Property-based checks of POST /v1/leases/availability against creates, on both engines. Each seeded round
 * registers a random inventory (hosts of its own, told apart by a `round` capability, floating IPs on a network
 * of its own, volume pools of a volume type of its own), fills two days with random leases of those, then asks
 * random questions (whole hosts, instance slots with any affinity, floating IPs with or without a required
 * address, volumes, or two of them in one lease; odd durations and start minutes) and checks, through the API:
 * - every window answered fits: a create at it succeeds (it is deleted again before the next check);
 * - no earlier window fits at the minute step (none before the first, none between one window's end and the next,
 *   none after the last when fewer than asked came back): creates at every start where a booking's edge (cleaning
 *   time included) could change the answer, on a half-hour grid and a minute before each window, all get 409;
 * - an earliest-fit create with the same question books the first window answered (or 409 when there is none).
 * A failure names its seed; the round can be replayed alone with CLIMATE_AVAILABILITY_SEED.
 */
import request from 'supertest';
import { ManualClock } from '../../src/common';
import { DIALECTS } from '../support/database';
import { Rng } from '../support/fuzz';
import { startTestService, type TestService } from '../support/service';

jest.setTimeout(600_000);

const NOW = Date.UTC(2030, 0, 1);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const CLEANING_MINUTES = 30;
const ROUNDS = 8;
const QUESTIONS = 3;
const SEEDS = process.env.CLIMATE_AVAILABILITY_SEED ? [Number(process.env.CLIMATE_AVAILABILITY_SEED)]
  : Array.from({ length: ROUNDS }, (_, i) => 1000 + i);

/** Blazar's request format, `YYYY-MM-DD HH:MM` (UTC). */
const fmt = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
/** What the API renders, back to ms. */
const parse = (rendered: string) => Date.parse(`${rendered.slice(0, 23)}Z`);

type Reservation = Record<string, unknown>;

function hostAsk(rng: Rng, round: number): Reservation {
  const min = rng.pick([1, 1, 2, 3]);
  const filter = rng.chance(0.5) ? `["and", ["==", "$round", "${round}"], ["==", "$gpu", "True"]]` : `["==", "$round", "${round}"]`;
  return { resource_type: 'physical:host', min, max: min + rng.int(0, 1), hypervisor_properties: '', resource_properties: filter };
}

function instanceAsk(rng: Rng, round: number): Reservation {
  return {
    resource_type: 'virtual:instance', amount: rng.int(1, 4), vcpus: rng.pick([1, 2, 4]), memory_mb: rng.pick([512, 2048]), disk_gb: 10,
    affinity: rng.pick([true, false, null]), resource_properties: `["==", "$round", "${round}"]`,
  };
}

function ipAsk(rng: Rng, round: number, addresses: string[]): Reservation {
  const required = rng.chance(0.3) ? [rng.pick(addresses)] : [];
  return { resource_type: 'virtual:floatingip', network_id: network(round), amount: Math.max(required.length, rng.int(1, 3)), required_floatingips: required };
}

/** A network of the round's own for its floating IPs. */
const network = (round: number) => `00000000-0000-4000-8000-${String(round).padStart(12, '0')}`;

function volumeAsk(rng: Rng, round: number): Reservation {
  return { resource_type: 'virtual:volume', amount: rng.int(1, 3), size_gb: rng.pick([50, 100]), volume_type: `round-${round}` };
}

/** A random reservation of one of the four types. */
function anyAsk(rng: Rng, round: number, addresses: string[]): Reservation {
  const kind = rng.int(0, 11);
  return kind < 4 ? hostAsk(rng, round) : kind < 8 ? instanceAsk(rng, round) : kind < 10 ? ipAsk(rng, round, addresses) : volumeAsk(rng, round);
}

describe.each(DIALECTS)('availability properties on %s', (dialect) => {
  let svc: TestService;
  let serial = 0;

  beforeAll(async () => {
    svc = await startTestService({
      dialect, clock: new ManualClock(new Date(NOW)),
      config: { default: { cleaningTimeMinutes: CLEANING_MINUTES }, manager: { plugins: ['physical:host', 'virtual:instance', 'virtual:floatingip', 'virtual:volume'] } },
    });
  });
  afterAll(async () => { await svc.close(); });

  const create = (body: Record<string, unknown>) => request(svc.app).post('/v1/leases').send({ name: `l${serial++}`, events: [], ...body });
  const remove = async (id: string) => { await request(svc.app).delete(`/v1/leases/${id}`).expect(204); };
  const fitsAt = async (reservations: Reservation[], start: number, end: number, seed: number) => {
    const res = await create({ start_date: new Date(start).toISOString(), end_date: new Date(end).toISOString(), reservations });
    if (res.status === 201) {
      await remove(res.body.lease.id);
      return true;
    }
    if (res.status !== 409) throw new Error(`seed ${seed}: create at ${fmt(start)}: ${res.status} ${JSON.stringify(res.body)}`);
    return false;
  };

  it.each(SEEDS)('seed %i: windows answered fit, none fits earlier, earliest-fit books the first', async (seed) => {
    const rng = new Rng(seed);
    const round = seed;
    const base = NOW + rng.int(0, 20) * 24 * HOUR;
    for (let h = 0; h < rng.int(2, 5); h++) {
      const res = await request(svc.app).post('/v1/os-hosts').send({
        name: `r${round}-h${h}`, round: String(round), gpu: rng.chance(0.6), vcpus: rng.pick([4, 8]), memory_mb: 8192, local_gb: 100,
      });
      expect(res.status).toBe(201);
    }
    const addresses = Array.from({ length: rng.int(2, 4) }, (_, i) => `10.${round % 250}.0.${i + 1}`);
    for (const address of addresses) {
      await request(svc.app).post('/v1/floatingips').send({ floating_network_id: network(round), floating_ip_address: address }).expect(201);
    }
    for (let p = 0; p < rng.int(1, 3); p++) {
      await request(svc.app).post('/v1/volume-pools').send({ name: `r${round}-pool-${p}`, capacity_gb: rng.pick([100, 200, 400]), volume_type: `round-${round}` })
        .expect(201);
    }
    // Existing leases at random times over two days (some refused: the calendar fills up).
    const edges: number[] = [];
    for (let i = 0; i < rng.int(8, 20); i++) {
      const start = base + rng.int(0, 47) * 30 * MINUTE + rng.int(0, 1) * 7 * MINUTE;
      const end = start + rng.int(1, 16) * 30 * MINUTE;
      const res = await create({ start_date: fmt(start), end_date: fmt(end), reservations: [anyAsk(rng, round, addresses)] });
      if (res.status === 201) edges.push(start, end);
    }

    for (let q = 0; q < QUESTIONS; q++) {
      const reservations = rng.chance(0.3) ? [anyAsk(rng, round, addresses), anyAsk(rng, round, addresses)] : [anyAsk(rng, round, addresses)];
      const durationMs = (rng.int(1, 8) * 30 + rng.int(0, 13)) * MINUTE;
      const notBefore = base + rng.int(0, 40) * 30 * MINUTE + rng.int(0, 59) * MINUTE + rng.int(0, 59) * 1000;
      const notAfter = notBefore + rng.int(6, 60) * HOUR;
      const question = { duration: durationMs / 1000, not_before: new Date(notBefore).toISOString(), not_after: new Date(notAfter).toISOString() };
      const context = `seed ${seed}, question ${q}: ${JSON.stringify({ ...question, reservations })}`;

      const found = await request(svc.app).post('/v1/leases/availability').send({ ...question, reservations, limit: 3 });
      expect([context, found.status]).toEqual([context, 200]);
      const slots = (found.body.slots as { start_date: string; end_date: string }[]).map((s) => ({ start: parse(s.start_date), end: parse(s.end_date) }));

      // Every window fits, on minute boundaries, inside the range, in order and apart.
      for (const [i, slot] of slots.entries()) {
        expect([context, slot.start % MINUTE, slot.end - slot.start]).toEqual([context, 0, durationMs]);
        expect([context, slot.start >= notBefore && slot.end <= notAfter]).toEqual([context, true]);
        if (i > 0) expect([context, slot.start >= slots[i - 1].end]).toEqual([context, true]);
        expect([context, i, await fitsAt(reservations, slot.start, slot.end, seed)]).toEqual([context, i, true]);
      }

      // No other start fits before each window (after the one before it), nor after the last when fewer came back:
      // where bookings' edges could change the answer, on a half-hour grid, and a minute before each window.
      const cleaning = CLEANING_MINUTES * MINUTE;
      const edgeStarts = edges.flatMap((e) => [e, e + cleaning, e - durationMs, e - durationMs - cleaning]);
      const gaps: [number, number][] = slots.map((slot, i) => [i ? slots[i - 1].end : notBefore, slot.start]);
      if (slots.length < 3) gaps.push([slots.length ? slots[slots.length - 1].end : notBefore, notAfter - durationMs + 1]);
      for (const [from, until] of gaps) {
        const first = Math.ceil(from / MINUTE) * MINUTE;
        const tries = new Set<number>([first, until - MINUTE, ...edgeStarts.map((t) => Math.ceil(t / MINUTE) * MINUTE)]);
        for (let t = first; t < until; t += 30 * MINUTE) tries.add(t);
        for (const t of [...tries].filter((x) => x >= first && x < until).sort((a, b) => a - b)) {
          expect([context, fmt(t), await fitsAt(reservations, t, t + durationMs, seed)]).toEqual([context, fmt(t), false]);
        }
      }

      // The earliest-fit create books the first window (and is deleted again).
      const booked = await create({ start_date: 'earliest', ...question, reservations });
      if (!slots.length) {
        expect([context, booked.status]).toEqual([context, 409]);
        continue;
      }
      expect([context, booked.status]).toEqual([context, 201]);
      expect([context, parse(booked.body.lease.start_date)]).toEqual([context, slots[0].start]);
      await remove(booked.body.lease.id);
    }
  });
});
