import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import { REQUEST_ID_FORMAT, requestScope } from '../../common';
import { noauthContext, type NoauthIdentity, type RequestContext } from '../../auth';

/**
 * Gives each request its id (`x-openstack-request-id: req-<uuid>`, in the response) and runs the rest of the
 * request inside that scope, so log lines carry it. A valid `X-OpenStack-Request-ID` sent by the caller (Heat,
 * Horizon, another service) is kept as the global request id, as oslo.middleware does: logged next to Climate's
 * own and forwarded to the services Climate calls. Anything else in that header is ignored.
 */
export function requestIdMiddleware(): RequestHandler {
  return (req, res, next) => {
    const requestId = `req-${randomUUID()}`;
    const sent = req.get('x-openstack-request-id')?.trim();
    const globalRequestId = sent && REQUEST_ID_FORMAT.test(sent) ? sent : undefined;
    res.locals.requestId = requestId;
    if (globalRequestId) res.locals.globalRequestId = globalRequestId;
    res.set('x-openstack-request-id', requestId);
    requestScope.run({ requestId, globalRequestId }, next);
  };
}

/** Identity for noauth mode (Keystone mode plugs in its own middleware here). */
export function noauthMiddleware(defaults: NoauthIdentity): RequestHandler {
  return (req, res, next) => {
    const globalRequestId = res.locals.globalRequestId as string | undefined;
    res.locals.context = {
      ...noauthContext(req.headers, defaults, String(res.locals.requestId)), ...(globalRequestId ? { globalRequestId } : {}),
    };
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
