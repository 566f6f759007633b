/**
 * The dashboard in a real browser (Debian's Chromium through playwright-core) against climate-api:
 * - in keystone mode against a real Keystone: a member signs in, creates a lease with the earliest-slot helper,
 *   finds it on the host calendar in the right row at the right time, extends it (the bar grows) and deletes it;
 *   other projects' bookings are anonymous bars; a reader cannot create; a revoked token and sign-out lead back to
 *   the sign-in page; no console errors;
 * - in noauth mode with 1,000 hosts and 10,000 leases: the calendar's first screen, timed by the page itself with
 *   the Performance API (the number goes to the README; the assertion is only that it rendered).
 * Screenshots of every view go to var/screenshots/.
 */
import type { Browser, Page } from 'playwright-core';
import { keystoneMode, KeystoneAdmin, login, revokeToken, type Login } from '../support/keystone-admin';
import { startKeystone, KEYSTONE_INSTALL_TIMEOUT_MS, KEYSTONE_START_TIMEOUT_MS, type TestKeystone } from '../support/keystone';
import { startTestService, type TestService } from '../support/service';
import { launchChromium, openPage, screenshot, type WatchedPage } from '../support/browser';
import { seedCalendar } from './calendar-seed';

jest.setTimeout(180_000);

const PASSWORD = 'pw-for-dashboard';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
type Json = Record<string, unknown>;

let browser: Browser;
beforeAll(async () => { browser = await launchChromium(); }, 60_000);
afterAll(async () => { await browser?.close(); });

/** The API's `YYYY-MM-DD HH:MM` (UTC). */
const requestDate = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

async function api(base: string, method: string, path: string, token: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${base}${path}`, {
    method, headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) as Json : {} };
}

async function signIn(page: Page, base: string, user: string, project: string): Promise<void> {
  await page.goto(`${base}/dashboard/`);
  // By keyboard, as a user without a mouse would.
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByLabel('Project').fill(project);
  await page.getByLabel('Password').press('Enter');
  await page.getByRole('heading', { name: 'Leases' }).waitFor();
}

/** The token the page keeps in its session storage. */
async function sessionToken(page: Page): Promise<string> {
  return (JSON.parse(String(await page.evaluate('sessionStorage.getItem("climate.token")'))) as { token: string }).token;
}

/** A bar's place in its track, as fractions of the track's width. */
async function barGeometry(page: Page, leaseId: string): Promise<{ hostId: string; left: number; width: number }> {
  const bar = page.locator(`.gantt-row a.bar[data-lease-id="${leaseId}"]`).first();
  await bar.waitFor();
  return bar.evaluate((el) => {
    const track = el.parentElement!.getBoundingClientRect();
    const box = el.getBoundingClientRect();
    return { hostId: el.closest('.gantt-row')!.getAttribute('data-host-id')!, left: (box.left - track.left) / track.width, width: box.width / track.width };
  });
}

describe('dashboard in keystone mode, against a real Keystone', () => {
  let keystone: TestKeystone;
  let svc: TestService;
  let admin: Login;
  const hostIds: string[] = [];
  let bobLease: Json;

  beforeAll(async () => {
    keystone = await startKeystone({ provider: 'fernet' });
    const kadmin = await KeystoneAdmin.connect(keystone.url, keystone.adminPassword);
    await kadmin.createWorld(PASSWORD, [['alice', 'alpha', 'member'], ['rita', 'alpha', 'reader'], ['bob', 'beta', 'member']]);
    svc = await startTestService({ listen: true, config: keystoneMode(keystone, PASSWORD, { tokenCacheTimeMs: 1000 }) });
    admin = await login(keystone.url, 'admin', keystone.adminPassword, { project: 'admin' });
    for (const [i, gpu] of [[1, 'true'], [2, 'false'], [3, 'true']] as const) {
      const host = await api(svc.url, 'POST', '/v1/os-hosts', admin.token, { name: `compute-${i}`, vcpus: 16, memory_mb: 65536, local_gb: 100, gpu });
      expect(host.status).toBe(201);
      hostIds.push(String((host.json.host as Json).id));
    }
    // Project beta holds every host for four hours from the next full hour on: alice's earliest slot is after it.
    const bob = await login(keystone.url, 'bob', PASSWORD, { project: 'beta' });
    const t0 = Math.ceil(Date.now() / HOUR) * HOUR + HOUR;
    const created = await api(svc.url, 'POST', '/v1/leases', bob.token, {
      name: 'beta-secret-lease', start_date: requestDate(t0), end_date: requestDate(t0 + 4 * HOUR), events: [],
      reservations: [{ resource_type: 'physical:host', min: 3, max: 3, hypervisor_properties: '', resource_properties: '' }],
    });
    expect(created.status).toBe(201);
    bobLease = created.json.lease as Json;
  }, KEYSTONE_INSTALL_TIMEOUT_MS + KEYSTONE_START_TIMEOUT_MS);

  afterAll(async () => {
    await svc?.close();
    await keystone?.stop();
  });

  it('a member creates a lease at the earliest slot, sees it on the calendar, extends it and deletes it', async () => {
    const { page, context, errors } = await openPage(browser);
    try {
      await page.goto(`${svc.url}/dashboard/`);
      await page.getByRole('heading', { name: 'Sign in to Climate' }).waitFor();
      await screenshot(page, 'sign-in');
      await signIn(page, svc.url, 'alice', 'alpha');
      expect(await page.evaluate('({ session: Object.keys(sessionStorage), local: Object.keys(localStorage), cookie: document.cookie })'))
        .toEqual({ session: ['climate.token'], local: [], cookie: '' });
      await expect(page.getByTestId('who').textContent()).resolves.toContain('alice');
      // A member may not list hosts: no Hosts view.
      await expect(page.getByRole('link', { name: 'Hosts' }).count()).resolves.toBe(0);

      await page.getByRole('link', { name: 'Create a lease', exact: true }).first().click();
      await page.getByRole('heading', { name: 'Create a lease' }).waitFor();
      await page.getByLabel('Name').fill('alpha-gantt');
      await page.getByLabel('Duration (hours)').fill('2');
      await page.getByRole('button', { name: 'Find the earliest slot' }).click();
      const note = page.getByText(/^Earliest slot:/);
      await note.waitFor();
      const bobEnd = Date.parse(`${String(bobLease.end_date).slice(0, 16)}:00Z`);
      // Every host is beta's until bobEnd: the earliest two hours start there.
      await expect(page.getByLabel('Start').inputValue()).resolves.toBe(new Date(bobEnd).toISOString().slice(0, 16));
      await expect(page.getByLabel('End').inputValue()).resolves.toBe(new Date(bobEnd + 2 * HOUR).toISOString().slice(0, 16));
      await screenshot(page, 'create');
      await page.getByRole('button', { name: 'Create the lease' }).click();
      await page.getByRole('heading', { name: 'Lease alpha-gantt' }).waitFor();
      const leaseId = page.url().split('#/lease/')[1];
      expect(leaseId).toMatch(/^[0-9a-f-]{36}$/);

      // Which host it got, asked as the admin; the calendar shows the bar in that host's row.
      const allocations = await api(svc.url, 'GET', `/v1/os-hosts/allocations?lease_id=${leaseId}`, admin.token);
      const held = (allocations.json.allocations as { resource_id: string; reservations: unknown[] }[]).filter((a) => a.reservations.length);
      expect(held).toHaveLength(1);
      await page.getByRole('link', { name: 'Host calendar' }).click();
      const before = await barGeometry(page, leaseId);
      expect(before.hostId).toBe(held[0].resource_id);
      const [viewStart, viewEnd] = await page.locator('.gantt').evaluate((el) => [Number(el.getAttribute('data-view-start')), Number(el.getAttribute('data-view-end'))]);
      expect(before.left).toBeCloseTo((bobEnd - viewStart) / (viewEnd - viewStart), 2);
      expect(before.width).toBeCloseTo((2 * HOUR) / (viewEnd - viewStart), 2);
      // Beta's lease: one anonymous bar on every host, its name nowhere on the page.
      const others = page.locator('.gantt-row .bar.other');
      await expect(others.count()).resolves.toBe(3);
      await expect(others.first().getAttribute('aria-label')).resolves.toMatch(/^Booked by another project/);
      await expect(page.locator('.gantt-row .bar.other[data-lease-id]').count()).resolves.toBe(0);
      expect(await page.content()).not.toContain('beta-secret-lease');
      // A day from a little before now, for the screenshot: the lease's name fits in its bar.
      await page.getByRole('button', { name: '1 day' }).click();
      await page.getByRole('button', { name: 'Now' }).click();
      await page.getByText(/^\d{4}-\d\d-\d\d \d\d:\d\d UTC to .* · 3 hosts$/).waitFor();
      await expect(page.locator(`a.bar[data-lease-id="${leaseId}"]`).textContent()).resolves.toBe('alpha-gantt');
      await screenshot(page, 'calendar');

      // Extend by a day: the bar grows by a day's width.
      await page.locator(`a.bar[data-lease-id="${leaseId}"]`).click();
      await page.getByRole('heading', { name: 'Lease alpha-gantt' }).waitFor();
      await screenshot(page, 'lease');
      await page.getByRole('button', { name: 'Extend' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Extend' }).click();
      await page.getByText(/^Extended to/).waitFor();
      await page.getByTestId('lease-end').filter({ hasText: new Date(bobEnd + 26 * HOUR).toISOString().slice(0, 16).replace('T', ' ') }).waitFor();
      await page.getByRole('link', { name: 'Host calendar' }).click();
      const after = await barGeometry(page, leaseId);
      expect(after.hostId).toBe(before.hostId);
      expect(after.width).toBeCloseTo(before.width + DAY / (viewEnd - viewStart), 2);

      // Delete, confirmed: gone from the list and the calendar.
      await page.locator(`a.bar[data-lease-id="${leaseId}"]`).click();
      await page.getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
      await page.getByRole('heading', { name: 'Leases' }).waitFor();
      await page.getByText('No leases.').waitFor();
      await screenshot(page, 'leases');
      expect((await api(svc.url, 'GET', `/v1/leases/${leaseId}`, admin.token)).status).toBe(404);
      await page.getByRole('link', { name: 'Host calendar' }).click();
      await page.locator('.gantt-row').first().waitFor();
      await expect(page.locator(`[data-lease-id="${leaseId}"]`).count()).resolves.toBe(0);

      // Signing out revokes the token at Keystone.
      const token = await sessionToken(page);
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.getByText('You are signed out.').waitFor();
      await expect(page.evaluate('sessionStorage.length')).resolves.toBe(0);
      const check = await fetch(`${keystone.url}/auth/tokens`, { headers: { 'X-Auth-Token': admin.token, 'X-Subject-Token': token } });
      expect(check.status).toBe(404);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a reader sees the project\'s leases but no way to create or change them', async () => {
    const alice = await login(keystone.url, 'alice', PASSWORD, { project: 'alpha' });
    const lease = await api(svc.url, 'POST', '/v1/leases', alice.token, {
      name: 'alpha-readable', start_date: requestDate(Date.now() + 10 * DAY), end_date: requestDate(Date.now() + 11 * DAY), reservations: [], events: [],
    });
    expect(lease.status).toBe(201);
    const { page, context, errors } = await openPage(browser);
    try {
      await signIn(page, svc.url, 'rita', 'alpha');
      await page.getByRole('link', { name: 'alpha-readable' }).waitFor();
      await expect(page.getByRole('link', { name: 'Create a lease' }).count()).resolves.toBe(0);
      await page.goto(`${svc.url}/dashboard/#/create`);
      await page.getByText('Your role in this project may not create leases.').waitFor();
      await page.goto(`${svc.url}/dashboard/#/lease/${(lease.json.lease as Json).id}`);
      await page.getByRole('heading', { name: 'Lease alpha-readable' }).waitFor();
      await expect(page.getByRole('button', { name: /Delete|Extend|Rename/ }).count()).resolves.toBe(0);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('a revoked token sends the user back to the sign-in page', async () => {
    const { page, context, errors } = await openPage(browser);
    try {
      await signIn(page, svc.url, 'alice', 'alpha');
      const token = await sessionToken(page);
      await revokeToken(keystone.url, token);
      // Climate remembers a valid token for a second here; the leases view polls every few seconds.
      await page.getByRole('heading', { name: 'Sign in to Climate' }).waitFor({ timeout: 60_000 });
      await page.getByText('Your session has ended; sign in again.').waitFor();
      await expect(page.evaluate('sessionStorage.length')).resolves.toBe(0);
      // The refused request itself is the only error the browser logs.
      expect(errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('an admin sees every view, names on every bar, capacity and the hosts; a narrow window still works', async () => {
    const { page, context, errors } = await openPage(browser);
    try {
      await page.goto(`${svc.url}/dashboard/`);
      await page.getByLabel('User name').fill('admin');
      await page.getByLabel('Password').fill(keystone.adminPassword);
      await page.getByLabel('Project').fill('admin');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Leases' }).waitFor();
      await page.getByRole('link', { name: 'Hosts' }).click();
      await page.getByRole('cell', { name: 'compute-3' }).waitFor();
      await expect(page.getByRole('cell', { name: /gpu=true/ }).count()).resolves.toBe(2);
      await screenshot(page, 'hosts');
      await page.getByRole('link', { name: 'Capacity' }).click();
      await page.locator('.chart svg rect.free').first().waitFor({ state: 'attached' });
      await screenshot(page, 'capacity');
      await page.getByRole('link', { name: 'Host calendar' }).click();
      await page.locator('.gantt-row .bar', { hasText: 'beta-secret-lease' }).first().waitFor();
      await page.getByText('compute-1').first().waitFor();
      // Filter by property: two GPU hosts.
      await page.getByText('Filter by host property').click();
      await page.getByRole('button', { name: 'Add a condition' }).click();
      await page.getByLabel('Property', { exact: true }).fill('gpu');
      await page.getByLabel('Value').fill('true');
      await page.getByRole('button', { name: 'Apply the filter' }).click();
      await page.getByText('· 2 hosts').waitFor();
      await page.setViewportSize({ width: 390, height: 800 });
      await page.getByRole('link', { name: 'Leases' }).click();
      await page.getByRole('heading', { name: 'Leases' }).waitFor();
      await expect(page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1')).resolves.toBe(true);
      await screenshot(page, 'leases-narrow');
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});

describe('calendar speed: 1,000 hosts × 10,000 leases (noauth)', () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService({ listen: true });
    await seedCalendar(svc.services.db, 1000, 10_000, Math.floor(Date.now() / DAY) * DAY);
  }, 180_000);
  afterAll(async () => { await svc?.close(); });

  it('renders the first screen of the calendar, timed with the Performance API', async () => {
    const { page, context, errors }: WatchedPage = await openPage(browser);
    try {
      await page.goto(`${svc.url}/dashboard/#/calendar`);
      await page.waitForFunction(() => performance.getEntriesByName('climate:calendar:first-screen').length > 0, undefined, { timeout: 120_000 });
      const ms = await page.evaluate(() => performance.getEntriesByName('climate:calendar:first-screen')[0].duration);
      const rows = await page.locator('.gantt-row').count();
      // Virtualised: a screenful of rows (plus a few above and below), not a thousand.
      expect(rows).toBeGreaterThan(10);
      expect(rows).toBeLessThan(60);
      await expect(page.locator('.gantt-row .bar').count()).resolves.toBeGreaterThan(rows);
      await page.getByText('· 1000 hosts').waitFor({ timeout: 120_000 });
      const allMs = await page.evaluate('performance.getEntriesByName("climate:calendar:all-hosts")[0].duration') as number;
      // Scrolling to the end draws the last hosts.
      await page.locator('.gantt-body').evaluate((el) => { el.scrollTop = el.scrollHeight; });
      await page.locator('.gantt-row[data-host-id="1000"]').waitFor();
      await screenshot(page, 'calendar-1000-hosts');
      process.stdout.write(`dashboard calendar, 1000 hosts x 10000 leases: first screen ${ms.toFixed(0)} ms, all hosts ${allMs.toFixed(0)} ms\n`);
      expect(ms).toBeGreaterThan(0);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
