import type { Logger } from '../common';
import type { ClimateConfig } from '../config';
import { ServiceClient } from './http';
import { SERVICE_SECTIONS, type Endpoints, type KeystoneSession, type ServiceType } from './keystone';

/** What the clients of the nova compute driver are built from. */
export interface ServiceClientDeps {
  /** Climate's Keystone session and endpoints; null without Keystone (then each service's endpoint_override is required). */
  keystone: { session: KeystoneSession; endpoints: Endpoints } | null;
  logger: Logger;
  /** The HTTP dispatcher; global fetch by default. */
  fetch?: typeof fetch;
}

/** One OpenStack service as Climate reaches it. */
export interface ServiceSpec {
  /** Its type in the Keystone catalog; its configuration section (and name in logs) follows from it. */
  type: ServiceType;
  /** Turns the endpoint into the root the client's paths start from (e.g. drops a project id suffix). */
  root?: (endpoint: string) => string;
  /** Headers sent with every call (microversions). */
  headers?: Record<string, string>;
}

/**
 * The ServiceClient of one service for [compute] driver = nova. With Keystone, calls carry the service user's
 * token (renewed once when refused) and the endpoint comes from the catalog, or `[<section>]
 * endpoint_override`. Without Keystone (noauth mode without [keystone_authtoken] auth_url) the override is
 * used and no token is sent: for development against a service in noauth mode, and for tests against the
 * fakes. Timeouts and retries are [nova]'s, which govern every call the driver makes. Calls that act for a
 * lease's owner pass that owner's token per call.
 */
export function buildServiceClient(config: ClimateConfig, deps: ServiceClientDeps, spec: ServiceSpec): ServiceClient {
  const { keystone } = deps;
  const section = SERVICE_SECTIONS[spec.type];
  const root = spec.root ?? ((endpoint: string) => endpoint);
  return new ServiceClient({
    service: section,
    baseUrl: async () => root(keystone ? await keystone.endpoints.url(spec.type) : config[section].endpointOverride),
    token: keystone ? async () => (await keystone.session.serviceToken()).token : async () => null,
    invalidateToken: keystone ? (t: string) => keystone.session.invalidateServiceToken(t) : undefined,
    headers: spec.headers,
    timeoutMs: config.nova.requestTimeoutMs,
    retries: config.nova.requestRetries,
    retryDelayMs: config.nova.retryDelayMs,
    logger: deps.logger.child(section),
    fetch: deps.fetch,
  });
}

/**
 * Refuses, without Keystone, services that have no endpoint override: names what needs them and the options
 * that would give them one.
 * @throws Error naming the missing options
 */
export function requireEndpoints(config: ClimateConfig, deps: ServiceClientDeps, neededBy: string, types: ServiceType[]): void {
  if (deps.keystone) return;
  const missing = types.map((t) => SERVICE_SECTIONS[t]).filter((s) => !config[s].endpointOverride);
  if (!missing.length) return;
  throw new Error(`${neededBy} needs Keystone ([keystone_authtoken] auth_url and the service user) or, for development without `
    + `Keystone, ${missing.map((s) => `[${s}] endpoint_override`).join(' and ')}`);
}
