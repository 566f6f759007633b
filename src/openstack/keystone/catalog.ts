/** The service catalog as Keystone returns it in a token (`token.catalog`). */
export interface CatalogEndpoint {
  id?: string;
  interface: string;
  /** Region id; Keystone sends both `region` and `region_id`. */
  region?: string | null;
  region_id?: string | null;
  url: string;
}

export interface CatalogEntry {
  id?: string;
  type: string;
  name?: string;
  endpoints: CatalogEndpoint[];
}

export type EndpointInterface = 'public' | 'internal' | 'admin';

/** `publicURL`, `internalURL` and `adminURL` (the keystoneauth spellings) are accepted too. */
export function normalizeInterface(value: string): EndpointInterface {
  const v = value.trim().toLowerCase().replace(/url$/, '');
  if (v === 'public' || v === 'internal' || v === 'admin') return v;
  throw new Error(`unknown endpoint interface "${value}" (use public, internal or admin)`);
}

export interface EndpointQuery {
  /** Service type, e.g. "compute". */
  type: string;
  interface: EndpointInterface;
  /** Region id; empty or undefined: any region (the first endpoint found). */
  region?: string;
}

/** Raised when the catalog has no endpoint for what Climate needs: names what was looked for and what exists. */
export class EndpointNotFound extends Error {
  constructor(query: EndpointQuery, catalog: readonly CatalogEntry[]) {
    const entries = catalog.filter((e) => e.type === query.type);
    const found = entries.flatMap((e) => e.endpoints.map((ep) => `${ep.interface} in ${ep.region_id ?? ep.region ?? 'no region'}`));
    super(
      `No "${query.type}" endpoint with interface "${query.interface}"${query.region ? ` in region "${query.region}"` : ''} ` +
        `in the service catalog${entries.length ? ` (there are: ${found.join(', ') || 'none'})` : ` (the catalog has no "${query.type}" service)`}`,
    );
    this.name = 'EndpointNotFound';
  }
}

/** The URL of the endpoint matching `query`, without a trailing slash. */
export function findEndpoint(catalog: readonly CatalogEntry[], query: EndpointQuery): string {
  for (const entry of catalog) {
    if (entry.type !== query.type) continue;
    for (const endpoint of entry.endpoints ?? []) {
      if (endpoint.interface !== query.interface) continue;
      const region = endpoint.region_id ?? endpoint.region ?? '';
      if (query.region && region !== query.region) continue;
      return endpoint.url.replace(/\/+$/, '');
    }
  }
  throw new EndpointNotFound(query, catalog);
}

/** How Climate reaches one service: `[<service>] endpoint_type`, `region_name` and `endpoint_override`. */
export interface EndpointSettings {
  /** public, internal or admin (publicURL etc. accepted). */
  endpointType: string;
  /** Empty: any region. */
  regionName: string;
  /** When set, used as is and the catalog is not consulted. */
  endpointOverride: string;
}

/** The services Climate calls, by catalog type, with the configuration section each one is set up in. */
export const SERVICE_SECTIONS = {
  compute: 'nova',
  placement: 'placement',
  orchestration: 'heat',
  volumev3: 'cinder',
  network: 'neutron',
} as const;

export type ServiceType = keyof typeof SERVICE_SECTIONS;

/**
 * Endpoints of the other OpenStack services, from the service user's catalog (or a trust-scoped token's),
 * chosen by type, interface and region as configured, unless an override URL is set.
 */
export class Endpoints {
  constructor(
    private readonly settings: Readonly<Record<ServiceType, EndpointSettings>>,
    private readonly serviceCatalog: () => Promise<readonly CatalogEntry[]>,
  ) {}

  /** The endpoint of `type` in the service user's catalog. */
  async url(type: ServiceType): Promise<string> {
    const override = this.settings[type].endpointOverride;
    if (override) return override.replace(/\/+$/, '');
    return this.urlIn(await this.serviceCatalog(), type);
  }

  /** The endpoint of `type` in a given catalog (e.g. that of a trust-scoped token). */
  urlIn(catalog: readonly CatalogEntry[], type: ServiceType): string {
    const s = this.settings[type];
    if (s.endpointOverride) return s.endpointOverride.replace(/\/+$/, '');
    return findEndpoint(catalog, { type, interface: normalizeInterface(s.endpointType), region: s.regionName || undefined });
  }
}
