import type { Logger } from '../common';
import type { ClimateConfig } from '../config';
import type { Repositories } from '../db';
import { UsageEnforcement } from './enforcement';
import { ExternalServiceFilter } from './external-service';
import { MaxLeaseDurationFilter } from './max-lease-duration';
import type { UsageFilter } from './types';

export interface EnforcementDeps {
  repos: Repositories;
  logger: Logger;
  /** Climate's Keystone service token; null when Climate has no service user. */
  serviceToken: (() => Promise<string>) | null;
}

const FILTERS = ['MaxLeaseDurationFilter', 'ExternalServiceFilter'] as const;

/**
 * The filters of `[enforcement] enabled_filters`, in that order.
 * @throws Error naming the option, for an unknown filter or an external service Climate could not call
 */
export function buildEnforcement(config: ClimateConfig, deps: EnforcementDeps): UsageEnforcement {
  const e = config.enforcement;
  const filters: UsageFilter[] = [];
  for (const name of e.enabledFilters) {
    if (name === 'MaxLeaseDurationFilter') {
      filters.push(new MaxLeaseDurationFilter({
        maxSeconds: e.maxLeaseDurationSeconds, exemptProjectIds: e.maxLeaseDurationExemptProjectIds,
        extensionWindowSeconds: e.reservationExtensionWindowSeconds,
      }));
    } else if (name === 'ExternalServiceFilter') {
      const overrides = { 'check-create': e.externalServiceCheckCreate, 'check-update': e.externalServiceCheckUpdate, 'on-end': e.externalServiceOnEnd };
      if (!e.externalServiceEndpoint && !Object.values(overrides).some(Boolean)) {
        throw new Error('[enforcement] ExternalServiceFilter needs external_service_endpoint (or external_service_check_create, '
          + '_check_update or _on_end)');
      }
      const configured = e.externalServiceToken;
      const serviceToken = deps.serviceToken;
      if (!configured && !serviceToken) {
        throw new Error('[enforcement] ExternalServiceFilter needs external_service_token, or Climate\'s service user '
          + '([keystone_authtoken] auth_url, username, password, project_name) for a Keystone token');
      }
      filters.push(new ExternalServiceFilter({
        endpoint: e.externalServiceEndpoint, overrides, timeoutMs: e.externalServiceTimeoutMs,
        token: configured ? async () => configured : serviceToken!,
      }));
    } else {
      throw new Error(`[enforcement] enabled_filters: unknown filter "${name}" (available: ${FILTERS.join(', ')})`);
    }
  }
  const k = config.keystoneAuthtoken;
  return new UsageEnforcement(filters, deps.repos, deps.logger, {
    authUrl: k.wwwAuthenticateUri || k.authUrl || null,
    regionName: config.nova.regionName || null,
  });
}
