import express, { type Express, type RequestHandler } from 'express';
import type { NoauthIdentity, Policy } from '../auth';
import type { Logger } from '../common';
import type { LeaseService } from '../leases';
import type { FloatingIpInventory } from '../plugins/floatingip';
import type { HostInventory } from '../plugins/physical-host';
import { noauthMiddleware, requestIdMiddleware } from './middleware/context';
import { errorHandler, notFoundHandler } from './middleware/errors';
import { microversionMiddleware } from './middleware/microversion';
import { floatingIpsRouter } from './routers/floatingips';
import { hostsRouter } from './routers/hosts';
import { leasesRouter } from './routers/leases';
import { versionsRouter } from './routers/versions';
import type { RequestValidator } from './validation';

export interface ApiDeps {
  leases: LeaseService;
  hosts: HostInventory;
  floatingIps: FloatingIpInventory;
  policy: Policy;
  validator: RequestValidator;
  logger: Logger;
}

export interface ApiOptions {
  maxBodyBytes: number;
  debug: boolean;
  defaultPageLimit: number;
  maxPageLimit: number;
  /** Identity for requests in noauth mode. */
  noauth: NoauthIdentity;
  /** Authentication of /v1 (the Keystone token middleware); noauth when absent. */
  authenticate?: RequestHandler;
}

/** Methods each route answers, for 405 + Allow on the others. */
const ROUTES: [RegExp, string[]][] = [
  [/^\/(versions)?$/, ['GET']],
  [/^\/v1\/?$/, ['GET']],
  [/^\/v1\/leases\/?$/, ['GET', 'POST']],
  [/^\/v1\/leases\/[^/]+\/?$/, ['GET', 'PUT', 'DELETE']],
  [/^\/v1\/os-hosts\/?$/, ['GET', 'POST']],
  [/^\/v1\/os-hosts\/allocations\/?$/, ['GET']],
  [/^\/v1\/os-hosts\/properties\/?$/, ['GET']],
  [/^\/v1\/os-hosts\/properties\/[^/]+\/?$/, ['PATCH']],
  [/^\/v1\/os-hosts\/[^/]+\/?$/, ['GET', 'PUT', 'DELETE']],
  [/^\/v1\/os-hosts\/[^/]+\/allocation\/?$/, ['GET']],
  [/^\/v1\/floatingips\/?$/, ['GET', 'POST']],
  [/^\/v1\/floatingips\/[^/]+\/?$/, ['GET', 'DELETE']],
];

function allowedMethods(path: string): string[] {
  return ROUTES.find(([pattern]) => pattern.test(path))?.[1] ?? [];
}

/** The HTTP API: express app with Blazar's routes, headers and error bodies. */
export function createApp(deps: ApiDeps, options: ApiOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestIdMiddleware());
  app.use(microversionMiddleware());
  app.use(versionsRouter());
  // Authentication before the body is read: unauthenticated requests cost no parsing.
  app.use('/v1', options.authenticate ?? noauthMiddleware(options.noauth));
  // Any content type is read as JSON: some clients omit the header, and a non-JSON body is then a clear 400.
  app.use(express.json({ limit: options.maxBodyBytes, type: () => true, strict: false }));
  app.use('/v1/leases', leasesRouter(deps.leases, deps.validator, { defaultLimit: options.defaultPageLimit, maxLimit: options.maxPageLimit }));
  app.use('/v1/os-hosts', hostsRouter(deps.hosts, deps.policy, deps.validator));
  app.use('/v1/floatingips', floatingIpsRouter(deps.floatingIps, deps.policy, deps.validator));
  app.use(notFoundHandler(allowedMethods));
  app.use(errorHandler(deps.logger, options.debug));
  return app;
}
