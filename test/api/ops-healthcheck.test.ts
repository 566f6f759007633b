import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { RequestHandler } from 'express';
import request from 'supertest';
import { createApp } from '../../src/api';
import { DatabaseHealth, type DatabaseProbe, type HealthcheckOptions } from '../../src/api/routers/health';
import { createLogger, silentLogger } from '../../src/common';
import { Database, unappliedMigrations } from '../../src/db';
import { MetricsRegistry } from '../../src/metrics';
import { DIALECTS } from '../support/database';
import { startTestService, type TestService } from '../support/service';

/** The database probe the services give the app, on `db`. */
const probeOf = (db: Database): DatabaseProbe => ({ unappliedMigrations: () => unappliedMigrations(db) });

/** The app of a test service with another database probe, authentication or healthcheck options. */
function appOf(svc: TestService, overrides: { database?: DatabaseProbe; authenticate?: RequestHandler; healthcheck?: HealthcheckOptions } = {}) {
  const s = svc.services;
  return createApp(
    {
      leases: s.leases, hosts: s.hosts, floatingIps: s.floatingIps, policy: s.policy, validator: s.validator, logger: silentLogger,
      database: overrides.database ?? probeOf(s.db), metrics: new MetricsRegistry(),
    },
    {
      maxBodyBytes: 1 << 20, debug: false, defaultPageLimit: 0, maxPageLimit: 1000, noauth: s.config.default.noauth,
      authenticate: overrides.authenticate, healthcheck: overrides.healthcheck,
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

  it('answers 200 "OK" in plain text without credentials, and is not cached', async () => {
    const res = await request(svc.app).get('/healthcheck');
    expect(res.status).toBe(200);
    expect(res.text).toBe('OK');
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('answers JSON clients with oslo.middleware\'s body, without details', async () => {
    const res = await request(svc.app).get('/healthcheck').set('Accept', 'application/json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ detailed: false, reasons: ['OK'] });
    // ?detailed asks for JSON; details only where the operator allowed them.
    expect((await request(svc.app).get('/healthcheck?detailed')).body).toEqual({ detailed: false, reasons: ['OK'] });
  });

  it('answers HEAD with 204 and no body', async () => {
    const res = await request(svc.app).head('/healthcheck');
    expect(res.status).toBe(204);
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

  it('with [healthcheck] detailed, ?detailed and JSON answers carry each check and the process', async () => {
    const app = appOf(svc, { healthcheck: { detailed: true } });
    const res = await request(app).get('/healthcheck?detailed');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      detailed: true, node_version: process.version,
      reasons: [{ class: 'Database', reason: 'OK', details: 'the database answers and its schema is current' }],
    });
    expect((await request(app).get('/healthcheck')).text).toBe('OK');
  });

  it('with [healthcheck] disable_by_file_path: 503 "DISABLED BY FILE" while the file exists, to drain the node', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'climate-drain-'));
    try {
      const file = path.join(dir, 'healthcheck_disable');
      const app = appOf(svc, { healthcheck: { disableByFilePath: file } });
      expect((await request(app).get('/healthcheck')).status).toBe(200);
      writeFileSync(file, '');
      const res = await request(app).get('/healthcheck');
      expect(res.status).toBe(503);
      expect(res.text).toBe('DISABLED BY FILE');
      expect((await request(app).get('/healthcheck').set('Accept', 'application/json')).body)
        .toEqual({ detailed: false, reasons: ['DISABLED BY FILE'] });
      expect((await request(app).head('/healthcheck')).status).toBe(503);
      // The API itself still serves: only the load balancer's probe is told to go away.
      expect((await request(app).get('/v1/leases')).status).toBe(200);
      rmSync(file);
      expect((await request(app).get('/healthcheck')).status).toBe(200);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers 503 when the schema is behind the code (a migration not applied)', async () => {
    const [last] = await svc.services.db.select<{ name: string }>('SELECT MAX(name) AS name FROM climate_migrations');
    await svc.services.db.execute('DELETE FROM climate_migrations WHERE name = ?', [last.name]);
    try {
      const res = await request(svc.app).get('/healthcheck');
      expect(res.status).toBe(503);
      expect(res.text).toBe('database schema not up to date');
      const detailed = await request(appOf(svc, { healthcheck: { detailed: true } })).get('/healthcheck?detailed');
      expect(detailed.body.reasons).toEqual([{ class: 'Database', reason: 'database schema not up to date',
        details: `migrations not applied: ${last.name} (run climate-manage db sync)` }]);
    } finally {
      await svc.services.db.execute('INSERT INTO climate_migrations (name) VALUES (?)', [last.name]);
    }
    expect((await request(svc.app).get('/healthcheck')).status).toBe(200);
  });
});

describe('/healthcheck and the API with the MariaDB database dropped under the running app', () => {
  let svc: TestService;
  beforeAll(async () => { svc = await startTestService({ dialect: 'mariadb', listen: true }); });
  afterAll(async () => { await svc.close(); });

  it('healthcheck 503 "database unavailable", revealing nothing; API requests 503 saying the database is unavailable', async () => {
    expect((await fetch(`${svc.url}/healthcheck`)).status).toBe(200);
    expect((await fetch(`${svc.url}/v1/os-hosts`, { method: 'POST', body: JSON.stringify({ name: 'h1' }) })).status).toBe(201);
    const name = new URL(svc.services.config.database.connection).pathname.slice(1);
    await svc.services.db.execute(`DROP DATABASE ${name}`);

    const text = await fetch(`${svc.url}/healthcheck`);
    expect(text.status).toBe(503);
    expect(await text.text()).toBe('database unavailable');
    const json = await fetch(`${svc.url}/healthcheck`, { headers: { Accept: 'application/json' } });
    expect(json.status).toBe(503);
    expect(await json.json()).toEqual({ detailed: false, reasons: ['database unavailable'] });
    expect((await fetch(`${svc.url}/healthcheck`, { method: 'HEAD' })).status).toBe(503);

    for (const [method, url] of [['GET', '/v1/leases'], ['GET', '/v1/os-hosts'], ['POST', '/v1/os-hosts']]) {
      const res = await fetch(`${svc.url}${url}`, { method, body: method === 'POST' ? JSON.stringify({ name: 'h2' }) : undefined });
      expect(`${method} ${url} ${res.status}`).toBe(`${method} ${url} 503`);
      expect(await res.json()).toEqual({
        error_code: 503, error_name: 503, error_message: 'Database unavailable: the request could not be completed; try again later',
      });
    }
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
    const app = appOf(svc, { database: probeOf(hung), healthcheck: { timeoutMs: 200 } });
    const started = Date.now();
    const res = await request(app).get('/healthcheck');
    expect(Date.now() - started).toBeLessThan(3000);
    expect(res.status).toBe(503);
    expect(res.text).toBe('database did not answer within 200 ms');
  });
});

describe('DatabaseHealth', () => {
  it('shares one database query between probes that arrive together', async () => {
    let calls = 0;
    let release!: () => void;
    const probe: DatabaseProbe = {
      unappliedMigrations: () => { calls++; return new Promise<string[]>((resolve) => { release = () => resolve([]); }); },
    };
    const health = new DatabaseHealth(probe, silentLogger, 5000);
    const answers = Promise.all([health.check(), health.check(), health.check()]);
    release();
    expect((await answers).map((a) => a.available)).toEqual([true, true, true]);
    expect(calls).toBe(1);
    const next = health.check();
    release();
    await next;
    expect(calls).toBe(2);
  });

  it('logs the cause when it starts failing and when it recovers, not at every probe', async () => {
    let fail = true;
    const lines: string[] = [];
    const health = new DatabaseHealth({
      unappliedMigrations: async () => { if (fail) throw new Error('ECONNREFUSED 10.0.0.9:3306'); return []; },
    }, createLogger({ write: (line) => lines.push(line) }));
    for (let i = 0; i < 3; i++) {
      expect(await health.check()).toEqual({
        check: 'Database', available: false, reason: 'database unavailable', details: 'Error: ECONNREFUSED 10.0.0.9:3306',
      });
    }
    fail = false;
    expect((await health.check()).available).toBe(true);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/ERROR .*healthcheck: failing.*ECONNREFUSED/);
    expect(lines[1]).toMatch(/INFO .*answers again/);
  });
});
