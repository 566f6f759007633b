import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { RequestHandler } from 'express';
import request from 'supertest';
import { createApp } from '../../src/api';
import { DatabaseHealth, type DatabasePing } from '../../src/api/routers/health';
import { createLogger, silentLogger } from '../../src/common';
import { Database, OpsRepository } from '../../src/db';
import { MetricsRegistry } from '../../src/metrics';
import { DIALECTS } from '../support/database';
import { startTestService, type TestService } from '../support/service';

/** The app of a test service with another database probe, authentication or options. */
function appOf(svc: TestService, overrides: { database?: DatabasePing; authenticate?: RequestHandler; healthcheckTimeoutMs?: number } = {}) {
  const s = svc.services;
  return createApp(
    {
      leases: s.leases, hosts: s.hosts, floatingIps: s.floatingIps, policy: s.policy, validator: s.validator, logger: silentLogger,
      database: overrides.database ?? new OpsRepository(s.db), metrics: new MetricsRegistry(),
    },
    {
      maxBodyBytes: 1 << 20, debug: false, defaultPageLimit: 0, maxPageLimit: 1000, noauth: s.config.default.noauth,
      authenticate: overrides.authenticate, healthcheckTimeoutMs: overrides.healthcheckTimeoutMs,
    },
  );
}

/** A TCP server that accepts connections and never says a word: a database that hangs. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => { sockets.add(socket); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe.each(DIALECTS)('/healthcheck on %s', (dialect) => {
  let svc: TestService;
  beforeAll(async () => { svc = await startTestService({ dialect }); });
  afterAll(async () => { await svc.close(); });

  it('answers 200 {"status": "ok"} without credentials, and is not cached', async () => {
    const res = await request(svc.app).get('/healthcheck');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', checks: { database: 'ok' } });
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('answers HEAD with the status and no body', async () => {
    const res = await request(svc.app).head('/healthcheck');
    expect(res.status).toBe(200);
    expect(res.text ?? '').toBe('');
  });

  it('refuses other methods with 405 and Allow', async () => {
    const res = await request(svc.app).post('/healthcheck').send({});
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  });

  it('needs no token even where /v1 requires one', async () => {
    const reject: RequestHandler = (_req, res) => { res.status(401).json({ error: 'no token' }); };
    const app = appOf(svc, { authenticate: reject });
    expect((await request(app).get('/v1/leases')).status).toBe(401);
    expect((await request(app).get('/healthcheck')).status).toBe(200);
    expect((await request(app).get('/metrics')).status).toBe(200);
  });
});

describe.each(DIALECTS)('/healthcheck with the database gone on %s', (dialect) => {
  let svc: TestService;
  beforeAll(async () => { svc = await startTestService({ dialect }); });
  afterAll(async () => { await svc.close(); });

  it('answers 503 with a reason that reveals nothing internal, GET and HEAD', async () => {
    // A handle on the service's database, closed: every query on it fails as on a lost database.
    const db = new Database({ connection: svc.services.config.database.connection });
    await db.open();
    await db.close();
    const app = appOf(svc, { database: new OpsRepository(db) });
    const res = await request(app).get('/healthcheck');
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'error', reason: 'database unavailable', checks: { database: 'error' } });
    expect(res.headers['cache-control']).toBe('no-store');
    expect((await request(app).head('/healthcheck')).status).toBe(503);
  });
});

describe('/healthcheck with a database that does not answer', () => {
  let svc: TestService;
  let silent: Awaited<ReturnType<typeof silentServer>>;
  let hung: Database;
  beforeAll(async () => {
    svc = await startTestService();
    silent = await silentServer();
    hung = new Database({ connection: `mysql://root@127.0.0.1:${silent.port}/climate` });
  });
  afterAll(async () => {
    await silent.close();
    await hung.close().catch(() => undefined);
    await svc.close();
  });

  it('answers 503 once the timeout passes', async () => {
    const app = appOf(svc, { database: new OpsRepository(hung), healthcheckTimeoutMs: 200 });
    const started = Date.now();
    const res = await request(app).get('/healthcheck');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'error', reason: 'database did not answer within 200 ms', checks: { database: 'timeout' } });
  });
});

describe('DatabaseHealth', () => {
  it('shares one database query between probes that arrive together', async () => {
    let calls = 0;
    let release!: () => void;
    const ping: DatabasePing = { ping: () => { calls++; return new Promise<void>((resolve) => { release = resolve; }); } };
    const health = new DatabaseHealth(ping, silentLogger, 5000);
    const answers = Promise.all([health.check(), health.check(), health.check()]);
    release();
    expect(await answers).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(calls).toBe(1);
    const next = health.check();
    release();
    await next;
    expect(calls).toBe(2);
  });

  it('logs the cause when it starts failing and when it recovers, not at every probe', async () => {
    let fail = true;
    const lines: string[] = [];
    const health = new DatabaseHealth({ ping: async () => { if (fail) throw new Error('ECONNREFUSED 10.0.0.9:3306'); } },
      createLogger({ write: (line) => lines.push(line) }));
    for (let i = 0; i < 3; i++) expect(await health.check()).toEqual({ ok: false, check: 'error', reason: 'database unavailable' });
    fail = false;
    expect(await health.check()).toEqual({ ok: true });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/ERROR .*healthcheck: failing.*ECONNREFUSED/);
    expect(lines[1]).toMatch(/INFO .*answers again/);
  });
});
