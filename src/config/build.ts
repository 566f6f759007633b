import { defaultValues, type OptionValues } from './schema';
import type { ClimateConfig, DeepPartial, EndpointConfig } from './types';

/** Converts section/option values (file names and units) to the ClimateConfig shape, without freezing. */
export function toClimateConfig(v: OptionValues): ClimateConfig {
  const d = v.DEFAULT;
  const m = v.manager;
  const n = v.notifications;
  const k = v.keystone_authtoken;
  return {
    default: {
      host: d.host,
      port: d.port,
      authStrategy: d.auth_strategy,
      cleaningTimeMinutes: d.cleaning_time,
      availabilityMaxHorizonDays: d.availability_max_horizon_days,
      debug: d.debug,
      logFormat: d.log_format,
      logOutput: d.log_output,
      metricsEnabled: d.metrics_enabled,
      noauth: { userId: d.noauth_user_id, projectId: d.noauth_project_id, roles: [...d.noauth_roles] },
      apiMaxBodyBytes: d.api_max_body_bytes,
      apiDefaultPageLimit: d.api_default_page_limit,
      apiMaxPageLimit: d.api_max_page_limit,
    },
    database: {
      connection: v.database.connection,
      maxPoolSize: v.database.max_pool_size,
      maxRetries: v.database.max_retries,
      wsrepSyncWait: v.database.wsrep_sync_wait,
      autoMigrate: v.database.auto_migrate,
    },
    manager: {
      plugins: [...m.plugins],
      minutesBeforeEndLease: m.minutes_before_end_lease,
      minutesBeforeStartLease: m.minutes_before_start_lease,
      pollIntervalMs: secondsToMs(m.poll_interval),
      eventMaxRetries: m.event_max_retries,
      eventClaimMs: secondsToMs(m.event_claim_seconds),
      eventRetryDelayMs: secondsToMs(m.event_retry_delay),
      metricsPort: m.metrics_port,
      metricsHost: m.metrics_host || d.host,
    },
    compute: { driver: v.compute.driver },
    notifications: {
      driver: n.driver,
      topics: [...n.topics],
      publisherId: n.publisher_id,
      exchange: n.exchange,
      transportUrl: n.transport_url,
      retentionHours: n.retention_hours,
    },
    provisioner: {
      transportUrl: v.provisioner.transport_url,
      exchange: v.provisioner.exchange,
      topic: v.provisioner.topic,
      queue: v.provisioner.queue,
      onBeforeStart: v.provisioner.on_before_start,
      onEnd: v.provisioner.on_end,
      concurrency: v.provisioner.concurrency,
      timeoutMs: secondsToMs(v.provisioner.timeout),
      retries: v.provisioner.retries,
    },
    keystoneAuthtoken: {
      authUrl: k.auth_url,
      wwwAuthenticateUri: k.www_authenticate_uri,
      authType: k.auth_type,
      username: k.username,
      password: k.password,
      projectName: k.project_name,
      userDomainName: k.user_domain_name,
      projectDomainName: k.project_domain_name,
      jwsPublicKeyRepository: k.jws_public_key_repository,
      tokenCacheTimeMs: secondsToMs(k.token_cache_time),
    },
    osloPolicy: { policyFile: v.oslo_policy.policy_file },
    dashboard: { enabled: v.dashboard.enabled },
    healthcheck: { disableByFilePath: v.healthcheck.disable_by_file_path, detailed: v.healthcheck.detailed },
    nova: {
      ...endpoint(v.nova),
      aggregateFreepoolName: v.nova.aggregate_freepool_name,
      availabilityZonePrefix: v.nova.availability_zone_prefix,
      requestTimeoutMs: secondsToMs(v.nova.request_timeout),
      requestRetries: v.nova.request_retries,
      retryDelayMs: secondsToMs(v.nova.retry_delay),
      instanceDeleteTimeoutMs: secondsToMs(v.nova.instance_delete_timeout),
      reconcileIntervalMs: secondsToMs(v.nova.reconcile_interval),
      reconcileRepair: v.nova.reconcile_repair,
      healingIntervalMs: secondsToMs(v.nova.healing_interval),
    },
    placement: endpoint(v.placement),
    heat: {
      ...endpoint(v.heat),
      stackCreateTimeoutMs: secondsToMs(v.heat.stack_create_timeout),
      stackDeleteTimeoutMs: secondsToMs(v.heat.stack_delete_timeout),
      stackPollIntervalMs: secondsToMs(v.heat.stack_poll_interval),
    },
    cinder: endpoint(v.cinder),
    neutron: endpoint(v.neutron),
    enforcement: {
      enabledFilters: [...v.enforcement.enabled_filters],
      maxLeaseDurationSeconds: v.enforcement.max_lease_duration,
      maxLeaseDurationExemptProjectIds: [...v.enforcement.max_lease_duration_exempt_project_ids],
      reservationExtensionWindowSeconds: v.enforcement.reservation_extension_window,
      externalServiceEndpoint: v.enforcement.external_service_endpoint,
      externalServiceCheckCreate: v.enforcement.external_service_check_create,
      externalServiceCheckUpdate: v.enforcement.external_service_check_update,
      externalServiceOnEnd: v.enforcement.external_service_on_end,
      externalServiceToken: v.enforcement.external_service_token,
      externalServiceTimeoutMs: secondsToMs(v.enforcement.external_service_timeout),
    },
    quotas: {
      defaults: {
        hosts: v.quotas.hosts, host_hours: v.quotas.host_hours, instance_slots: v.quotas.instance_slots, leases: v.quotas.leases,
        max_lease_duration: v.quotas.max_lease_duration, max_extension: v.quotas.max_extension,
      },
      hostHoursPeriodSeconds: v.quotas.host_hours_period,
    },
  };
}

function endpoint(section: OptionValues['placement']): EndpointConfig {
  return { endpointType: section.endpoint_type, regionName: section.region_name, endpointOverride: section.endpoint_override };
}

/** Rounded so 0.1 s gives 100, not 100.00000000000001, and timers get whole milliseconds. */
function secondsToMs(seconds: number): number {
  return Math.round(seconds * 1000);
}

/** The configuration with every option at its default, deeply frozen. */
export function defaultConfig(): ClimateConfig {
  return deepFreeze(toClimateConfig(defaultValues()));
}

/**
 * Defaults with some values replaced, deeply frozen; for tests. Overrides are not checked against the schema,
 * so a test can set values a file could not (say a 10 ms poll interval).
 *
 * @example configWith({ default: { authStrategy: 'keystone' }, manager: { pollIntervalMs: 10 } })
 */
export function configWith(overrides: DeepPartial<ClimateConfig>): ClimateConfig {
  return deepFreeze(merge(toClimateConfig(defaultValues()), overrides) as ClimateConfig);
}

function merge(base: unknown, override: unknown): unknown {
  if (override === undefined) return base;
  if (!isPlainObject(base) || !isPlainObject(override)) return Array.isArray(override) ? [...override] : override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = merge(base[key], value);
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Freezes `value` and everything reachable from it, so no module can change the configuration another relies on. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

const HIDDEN = '***';

/**
 * A copy that is safe to log: the keystone password is replaced by "***", and so is the password part of the
 * database and broker URLs (the rest of a URL helps when debugging a connection problem).
 */
export function redactConfig(config: ClimateConfig): ClimateConfig {
  return deepFreeze({
    ...config,
    database: { ...config.database, connection: redactUrl(config.database.connection) },
    notifications: { ...config.notifications, transportUrl: redactUrlList(config.notifications.transportUrl) },
    provisioner: { ...config.provisioner, transportUrl: redactUrlList(config.provisioner.transportUrl) },
    keystoneAuthtoken: {
      ...config.keystoneAuthtoken,
      password: config.keystoneAuthtoken.password === '' ? '' : HIDDEN,
    },
    enforcement: {
      ...config.enforcement,
      externalServiceToken: config.enforcement.externalServiceToken === '' ? '' : HIDDEN,
    },
  });
}

/** A broker URL may be a comma-separated failover list: each URL's password is hidden. */
function redactUrlList(value: string): string {
  return value.split(',').map((part) => redactUrl(part)).join(',');
}

/**
 * Hides the password of `scheme://user:password@host`. The user info ends at the last "@" before the path, so an
 * unencoded "@" in the password is hidden too; anything else with an "@" that does not parse is hidden whole.
 */
export function redactUrl(value: string): string {
  if (value === '' || /^sqlite:/i.test(value)) return value;
  const match = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/?#]*)@(.*)$/s.exec(value);
  if (match) {
    const [, scheme, userInfo, rest] = match;
    const colon = userInfo.indexOf(':');
    return colon < 0 ? value : `${scheme}${userInfo.slice(0, colon)}:${HIDDEN}@${rest}`;
  }
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^@]*$/.test(value) ? value : HIDDEN;
}
