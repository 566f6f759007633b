import express, { type Express, type RequestHandler } from 'express';
import type { NoauthIdentity, Policy } from '../auth';
import type { Logger } from '../common';
import type { AvailabilityService, LeaseService, UsageReport } from '../leases';
import type { FloatingIpInventory } from '../plugins/floatingip';
import type { MetricsRegistry } from '../metrics';
import type { HostCalendar, HostCapacity, HostInventory } from '../plugins/physical-host';
import type { VolumePoolInventory } from '../plugins/virtual-volume';
import type { QuotaService } from '../quotas';
import { accessLogMiddleware } from './middleware/access-log';
import { noauthMiddleware, requestIdMiddleware } from './middleware/context';
import { errorHandler, notFoundHandler } from './middleware/errors';
import { httpMetricsMiddleware } from './middleware/metrics';
import { microversionMiddleware } from './middleware/microversion';
import { API_ROUTES, DASHBOARD_ROUTE, findRoute, HEALTHCHECK_ROUTE, METRICS_ROUTE } from './routes';
import { availabilityRouter } from './routers/availability';
import { dashboardRouter } from './routers/dashboard';
import { floatingIpsRouter } from './routers/floatingips';
import { DatabaseHealth, healthcheckRouter, type DatabaseProbe, type HealthcheckOptions } from './routers/health';
import { hostsRouter } from './routers/hosts';
import { leasesRouter } from './routers/leases';
import { metricsRouter } from './routers/metrics';
import { quotasRouter } from './routers/quotas';
import { usageRouter } from './routers/usage';
import { versionsRouter } from './routers/versions';
import { volumePoolsRouter } from './routers/volume-pools';
import type { RequestValidator } from './validation';

export interface ApiDeps {
  leases: LeaseService;
  /** Served at POST /v1/leases/availability; absent: not mounted. */
  availability?: AvailabilityService;
  hosts: HostInventory;
  floatingIps: FloatingIpInventory;
  /** GET /v1/os-hosts/capacity; absent: not mounted. */
  hostCapacity?: HostCapacity;
  /** GET /v1/os-hosts/calendar (the dashboard's host calendar); absent: not mounted. */
  hostCalendar?: HostCalendar;
  /** GET /v1/usage; absent: not mounted. */
  usage?: UsageReport;
  /** Served at /v1/volume-pools; absent: not mounted. */
  volumePools?: VolumePoolInventory;
  /** Served at /v1/quotas; absent: not mounted. */
  quotas?: QuotaService;
  policy: Policy;
  validator: RequestValidator;
  logger: Logger;
  /** Asked by /healthcheck: does the database answer, with the schema this code needs? */
  database: DatabaseProbe;
  /** Served at /metrics, with the request metrics added; null: no /metrics (`[DEFAULT] metrics_enabled = false`). */
  metrics: MetricsRegistry | null;
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
  /** /healthcheck: drain file, details, database timeout (oslo.middleware's healthcheck options). */
  healthcheck?: HealthcheckOptions;
  /** The dashboard at /dashboard/ (`[dashboard] enabled`); absent: not served. */
  dashboard?: {
    /** The built assets (null: not built, /dashboard/ says so). */
    assetsDir: string | null;
    /** Keystone's v3 root users sign in against; null in noauth mode. */
    keystoneUrl: string | null;
  };
}

/** The HTTP API: express app with Blazar's routes, headers and error bodies. */
export function createApp(deps: ApiDeps, options: ApiOptions): Express {
  const routes = [...API_ROUTES, HEALTHCHECK_ROUTE, ...(deps.metrics ? [METRICS_ROUTE] : []), ...(options.dashboard ? [DASHBOARD_ROUTE] : [])];
  const authenticate = options.authenticate ?? noauthMiddleware(options.noauth);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // First, so that the time measured is the whole request's.
  if (deps.metrics) app.use(httpMetricsMiddleware(deps.metrics, routes));
  app.use(requestIdMiddleware());
  app.use(accessLogMiddleware(deps.logger.child('access')));
  app.use(microversionMiddleware());
  app.use(versionsRouter());
  // For load balancers and scrapers: no token, no body.
  app.use(healthcheckRouter(new DatabaseHealth(deps.database, deps.logger.child('healthcheck'), options.healthcheck?.timeoutMs),
    options.healthcheck));
  if (deps.metrics) app.use(metricsRouter(deps.metrics));
  if (options.dashboard) {
    app.use(dashboardRouter({ ...options.dashboard, authenticate, policy: deps.policy, logger: deps.logger.child('dashboard') }));
  }
  // Authentication before the body is read: unauthenticated requests cost no parsing.
  app.use('/v1', authenticate);
  // Any content type is read as JSON: some clients omit the header, and a non-JSON body is then a clear 400.
  app.use(express.json({ limit: options.maxBodyBytes, type: () => true, strict: false }));
  if (deps.availability) app.use('/v1/leases/availability', availabilityRouter(deps.availability, deps.validator));
  app.use('/v1/leases', leasesRouter(deps.leases, deps.validator, { defaultLimit: options.defaultPageLimit, maxLimit: options.maxPageLimit }));
  app.use('/v1/os-hosts', hostsRouter(deps.hosts, deps.policy, deps.validator, deps.hostCapacity, deps.hostCalendar));
  if (deps.usage) app.use('/v1/usage', usageRouter(deps.usage, deps.validator));
  app.use('/v1/floatingips', floatingIpsRouter(deps.floatingIps, deps.policy, deps.validator));
  if (deps.quotas) app.use('/v1/quotas', quotasRouter(deps.quotas, deps.validator));
  if (deps.volumePools) app.use('/v1/volume-pools', volumePoolsRouter(deps.volumePools, deps.policy, deps.validator));
  app.use(notFoundHandler((path) => [...(findRoute(routes, path)?.methods ?? [])]));
  app.use(errorHandler(deps.logger, options.debug));
  return app;
}
