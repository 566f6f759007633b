/**
 * No double booking under concurrency, proven from the database.
 *
 * Each round registers a few hosts, fills part of a short calendar with leases, then fires many concurrent
 * lease creates and updates (grow max/min, extend, move) through the real HTTP app and checks, from the
 * rows themselves, that no host is held twice at overlapping times (cleaning time included), that every
 * success holds between min and max hosts and that every 409 left nothing behind.
 */
import request from 'supertest';
import { buildServices, type Services } from '../../src/cli/services';
import { silentLogger } from '../../src/common';
import { configWith } from '../../src/config';
import { fromSqlDate } from '../../src/db/sql-values';
import { ENGINES, type TestDialect } from '../support/database';
import { startTestService, type TestService } from '../support/service';

jest.setTimeout(180_000);

const HOSTS = 10;
const PREFILLED = 15;
const CREATES = 45;
const SLOT_MS = 30 * 60_000;
/** The calendar every round fights over: 24 hours of 30-minute slots. */
const SLOTS = 48;
const BASE = Date.UTC(2030, 0, 1);

// ---- deterministic randomness --------------------------------------------------------------------------

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  private readonly next: () => number;
  constructor(seed: number) { this.next = mulberry32(seed); }
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  pick<T>(items: readonly T[]): T { return items[this.int(0, items.length - 1)]; }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [items[i], items[j]] = [items[j], items[i]];
    }
    return items;
  }
}

const slotDate = (slot: number) => new Date(BASE + slot * SLOT_MS);
/** Blazar's request format, `YYYY-MM-DD HH:MM` (UTC). */
const fmt = (d: Date) => d.toISOString().slice(0, 16).replace('T', ' ');
/** What the API renders: `YYYY-MM-DDTHH:MM:SS.ffffff`. */
const rendered = (d: Date) => `${d.toISOString().slice(0, 23)}000`;

// ---- HTTP ----------------------------------------------------------------------------------------------

/** The parts of response bodies the checks read (a 409 has only the error fields). */
interface ReplyBody {
  lease: { id: string; reservations: { id: string; min: number; max: number }[] } & Record<string, unknown>;
  error_message?: string;
}
interface Reply { status: number; body: ReplyBody }
type Send = (method: 'POST' | 'PUT' | 'GET', path: string, body?: unknown) => Promise<Reply>;

function viaSupertest(svc: TestService): Send {
  return async (method, path, body) => {
    const agent = request(svc.app);
    const req = method === 'POST' ? agent.post(path) : method === 'PUT' ? agent.put(path) : agent.get(path);
    const res = body === undefined ? await req : await req.send(body as object);
    return { status: res.status, body: res.body as ReplyBody };
  };
}

function viaFetch(baseUrl: string): Send {
  return async (method, path, body) => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : {} };
  };
}

/** Counts lease service calls in flight, to prove the requests really overlapped. */
function trackConcurrency(services: Services, stats: { inFlight: number; max: number }): void {
  const leases = services.leases;
  for (const method of ['create', 'update'] as const) {
    const original = leases[method].bind(leases) as (...args: unknown[]) => Promise<unknown>;
    (leases as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
      stats.inFlight++;
      stats.max = Math.max(stats.max, stats.inFlight);
      try {
        return await original(...args);
      } finally {
        stats.inFlight--;
      }
    };
  }
}

// ---- the scenario --------------------------------------------------------------------------------------

interface HostReservation { id: string; min: number; max: number }
interface LeaseState { id: string; name: string; start: Date; end: Date; reservation: HostReservation }

type Op =
  | { kind: 'create'; name: string; start: Date; end: Date; min: number; max: number }
  | { kind: 'update'; variant: string; lease: LeaseState; body: Record<string, unknown>; start: Date; end: Date; min: number; max: number };

interface Outcome { op: Op; reply: Reply }

function createBody(name: string, start: Date, end: Date, min: number, max: number) {
  return {
    name, start_date: fmt(start), end_date: fmt(end),
    reservations: [{ resource_type: 'physical:host', min, max, hypervisor_properties: '', resource_properties: '' }],
  };
}

function randomWindow(rng: Rng): { start: Date; end: Date } {
  const length = rng.int(1, 12);
  const first = rng.int(0, SLOTS - length);
  return { start: slotDate(first), end: slotDate(first + length) };
}

function planUpdate(rng: Rng, lease: LeaseState): Op {
  const { min, max, id } = lease.reservation;
  const variant = rng.pick(['grow-max', 'grow-min', 'extend', 'move', 'move-and-grow'] as const);
  let start = lease.start;
  let end = lease.end;
  let nextMin = min;
  let nextMax = max;
  const body: Record<string, unknown> = {};
  if (variant === 'grow-max' || variant === 'move-and-grow') nextMax = max + rng.int(1, 3);
  if (variant === 'grow-min') { nextMin = min + rng.int(1, 2); nextMax = Math.max(max, nextMin) + rng.int(0, 1); }
  if (variant === 'extend') end = new Date(end.getTime() + rng.int(1, 8) * SLOT_MS);
  if (variant === 'move' || variant === 'move-and-grow') {
    const startSlot = (start.getTime() - BASE) / SLOT_MS;
    let shift = 0;
    while (shift === 0) shift = rng.int(Math.max(-6, -startSlot), 6);
    start = new Date(start.getTime() + shift * SLOT_MS);
    end = new Date(end.getTime() + shift * SLOT_MS);
  }
  if (start !== lease.start) body.start_date = fmt(start);
  if (end !== lease.end) body.end_date = fmt(end);
  if (nextMin !== min || nextMax !== max) {
    body.reservations = [{ id, ...(nextMin !== min ? { min: nextMin } : {}), ...(nextMax !== max ? { max: nextMax } : {}) }];
  }
  return { kind: 'update', variant, lease, body, start, end, min: nextMin, max: nextMax };
}

interface AllocationRow { hostId: number; reservationId: string; leaseId: string; start: Date; end: Date; leaseStart: Date; leaseEnd: Date }

async function allocationRows(services: Services): Promise<AllocationRow[]> {
  const rows = await services.db.select<Record<string, unknown>>(
    `SELECT a.host_id, a.reservation_id, a.lease_id, a.start_date, a.end_date,
            l.start_date AS lease_start, l.end_date AS lease_end
       FROM computehost_allocations a JOIN leases l ON l.id = a.lease_id
      ORDER BY a.host_id, a.start_date`);
  return rows.map((r) => ({
    hostId: Number(r.host_id), reservationId: String(r.reservation_id), leaseId: String(r.lease_id),
    start: fromSqlDate(r.start_date), end: fromSqlDate(r.end_date),
    leaseStart: fromSqlDate(r.lease_start), leaseEnd: fromSqlDate(r.lease_end),
  }));
}

interface Snapshot { start: number; end: number; params: string; hosts: string; updatedAt: string }

async function snapshotLease(services: Services, leaseId: string): Promise<Snapshot> {
  const [lease] = await services.db.select<Record<string, unknown>>(
    'SELECT start_date, end_date, updated_at FROM leases WHERE id = ?', [leaseId]);
  const reservations = await services.db.select<Record<string, unknown>>(
    'SELECT params FROM reservations WHERE lease_id = ? ORDER BY id', [leaseId]);
  const hosts = await services.db.select<Record<string, unknown>>(
    'SELECT host_id, start_date, end_date FROM computehost_allocations WHERE lease_id = ? ORDER BY host_id', [leaseId]);
  return {
    start: fromSqlDate(lease.start_date).getTime(),
    end: fromSqlDate(lease.end_date).getTime(),
    updatedAt: String(lease.updated_at == null ? null : fromSqlDate(lease.updated_at).getTime()),
    params: reservations.map((r) => String(r.params)).join('|'),
    hosts: hosts.map((h) => `${h.host_id}@${fromSqlDate(h.start_date).getTime()}-${fromSqlDate(h.end_date).getTime()}`).join(','),
  };
}

/** Every check that must hold at rest, whatever happened before. */
async function checkNoDoubleBooking(services: Services, cleaningMinutes: number): Promise<AllocationRow[]> {
  const rows = await allocationRows(services);
  const cleaning = cleaningMinutes * 60_000;
  const clashes: string[] = [];
  for (let i = 0; i < rows.length; i++) {
    const a = rows[i];
    // An allocation always carries its lease's window.
    expect({ start: a.start.getTime(), end: a.end.getTime() }).toEqual({ start: a.leaseStart.getTime(), end: a.leaseEnd.getTime() });
    for (let j = i + 1; j < rows.length && rows[j].hostId === a.hostId; j++) {
      const b = rows[j];
      // [start, end) windows, each kept `cleaning` away from the next: touching is fine without cleaning time.
      if (a.start.getTime() < b.end.getTime() + cleaning && b.start.getTime() < a.end.getTime() + cleaning) {
        clashes.push(`host ${a.hostId}: ${a.leaseId} ${a.start.toISOString()}..${a.end.toISOString()} and `
          + `${b.leaseId} ${b.start.toISOString()}..${b.end.toISOString()}`);
      }
    }
  }
  expect(clashes).toEqual([]);

  // The same question asked of the database itself, independently of the JS above (strict overlap).
  const [sqlClashes] = await services.db.select<{ n: number }>(
    `SELECT COUNT(*) AS n FROM computehost_allocations a JOIN computehost_allocations b
       ON a.host_id = b.host_id AND a.id < b.id AND a.start_date < b.end_date AND b.start_date < a.end_date`);
  expect(Number(sqlClashes.n)).toBe(0);

  // Nothing dangling: every allocation belongs to a reservation of its lease, every reservation to a lease.
  const [orphans] = await services.db.select<{ n: number }>(
    `SELECT COUNT(*) AS n FROM computehost_allocations a
       LEFT JOIN reservations r ON r.id = a.reservation_id
      WHERE r.id IS NULL OR r.lease_id <> a.lease_id`);
  expect(Number(orphans.n)).toBe(0);
  const [lonely] = await services.db.select<{ n: number }>(
    `SELECT (SELECT COUNT(*) FROM reservations r WHERE NOT EXISTS (SELECT 1 FROM leases l WHERE l.id = r.lease_id))
          + (SELECT COUNT(*) FROM events e WHERE NOT EXISTS (SELECT 1 FROM leases l WHERE l.id = e.lease_id)) AS n`);
  expect(Number(lonely.n)).toBe(0);

  // Every reservation holds between its min and max distinct hosts.
  const reservations = await services.db.select<{ id: string; params: string }>('SELECT id, params FROM reservations');
  for (const r of reservations) {
    const params = JSON.parse(String(r.params)) as { min: number; max: number };
    const held = rows.filter((a) => a.reservationId === r.id).map((a) => a.hostId);
    expect(new Set(held).size).toBe(held.length);
    expect(held.length).toBeGreaterThanOrEqual(params.min);
    expect(held.length).toBeLessThanOrEqual(params.max);
  }
  return rows;
}

async function notificationCounts(services: Services): Promise<Record<string, number>> {
  const rows = await services.db.select<{ event_type: string; n: number }>(
    'SELECT event_type, COUNT(*) AS n FROM notifications GROUP BY event_type');
  return Object.fromEntries(rows.map((r) => [String(r.event_type), Number(r.n)]));
}

interface RoundOptions {
  seed: number;
  cleaningMinutes: number;
  /** Where requests go; several entries are several API processes over one database. */
  senders: Send[];
  /** The processes' services (the first one is used for database checks). */
  services: Services[];
}

interface RoundResult { created: number; createConflicts: number; updated: number; updateConflicts: number; maxInFlight: number }

async function runRound(o: RoundOptions): Promise<RoundResult> {
  const rng = new Rng(o.seed);
  const [send] = o.senders;
  const main = o.services[0];
  const prefix = `s${o.seed}`;

  for (let i = 0; i < HOSTS; i++) {
    const res = await send('POST', '/v1/os-hosts', { name: `${prefix}-host-${i}`, vcpus: 8 });
    expect(res.status).toBe(201);
  }

  // Part of the calendar is taken before the race; those leases are the ones the race updates.
  const existing: LeaseState[] = [];
  for (let i = 0; i < PREFILLED; i++) {
    const { start, end } = randomWindow(rng);
    const min = rng.int(1, 2);
    const name = `${prefix}-pre-${i}`;
    const res = await send('POST', '/v1/leases', createBody(name, start, end, min, min));
    expect([201, 409]).toContain(res.status);
    if (res.status !== 201) continue;
    const r = res.body.lease.reservations[0];
    existing.push({ id: res.body.lease.id, name, start, end, reservation: { id: r.id, min: r.min, max: r.max } });
  }
  expect(existing.length).toBeGreaterThan(5);
  await checkNoDoubleBooking(main, o.cleaningMinutes);
  const before = new Map<string, Snapshot>();
  for (const lease of existing) before.set(lease.id, await snapshotLease(main, lease.id));
  const notificationsBefore = await notificationCounts(main);

  // One update per existing lease (so each 200 is the lease's final state) plus many creates.
  const ops: Op[] = existing.map((lease) => planUpdate(rng, lease));
  for (let i = 0; i < CREATES; i++) {
    const { start, end } = randomWindow(rng);
    const min = rng.int(1, 3);
    ops.push({ kind: 'create', name: `${prefix}-new-${i}`, start, end, min, max: min + rng.int(0, 2) });
  }
  rng.shuffle(ops);
  expect(ops.length).toBeGreaterThanOrEqual(50);

  const stats = { inFlight: 0, max: 0 };
  for (const s of o.services) trackConcurrency(s, stats);
  const outcomes: Outcome[] = await Promise.all(ops.map(async (op, i): Promise<Outcome> => {
    const target = o.senders[i % o.senders.length];
    const reply = op.kind === 'create'
      ? await target('POST', '/v1/leases', createBody(op.name, op.start, op.end, op.min, op.max))
      : await target('PUT', `/v1/leases/${op.lease.id}`, op.body);
    return { op, reply };
  }));

  const unexpected = outcomes.filter((x) => x.reply.status !== 200 && x.reply.status !== 201 && x.reply.status !== 409);
  expect(unexpected.map((x) => ({ status: x.reply.status, body: x.reply.body, op: x.op.kind }))).toEqual([]);

  const rows = await checkNoDoubleBooking(main, o.cleaningMinutes);
  const heldBy = (leaseId: string) => rows.filter((a) => a.leaseId === leaseId);

  const result: RoundResult = { created: 0, createConflicts: 0, updated: 0, updateConflicts: 0, maxInFlight: stats.max };
  for (const { op, reply } of outcomes) {
    if (op.kind === 'create') {
      const same = await main.repos.leases.findByName(op.name);
      if (reply.status === 201) {
        result.created++;
        expect(reply.body.lease).toMatchObject({ name: op.name, start_date: rendered(op.start), end_date: rendered(op.end) });
        expect(reply.body.lease.reservations[0]).toMatchObject({ min: op.min, max: op.max });
        expect(same.map((l) => l.id)).toEqual([reply.body.lease.id]);
        const held = heldBy(reply.body.lease.id);
        expect(held.length).toBeGreaterThanOrEqual(op.min);
        expect(held.length).toBeLessThanOrEqual(op.max);
        for (const a of held) expect([a.start.getTime(), a.end.getTime()]).toEqual([op.start.getTime(), op.end.getTime()]);
      } else {
        result.createConflicts++;
        expect(reply.body.error_message).toMatch(/Not enough hosts/);
        expect(same).toEqual([]);
      }
    } else {
      const after = await snapshotLease(main, op.lease.id);
      if (reply.status === 200) {
        result.updated++;
        expect(reply.body.lease).toMatchObject({ id: op.lease.id, start_date: rendered(op.start), end_date: rendered(op.end) });
        expect(reply.body.lease.reservations[0]).toMatchObject({ min: op.min, max: op.max });
        expect([after.start, after.end]).toEqual([op.start.getTime(), op.end.getTime()]);
        const stored = JSON.parse(after.params) as { min: number; max: number };
        expect({ min: stored.min, max: stored.max }).toEqual({ min: op.min, max: op.max });
        const held = heldBy(op.lease.id);
        expect(held.length).toBeGreaterThanOrEqual(op.min);
        expect(held.length).toBeLessThanOrEqual(op.max);
      } else {
        result.updateConflicts++;
        expect(reply.body.error_message).toMatch(/Not enough hosts/);
        // Rolled back completely: dates, parameters, allocations and updated_at as before the request.
        expect(after).toEqual(before.get(op.lease.id));
      }
    }
  }

  // The outbox agrees: one notification per success, none for a 409.
  const notifications = await notificationCounts(main);
  const delta = (type: string) => (notifications[type] ?? 0) - (notificationsBefore[type] ?? 0);
  expect(delta('lease.create')).toBe(result.created);
  expect(delta('lease.update')).toBe(result.updated);
  expect(await main.repos.leases.count()).toBe(existing.length + result.created);

  // It really was a race for the last hosts: requests overlapped, some won and some lost.
  expect(result.maxInFlight).toBeGreaterThan(1);
  expect(result.created + result.updated).toBeGreaterThan(0);
  expect(result.createConflicts + result.updateConflicts).toBeGreaterThan(0);
  return result;
}

// ---- the tests -----------------------------------------------------------------------------------------

function senderFor(dialect: TestDialect, svc: TestService): Send {
  return dialect === 'mariadb' ? viaFetch(svc.url) : viaSupertest(svc);
}

describe.each(ENGINES)('no double booking on %s', (dialect) => {
  const totals: RoundResult = { created: 0, createConflicts: 0, updated: 0, updateConflicts: 0, maxInFlight: 0 };

  for (const cleaningMinutes of [0, 30]) {
    describe(`cleaning time ${cleaningMinutes} min`, () => {
      it.each([11, 23, 37, 41])('concurrent creates and updates, seed %i', async (seed) => {
        const svc = await startTestService({
          dialect, listen: dialect === 'mariadb', config: { default: { cleaningTimeMinutes: cleaningMinutes } },
        });
        try {
          const result = await runRound({ seed, cleaningMinutes, senders: [senderFor(dialect, svc)], services: [svc.services] });
          for (const key of Object.keys(totals) as (keyof RoundResult)[]) totals[key] += result[key];
        } finally {
          await svc.close();
        }
      });
    });
  }

  it('across the rounds, updates both won and lost', () => {
    expect(totals.updated).toBeGreaterThan(0);
    expect(totals.updateConflicts).toBeGreaterThan(0);
  });
});

// Two API processes: two Database handles (two Sequelize pools on MariaDB, two SQLite connections to one
// file), each with its own in-process state, serving the same race.
describe.each(ENGINES)('no double booking across two API processes on one %s database', (dialect) => {
  it.each([[5, 0], [8, 30]])('seed %i, cleaning time %i min', async (seed, cleaningMinutes) => {
    const config = { default: { cleaningTimeMinutes: cleaningMinutes } };
    const first = await startTestService({ dialect, listen: true, config });
    let second: Services | null = null;
    let server: import('node:http').Server | null = null;
    try {
      // A second process: its own Database (its own Sequelize pool) over the same schema.
      second = await buildServices(configWith({
        ...config,
        database: { connection: first.services.config.database.connection },
        notifications: { driver: 'noop' },
      }), { logger: silentLogger });
      expect(second.db).not.toBe(first.services.db);
      const app = second.app();
      server = await new Promise((resolve) => { const s = app.listen(0, '127.0.0.1', () => resolve(s)); });
      const port = (server!.address() as import('node:net').AddressInfo).port;
      await runRound({
        seed, cleaningMinutes,
        senders: [viaFetch(first.url), viaFetch(`http://127.0.0.1:${port}`)],
        services: [first.services, second],
      });
    } finally {
      if (server) await new Promise<void>((resolve) => server!.close(() => resolve()));
      await second?.close();
      await first.close();
    }
  });
});
