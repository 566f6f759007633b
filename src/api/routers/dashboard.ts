import * as fs from 'node:fs';
import * as path from 'node:path';
import express, { Router, type RequestHandler } from 'express';
import type { Policy } from '../../auth';
import { ClimateError, InvalidInput, Unauthorized, type Logger } from '../../common';
import { contextOf } from '../middleware/context';
import { errorBody } from '../middleware/errors';

/** Where `npm run build` puts the dashboard (tools/build-dashboard.mjs), from src/api/routers or dist/src/api/routers. */
const ASSET_DIRS = [path.resolve(__dirname, '../../../dist/dashboard'), path.resolve(__dirname, '../../../dashboard')];

/** The built dashboard, or null when it was not built. */
export function dashboardAssets(): string | null {
  return ASSET_DIRS.find((dir) => fs.existsSync(path.join(dir, 'index.html'))) ?? null;
}

export interface DashboardOptions {
  /** The built pages and scripts; null: /dashboard/ answers 503 saying to run the build. */
  assetsDir: string | null;
  /** Keystone's v3 root users sign in against; null in noauth mode (nobody signs in). */
  keystoneUrl: string | null;
  /** The /v1 authentication, so that the session endpoint sees a token exactly as the API does. */
  authenticate: RequestHandler;
  policy: Policy;
  logger: Logger;
  /** How long a Keystone call may take before the sign-in answers 503. */
  keystoneTimeoutMs?: number;
}

/**
 * The rules the dashboard asks about to decide which views and buttons to show. The API enforces them anyway:
 * this only spares users buttons that would answer 403.
 */
const RULES = {
  create: 'climate:leases:post', update: 'climate:leases:put', delete: 'climate:leases:delete',
  availability: 'climate:leases:availability', calendar: 'climate:oshosts:get_calendar', hosts: 'climate:oshosts:get',
  capacity: 'climate:oshosts:get_capacity', properties: 'climate:oshosts:get_resource_properties', usage: 'climate:usage:get',
} as const;

/** Keystone's v3 root from an operator's URL, which may or may not end in /v3. */
export function keystoneV3(url: string): string {
  const trimmed = url.replace(/\/+$/, '');
  return /\/v3$/.test(trimmed) ? trimmed : `${trimmed}/v3`;
}

class KeystoneUnavailable extends ClimateError {
  constructor(cause: unknown) {
    super(503, 'keystone_unavailable', 'Keystone could not be reached to sign in; try again later', { cause });
  }
}

/**
 * /dashboard/: the static dashboard, and the three calls it needs besides the API: how to sign in (`config`),
 * sign in and out (`tokens`: a password login at Keystone, made here because the browser only knows this origin),
 * and what the current token may do (`session`).
 */
export function dashboardRouter(options: DashboardOptions): Router {
  const router = Router();
  const timeout = options.keystoneTimeoutMs ?? 15_000;
  const keystone = async (method: string, url: string, init: { headers: Record<string, string>; body?: string }) => {
    try {
      return await fetch(url, { method, ...init, signal: AbortSignal.timeout(timeout) });
    } catch (error) {
      throw new KeystoneUnavailable(error);
    }
  };

  router.use('/dashboard', (_req, res, next) => {
    // Everything is served from here: no script, style or font from anywhere else.
    res.set('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    res.set('X-Content-Type-Options', 'nosniff');
    res.set('Referrer-Policy', 'no-referrer');
    next();
  });

  router.get('/dashboard/api/config', (_req, res) => {
    res.json({ auth: options.keystoneUrl ? 'keystone' : 'noauth' });
  });

  router.post('/dashboard/api/tokens', express.json({ limit: 16 * 1024 }), async (req, res) => {
    if (!options.keystoneUrl) throw new InvalidInput('Climate runs without authentication (noauth): there is nothing to sign in to');
    const body = (req.body ?? {}) as Record<string, unknown>;
    const field = (name: string, fallback?: string) => {
      const value = typeof body[name] === 'string' ? (body[name] as string).trim() : '';
      if (!value && fallback === undefined) throw new InvalidInput(`${name} is required`);
      return value || fallback!;
    };
    const [user, password, project, domain] = [field('username'), field('password'), field('project'), field('domain', 'Default')];
    const scopeDomain = { name: domain };
    const auth = {
      identity: { methods: ['password'], password: { user: { name: user, domain: scopeDomain, password } } },
      scope: { project: { name: project, domain: scopeDomain } },
    };
    const answer = await keystone('POST', `${options.keystoneUrl}/auth/tokens?nocatalog`, {
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ auth }),
    });
    const token = answer.headers.get('x-subject-token');
    if (answer.status === 401 || answer.status === 404 || (answer.status === 400 && !token)) {
      // Keystone says no more than this either: which of the four was wrong is not told to a stranger.
      throw new Unauthorized('The user name, password, project or domain is not right');
    }
    if (answer.status !== 201 || !token) {
      options.logger.warning('Keystone refused a dashboard sign-in unexpectedly', { status: answer.status });
      throw new KeystoneUnavailable(new Error(`Keystone answered ${answer.status}`));
    }
    const t = ((await answer.json()) as { token: Record<string, unknown> }).token as {
      expires_at: string; user: { id: string; name: string }; project?: { id: string; name: string }; roles?: { name: string }[];
    };
    res.status(201).set('Cache-Control', 'no-store').json({
      token, expires_at: t.expires_at, user: { id: t.user.id, name: t.user.name }, project: t.project ?? null,
      roles: (t.roles ?? []).map((r) => r.name),
    });
  });

  router.delete('/dashboard/api/tokens', async (req, res) => {
    const token = req.get('X-Auth-Token');
    if (!options.keystoneUrl || !token) { res.status(204).end(); return; }
    // A user may revoke their own token with itself (Keystone's rule token_subject).
    const answer = await keystone('DELETE', `${options.keystoneUrl}/auth/tokens`, { headers: { 'X-Auth-Token': token, 'X-Subject-Token': token } });
    // 401/404: the token was already expired or revoked, which is what signing out wants.
    if (answer.status >= 500) throw new KeystoneUnavailable(new Error(`Keystone answered ${answer.status}`));
    res.status(204).end();
  });

  router.get('/dashboard/api/session', options.authenticate, (_req, res) => {
    const ctx = contextOf(res);
    const may = Object.fromEntries(Object.entries(RULES).map(([key, rule]) => [key, options.policy.check(ctx, rule)]));
    res.set('Cache-Control', 'no-store').json({
      user_id: ctx.userId, user_name: ctx.userName ?? null, project_id: ctx.projectId, project_name: ctx.projectName ?? null,
      roles: ctx.roles, is_admin: ctx.isAdmin, expires_at: ctx.expiresAt ? new Date(ctx.expiresAt).toISOString() : null, may,
    });
  });

  // Relative links in the page need the trailing slash (express matches /dashboard and /dashboard/ alike).
  router.get('/dashboard', (req, res, next) => { if (req.originalUrl.split('?')[0] === '/dashboard') res.redirect(301, '/dashboard/'); else next(); });
  if (options.assetsDir) {
    router.use('/dashboard', express.static(options.assetsDir, { index: 'index.html', redirect: false, setHeaders: (res) => res.set('Cache-Control', 'no-cache') }));
  } else {
    router.get('/dashboard/', (_req, res) => {
      res.status(503).type('text/plain').send('The dashboard was not built: run `npm run build`.\n');
    });
  }
  // Anything else under /dashboard is missing (not a method the API's 405 handler should name).
  router.use('/dashboard', (req, res) => {
    res.status(404).json(errorBody(404, `The resource could not be found: ${req.method} ${req.originalUrl.split('?')[0]}`));
  });
  return router;
}
