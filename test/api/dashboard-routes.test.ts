/**
 * The dashboard's server side without a browser: it is served (or says it was not built), with a strict content
 * security policy; in noauth mode there is nothing to sign in to and the session is noauth's identity; the
 * session says what the caller's roles may do, as policy decides; [dashboard] enabled = false serves nothing.
 */
import request from 'supertest';
import { dashboardAssets, keystoneV3 } from '../../src/api';
import { startTestService, type TestService } from '../support/service';
import { member } from './helpers';

describe('dashboard routes (noauth)', () => {
  let svc: TestService;
  beforeAll(async () => { svc = await startTestService(); });
  afterAll(async () => { await svc.close(); });

  it('redirects /dashboard to /dashboard/ and serves the page with a same-origin-only policy', async () => {
    const redirect = await request(svc.app).get('/dashboard');
    expect([redirect.status, redirect.headers.location]).toEqual([301, '/dashboard/']);
    const page = await request(svc.app).get('/dashboard/');
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    if (dashboardAssets()) {
      expect(page.status).toBe(200);
      expect(page.text).toContain('<script defer src="app.js">');
      const script = await request(svc.app).get('/dashboard/app.js');
      expect(script.status).toBe(200);
      // Nothing is fetched from another origin at run time.
      expect(script.text).not.toMatch(/https?:\/\/(?!www\.w3\.org)[a-z]/i);
    } else {
      expect(page.status).toBe(503);
      expect(page.text).toContain('npm run build');
    }
  });

  it('answers 404 for anything else under /dashboard', async () => {
    for (const path of ['/dashboard/missing.js', '/dashboard/api/nothing']) {
      const res = await request(svc.app).get(path);
      expect([path, res.status, res.body.error_code]).toEqual([path, 404, 404]);
    }
  });

  it('says there is nothing to sign in to, and describes the noauth session', async () => {
    expect((await request(svc.app).get('/dashboard/api/config')).body).toEqual({ auth: 'noauth' });
    const signIn = await request(svc.app).post('/dashboard/api/tokens').send({ username: 'u', password: 'p', project: 'x' });
    expect(signIn.status).toBe(400);
    const session = await request(svc.app).get('/dashboard/api/session');
    expect(session.body).toMatchObject({ project_id: 'admin', roles: ['admin'], is_admin: true });
    expect(Object.values(session.body.may).every(Boolean)).toBe(true);
  });

  it('tells a member what their roles may do: leases and the calendar, not hosts or capacity', async () => {
    const session = await request(svc.app).get('/dashboard/api/session').set(member('alpha'));
    expect(session.body.may).toEqual({
      create: true, update: true, delete: true, availability: true, calendar: true, hosts: false, capacity: false, properties: false, usage: true,
    });
  });

  it('reads Keystone\'s v3 root from either form of the URL', () => {
    expect(keystoneV3('http://keystone:5000')).toBe('http://keystone:5000/v3');
    expect(keystoneV3('http://keystone:5000/v3/')).toBe('http://keystone:5000/v3');
    expect(keystoneV3('https://cloud/identity/v3')).toBe('https://cloud/identity/v3');
  });
});

describe('dashboard disabled', () => {
  it('serves nothing at /dashboard/', async () => {
    const svc = await startTestService({ config: { dashboard: { enabled: false } } });
    try {
      expect((await request(svc.app).get('/dashboard/')).status).toBe(404);
      expect((await request(svc.app).get('/dashboard/api/config')).status).toBe(404);
    } finally {
      await svc.close();
    }
  });
});
