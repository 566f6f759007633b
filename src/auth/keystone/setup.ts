import type { RequestHandler } from 'express';
import type { Logger } from '../../common';
import type { ClimateConfig } from '../../config';
import { Endpoints, type ServiceType, SERVICE_SECTIONS } from '../../openstack/keystone/catalog';
import { KeystoneHttp, keystoneV3Url } from '../../openstack/keystone/http';
import { KeystoneSession } from '../../openstack/keystone/session';
import { TrustsClient } from '../../openstack/keystone/trusts';
import type { Policy } from '../policy';
import { KeystoneLeaseTrusts, type LeaseTrusts } from '../trusts';
import { JwsKeyRing } from './jws';
import { keystoneAuthMiddleware } from './middleware';
import { TokenValidator } from './validator';

/** Most tokens the validation cache holds. */
export const TOKEN_CACHE_SIZE = 10_000;
/** How long one Keystone request may take. */
export const KEYSTONE_TIMEOUT_MS = 10_000;

/** Everything Keystone-related a Climate process uses, built from [keystone_authtoken]. */
export interface KeystoneAuth {
  /** The service user's session: its token, catalog, trust-scoped tokens, and the Keystone call counter. */
  session: KeystoneSession;
  /** Endpoints of the other services ([nova], [placement], ... sections). */
  endpoints: Endpoints;
  /** Lease trusts (create at lease create, delete at delete/end; trust-scoped tokens for plugins). */
  trusts: LeaseTrusts;
  /** Token validation; null unless auth_strategy = keystone. */
  validator: TokenValidator | null;
  /** The API's authentication middleware; null unless auth_strategy = keystone. */
  middleware: RequestHandler | null;
}

export interface KeystoneAuthDeps {
  policy: Policy;
  logger: Logger;
  now?: () => number;
}

/**
 * Builds the Keystone side from the configuration, or returns null when neither auth_strategy = keystone nor
 * an auth_url asks for it. Nothing is sent to Keystone yet: the service user logs in on first use, so the API
 * starts (and answers 503) while Keystone is down.
 * @throws Error naming the missing or unusable option
 */
export async function buildKeystoneAuth(config: ClimateConfig, deps: KeystoneAuthDeps): Promise<KeystoneAuth | null> {
  const k = config.keystoneAuthtoken;
  const keystoneMode = config.default.authStrategy === 'keystone';
  if (!keystoneMode && !k.authUrl) return null;
  const missing = (['authUrl', 'username', 'password', 'projectName'] as const).filter((name) => !k[name]);
  if (missing.length) {
    const names = { authUrl: 'auth_url', username: 'username', password: 'password', projectName: 'project_name' };
    throw new Error(`[keystone_authtoken] ${missing.map((m) => names[m]).join(', ')} must be set` +
      `${keystoneMode ? ' with [DEFAULT] auth_strategy = keystone' : ' for Climate\'s service user'}`);
  }
  const logger = deps.logger.child('keystone');
  const http = new KeystoneHttp({ baseUrl: keystoneV3Url(k.authUrl), timeoutMs: KEYSTONE_TIMEOUT_MS });
  const session = new KeystoneSession(http, {
    username: k.username, password: k.password, projectName: k.projectName,
    userDomainName: k.userDomainName, projectDomainName: k.projectDomainName,
  }, { logger, now: deps.now });
  const settings = Object.fromEntries((Object.keys(SERVICE_SECTIONS) as ServiceType[]).map((type) => [type, config[SERVICE_SECTIONS[type]]]));
  const endpoints = new Endpoints(settings as Record<ServiceType, (typeof config)['nova']>, () => session.catalog());
  const trusts = new KeystoneLeaseTrusts(session, new TrustsClient(session), logger.child('trusts'));
  if (!keystoneMode) return { session, endpoints, trusts, validator: null, middleware: null };

  const jws = k.jwsPublicKeyRepository ? await JwsKeyRing.load(k.jwsPublicKeyRepository, { logger, now: deps.now }) : null;
  const validator = new TokenValidator({
    source: session, jws, cacheTtlMs: k.tokenCacheTimeMs, cacheSize: TOKEN_CACHE_SIZE, logger, now: deps.now,
    isAdmin: (ctx) => deps.policy.check({ ...ctx, isAdmin: false }, 'admin'),
  });
  const middleware = keystoneAuthMiddleware(validator, { wwwAuthenticateUri: k.wwwAuthenticateUri || k.authUrl, logger });
  logger.info(`tokens are validated with Keystone at ${http.baseUrl}, remembered for ${k.tokenCacheTimeMs / 1000} s; ` +
    (jws ? `JWS signatures checked locally with ${jws.size} key(s) from ${k.jwsPublicKeyRepository}` : 'no JWS keys configured'));
  return { session, endpoints, trusts, validator, middleware };
}
