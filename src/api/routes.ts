/** A route the app serves: what it matches, the methods it answers, and its template (the label of its metrics). */
export interface RouteSpec {
  pattern: RegExp;
  methods: readonly string[];
  /** The path with its parameters named, as in openapi.yaml: `/v1/leases/{lease_id}`. */
  template: string;
}

/** The Blazar v1 routes and version discovery: the paths of openapi.yaml. */
export const API_ROUTES: readonly RouteSpec[] = [
  { pattern: /^\/$/, methods: ['GET'], template: '/' },
  { pattern: /^\/versions\/?$/, methods: ['GET'], template: '/versions' },
  { pattern: /^\/v1\/?$/, methods: ['GET'], template: '/v1' },
  { pattern: /^\/v1\/leases\/?$/, methods: ['GET', 'POST'], template: '/v1/leases' },
  { pattern: /^\/v1\/leases\/availability\/?$/, methods: ['POST'], template: '/v1/leases/availability' },
  { pattern: /^\/v1\/leases\/[^/]+\/?$/, methods: ['GET', 'PUT', 'DELETE'], template: '/v1/leases/{lease_id}' },
  { pattern: /^\/v1\/os-hosts\/?$/, methods: ['GET', 'POST'], template: '/v1/os-hosts' },
  { pattern: /^\/v1\/os-hosts\/allocations\/?$/, methods: ['GET'], template: '/v1/os-hosts/allocations' },
  { pattern: /^\/v1\/os-hosts\/capacity\/?$/, methods: ['GET'], template: '/v1/os-hosts/capacity' },
  { pattern: /^\/v1\/os-hosts\/calendar\/?$/, methods: ['GET'], template: '/v1/os-hosts/calendar' },
  { pattern: /^\/v1\/os-hosts\/properties\/?$/, methods: ['GET'], template: '/v1/os-hosts/properties' },
  { pattern: /^\/v1\/os-hosts\/properties\/[^/]+\/?$/, methods: ['PATCH'], template: '/v1/os-hosts/properties/{property_name}' },
  { pattern: /^\/v1\/os-hosts\/[^/]+\/?$/, methods: ['GET', 'PUT', 'DELETE'], template: '/v1/os-hosts/{host_id}' },
  { pattern: /^\/v1\/os-hosts\/[^/]+\/allocation\/?$/, methods: ['GET'], template: '/v1/os-hosts/{host_id}/allocation' },
  { pattern: /^\/v1\/usage\/?$/, methods: ['GET'], template: '/v1/usage' },
  { pattern: /^\/v1\/quotas\/?$/, methods: ['GET'], template: '/v1/quotas' },
  { pattern: /^\/v1\/quotas\/[^/]+\/?$/, methods: ['GET', 'PUT', 'PATCH', 'DELETE'], template: '/v1/quotas/{project_id}' },
  { pattern: /^\/v1\/floatingips\/?$/, methods: ['GET', 'POST'], template: '/v1/floatingips' },
  { pattern: /^\/v1\/floatingips\/[^/]+\/?$/, methods: ['GET', 'DELETE'], template: '/v1/floatingips/{floatingip_id}' },
  { pattern: /^\/v1\/volume-pools\/?$/, methods: ['GET', 'POST'], template: '/v1/volume-pools' },
  { pattern: /^\/v1\/volume-pools\/[^/]+\/?$/, methods: ['GET', 'PUT', 'DELETE'], template: '/v1/volume-pools/{pool_id}' },
];

/** The operators' routes, outside the Blazar API (and outside openapi.yaml). */
export const HEALTHCHECK_ROUTE: RouteSpec = { pattern: /^\/healthcheck\/?$/, methods: ['GET', 'HEAD'], template: '/healthcheck' };
/** The dashboard's pages, assets and sign-in (src/api/dashboard.ts): one label for all of them. */
export const DASHBOARD_ROUTE: RouteSpec = { pattern: /^\/dashboard(\/.*)?$/, methods: ['GET', 'HEAD', 'POST', 'DELETE'], template: '/dashboard' };
export const METRICS_ROUTE: RouteSpec = { pattern: /^\/metrics\/?$/, methods: ['GET', 'HEAD'], template: '/metrics' };

/** Label of requests that match no route (scanners, typos): one series for all of them, never the raw path. */
export const UNMATCHED_ROUTE = 'unmatched';

/** The first route matching `path`, in table order (so `/v1/os-hosts/allocations` wins over `/v1/os-hosts/{host_id}`). */
export function findRoute(routes: readonly RouteSpec[], path: string): RouteSpec | undefined {
  return routes.find((route) => route.pattern.test(path));
}
