/**
 * The loaded configuration, grouped by section with camelCase names. Durations whose name ends in `Ms` are in
 * milliseconds whatever unit the file uses; other units are in the name (`cleaningTimeMinutes`). The object
 * returned by loadConfig, defaultConfig and configWith is deeply frozen.
 */
export interface ClimateConfig {
  /** [DEFAULT] */
  readonly default: {
    readonly host: string;
    readonly port: number;
    readonly authStrategy: 'noauth' | 'keystone';
    /** Minutes a host stays free between two leases. */
    readonly cleaningTimeMinutes: number;
    /** Longest range an availability search or earliest-fit create looks through. */
    readonly availabilityMaxHorizonDays: number;
    readonly debug: boolean;
    readonly logFormat: 'text' | 'json';
    /** Where processes write their log lines. */
    readonly logOutput: 'stdout' | 'stderr';
    /** Serve /metrics. */
    readonly metricsEnabled: boolean;
    /** Identity of noauth requests that carry no identity headers. */
    readonly noauth: {
      readonly userId: string;
      readonly projectId: string;
      readonly roles: readonly string[];
    };
    readonly apiMaxBodyBytes: number;
    /** 0: no limit unless the request sends one. */
    readonly apiDefaultPageLimit: number;
    readonly apiMaxPageLimit: number;
  };
  /** [database] */
  readonly database: {
    /** SQLAlchemy-style URL; read it with parseDatabaseUrl. May contain a password. */
    readonly connection: string;
    readonly maxPoolSize: number;
    /** Runs of a write transaction after a deadlock or failed certification before 503. */
    readonly maxRetries: number;
    /** Galera's wsrep_sync_wait for every session (0: not set). */
    readonly wsrepSyncWait: number;
    readonly autoMigrate: boolean;
  };
  /** [manager] */
  readonly manager: {
    /** Resource types, e.g. "physical:host". */
    readonly plugins: readonly string[];
    /** 0 disables the before_end_lease event. */
    readonly minutesBeforeEndLease: number;
    /** 0 disables the before_start_lease event. */
    readonly minutesBeforeStartLease: number;
    readonly pollIntervalMs: number;
    readonly eventMaxRetries: number;
    readonly eventClaimMs: number;
    readonly eventRetryDelayMs: number;
    /** climate-manager's /metrics port; 0: none. */
    readonly metricsPort: number;
    /** Where that port listens ([DEFAULT] host unless set). */
    readonly metricsHost: string;
  };
  /** [compute] */
  readonly compute: {
    readonly driver: 'none' | 'nova';
  };
  /** [notifications] */
  readonly notifications: {
    readonly driver: 'log' | 'stomp' | 'noop';
    readonly topics: readonly string[];
    readonly publisherId: string;
    readonly exchange: string;
    /** Empty when not set. May contain a password. */
    readonly transportUrl: string;
    readonly retentionHours: number;
  };
  /** [provisioner] (climate-provisioner) */
  readonly provisioner: {
    /** Empty: use notifications.transportUrl. May contain a password. */
    readonly transportUrl: string;
    readonly exchange: string;
    readonly topic: string;
    readonly queue: string;
    /** Command templates; empty when not set. */
    readonly onBeforeStart: string;
    readonly onEnd: string;
    readonly concurrency: number;
    readonly timeoutMs: number;
    readonly retries: number;
  };
  /** [keystone_authtoken] */
  readonly keystoneAuthtoken: {
    readonly authUrl: string;
    /** Empty when not set; clients should then be sent to authUrl. */
    readonly wwwAuthenticateUri: string;
    readonly authType: 'password';
    readonly username: string;
    /** Secret. */
    readonly password: string;
    readonly projectName: string;
    readonly userDomainName: string;
    readonly projectDomainName: string;
    /** Empty when not set. */
    readonly jwsPublicKeyRepository: string;
    /** 0 disables the token cache. */
    readonly tokenCacheTimeMs: number;
  };
  /** [oslo_policy] */
  /** [dashboard] */
  readonly dashboard: {
    /** Serve the dashboard at /dashboard/. */
    readonly enabled: boolean;
  };
  /** [healthcheck] (oslo.middleware's healthcheck options) */
  readonly healthcheck: {
    /** Empty: no drain file. */
    readonly disableByFilePath: string;
    readonly detailed: boolean;
  };
  readonly osloPolicy: {
    /** Empty: the built-in rules only. */
    readonly policyFile: string;
  };
  /** [nova], [placement], [heat], [cinder], [neutron]: where those services are. */
  readonly nova: NovaConfig;
  readonly placement: EndpointConfig;
  readonly heat: HeatConfig;
  readonly cinder: EndpointConfig;
  readonly neutron: EndpointConfig;
  /** [enforcement]: Blazar's usage enforcement filters. */
  readonly enforcement: EnforcementConfig;
  /** [quotas]: default per-project limits. */
  readonly quotas: QuotasConfig;
}

/** [quotas] */
export interface QuotasConfig {
  /** Limits by their API name (hosts, host_hours, ...): counts, host-hours or seconds; -1: none. */
  readonly defaults: {
    readonly hosts: number;
    readonly host_hours: number;
    readonly instance_slots: number;
    readonly leases: number;
    readonly max_lease_duration: number;
    readonly max_extension: number;
  };
  /** The rolling period host_hours is counted over, in seconds. */
  readonly hostHoursPeriodSeconds: number;
}

/** [enforcement] */
export interface EnforcementConfig {
  /** Filter names as in Blazar (MaxLeaseDurationFilter, ExternalServiceFilter), in the order given. */
  readonly enabledFilters: readonly string[];
  /** Seconds; -1: no limit. */
  readonly maxLeaseDurationSeconds: number;
  readonly maxLeaseDurationExemptProjectIds: readonly string[];
  /** Seconds before a lease's end from which it may be prolonged by the full limit again; -1: none. */
  readonly reservationExtensionWindowSeconds: number;
  /** Empty when not set. */
  readonly externalServiceEndpoint: string;
  readonly externalServiceCheckCreate: string;
  readonly externalServiceCheckUpdate: string;
  readonly externalServiceOnEnd: string;
  /** Secret. Empty: Climate's Keystone service token. */
  readonly externalServiceToken: string;
  readonly externalServiceTimeoutMs: number;
}

/** How Climate finds another OpenStack service. */
export interface EndpointConfig {
  /** Catalog interface: public, internal, admin (or publicURL, ...). */
  readonly endpointType: string;
  /** Empty: any region. */
  readonly regionName: string;
  /** Empty: from the catalog. */
  readonly endpointOverride: string;
}

/** [nova]: where Nova is, and how Climate uses it with [compute] driver = nova. */
export interface NovaConfig extends EndpointConfig {
  readonly aggregateFreepoolName: string;
  /** Empty: reservation aggregates get no availability zone. */
  readonly availabilityZonePrefix: string;
  readonly requestTimeoutMs: number;
  readonly requestRetries: number;
  readonly retryDelayMs: number;
  readonly instanceDeleteTimeoutMs: number;
  /** 0: the reconciler does not run. */
  readonly reconcileIntervalMs: number;
  readonly reconcileRepair: boolean;
  /** 0: host healing does not run. */
  readonly healingIntervalMs: number;
}

/** [heat]: where Heat is, and how long virtual:stack leases wait for their stacks. */
export interface HeatConfig extends EndpointConfig {
  readonly stackCreateTimeoutMs: number;
  readonly stackDeleteTimeoutMs: number;
  readonly stackPollIntervalMs: number;
}

/** Any part of T may be left out; arrays are replaced whole, never merged. */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { -readonly [K in keyof T]?: DeepPartial<T[K]> }
    : T;
