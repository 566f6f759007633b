import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { requestScope } from '../../common';
import { noauthContext, type NoauthIdentity, type RequestContext } from '../../auth';

/**
 * Gives each request its id (`x-openstack-request-id: req-<uuid>`) and runs the rest of the request inside
 * that scope, so log lines carry it.
 */
export function requestIdMiddleware(): RequestHandler {
  return (_req, res, next) => {
    const requestId = `req-${randomUUID()}`;
    res.locals.requestId = requestId;
    res.set('x-openstack-request-id', requestId);
    requestScope.run({ requestId }, next);
  };
}

/** Identity for noauth mode (Keystone mode plugs in its own middleware here). */
export function noauthMiddleware(defaults: NoauthIdentity): RequestHandler {
  return (req, res, next) => {
    res.locals.context = noauthContext(req.headers, defaults, String(res.locals.requestId));
    next();
  };
}

export function contextOf(res: Response): RequestContext {
  const ctx = res.locals.context as RequestContext | undefined;
  if (!ctx) throw new Error('no request context: the auth middleware did not run');
  return ctx;
}

/** A path parameter as one string (express types allow arrays for wildcard routes, which we do not use). */
export function pathParam(req: import('express').Request, name: string): string {
  const value = (req.params as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value.join('/') : (value ?? '');
}
