import { databaseUrlProblem } from './database-url';

/** What every option declares, whatever its type. */
interface OptionBase<K extends string, V> {
  readonly kind: K;
  readonly default: V;
  /** One or more sentences; shown in the sample file. */
  readonly help: string;
  /** Secret values are never echoed: not in error messages, not by redactConfig. */
  readonly secret?: boolean;
}

/** Free text. */
export type StringOption = OptionBase<'string', string>;
/** A URL, or empty for "not set". `schemes` restricts the scheme; `check` adds option-specific rules. */
export interface UrlOption extends OptionBase<'url', string> {
  readonly schemes?: readonly string[];
  /** Returns why the (non-empty) value is unusable, or undefined. */
  readonly check?: (value: string) => string | undefined;
}
/** A whole number within [min, max]. */
export interface IntOption extends OptionBase<'int', number> {
  readonly min?: number;
  readonly max?: number;
}
/** A decimal number within [min, max]. */
export interface FloatOption extends OptionBase<'float', number> {
  readonly min?: number;
  readonly max?: number;
}
/** true/false, yes/no, on/off, 1/0. */
export type BoolOption = OptionBase<'bool', boolean>;
/** Comma-separated values; empty items are dropped. */
export type ListOption = OptionBase<'list', readonly string[]>;
/** One of a fixed set of words. */
export interface EnumOption<C extends string = string> extends OptionBase<'enum', C> {
  readonly choices: readonly C[];
}

/** Any option declaration. */
export type OptionSpec = StringOption | UrlOption | IntOption | FloatOption | BoolOption | ListOption | EnumOption;

/** The TypeScript type of an option's value (enums keep their literal choices). */
export type ValueOf<O> = O extends EnumOption<infer C> ? C : O extends OptionBase<string, infer V> ? V : never;

type Extra<O> = Omit<O, 'kind' | 'default' | 'help'>;

const str = (def: string, help: string, extra: Extra<StringOption> = {}): StringOption => ({ kind: 'string', default: def, help, ...extra });
const url = (def: string, help: string, extra: Extra<UrlOption> = {}): UrlOption => ({ kind: 'url', default: def, help, ...extra });
const int = (def: number, help: string, extra: Extra<IntOption> = {}): IntOption => ({ kind: 'int', default: def, help, ...extra });
const float = (def: number, help: string, extra: Extra<FloatOption> = {}): FloatOption => ({ kind: 'float', default: def, help, ...extra });
const bool = (def: boolean, help: string): BoolOption => ({ kind: 'bool', default: def, help });
const list = (def: readonly string[], help: string): ListOption => ({ kind: 'list', default: def, help });
const oneOf = <const C extends string>(choices: readonly C[], def: NoInfer<C>, help: string): EnumOption<C> => ({
  kind: 'enum',
  default: def,
  help,
  choices,
});

/** How Climate finds another OpenStack service: in its service user's catalog, or at a fixed URL. */
function endpointOptions(service: string) {
  return {
    endpoint_type: oneOf(
      ['public', 'internal', 'admin', 'publicURL', 'internalURL', 'adminURL'],
      'public',
      `Which endpoint of ${service} in the service catalog Climate calls (the interface).`,
    ),
    region_name: str('', `Region of the ${service} endpoint. Empty: the first one in the catalog.`),
    endpoint_override: url('', `URL of ${service} to use instead of looking it up in the service catalog.`, { schemes: ['http', 'https'] }),
  };
}

/**
 * Every option Climate reads, by section then name, each declared once. The sample file, the loader's
 * conversions and checks, and the types of the loaded values all come from here. Key order is the order of
 * the sample file.
 */
export const SCHEMA = {
  DEFAULT: {
    host: str('127.0.0.1', 'IP address the API server listens on.'),
    port: int(1234, 'TCP port the API server listens on.', { min: 1, max: 65535 }),
    auth_strategy: oneOf(
      ['noauth', 'keystone'],
      'noauth',
      'How API requests are authenticated. "keystone" validates the X-Auth-Token header with Keystone. ' +
        '"noauth" trusts the X-User-Id, X-Project-Id and X-Roles headers as sent, falling back to the ' +
        'noauth_* options; use it only for development and tests.',
    ),
    cleaning_time: int(
      0,
      'Minutes a host stays free after a lease ends before another lease may start on it, e.g. to wipe it.',
      { min: 0 },
    ),
    availability_max_horizon_days: int(
      90,
      'Longest range, in days from not_before to not_after, that an availability search (POST /v1/leases/availability) ' +
        'or an earliest-fit lease create ("start_date": "earliest") may look through; longer ranges get a 400.',
      { min: 1, max: 3660 },
    ),
    debug: bool(
      false,
      'Log at debug level and put internal error details in the body of 500 responses. Those details can ' +
        'reveal internals to API users: do not enable in production.',
    ),
    log_format: oneOf(['text', 'json'], 'text', 'Log format: "text" lines for people, or one "json" object per line for log collectors.'),
    log_output: oneOf(
      ['stdout', 'stderr'],
      'stdout',
      'Where the services write their log lines. Under systemd both end in the journal (StandardOutput=journal).',
    ),
    metrics_enabled: bool(
      true,
      'Serve Prometheus metrics at /metrics on the API port, without authentication (request counts and ' +
        'latencies, leases by status, due events, notification backlog). Keep the port on an internal network ' +
        'or block /metrics at the load balancer, or turn this off.',
    ),
    noauth_user_id: str('admin', 'With auth_strategy = noauth: user ID of requests that send no X-User-Id header ' +
      'and no X-Project-Id header (a request with a project but no user is "user-of-<project>").'),
    noauth_project_id: str('admin', 'With auth_strategy = noauth: project ID of requests that send no X-Project-Id header.'),
    noauth_roles: list(['admin'], 'With auth_strategy = noauth: roles of requests that send no X-Roles header.'),
    api_max_body_bytes: int(1048576, 'Largest request body the API accepts, in bytes; larger requests are refused.', { min: 1 }),
    api_default_page_limit: int(
      0,
      'How many items a list request returns when it does not send "limit". 0 returns them all, as Blazar does.',
      { min: 0 },
    ),
    api_max_page_limit: int(1000, 'Largest "limit" a list request may ask for; larger values are lowered to this.', { min: 1 }),
  },
  database: {
    connection: url(
      'sqlite:///var/climate.sqlite',
      'Database URL. SQLite: sqlite:///relative/path (relative to the working directory), sqlite:////absolute/path, ' +
        'or sqlite:// for an in-memory database. MySQL: mysql://user:password@host:port/database ' +
        '(mysql+pymysql:// and mariadb:// work too). PostgreSQL: postgresql://user:password@host:port/database ' +
        '(postgres:// and postgresql+psycopg2:// work too). Several MySQL servers, e.g. the nodes of a Galera cluster, as ' +
        'mysql://user:password@node1:3306,node2:3306,node3:3306/database: connections go to the first that answers ' +
        'and is in the cluster, and move to the next when it dies. Other engines (Oracle...) are not supported. ' +
        'Percent-encode special characters in the password.',
      { check: databaseUrlProblem, secret: true },
    ),
    max_pool_size: int(10, 'Most connections kept open to a MySQL/MariaDB or PostgreSQL server.', { min: 1 }),
    max_retries: int(
      8,
      'How many times a write transaction is run again when it met a concurrent one (a deadlock, or on a Galera ' +
        'cluster a failed certification at commit), each after a short random wait, before the request is ' +
        'refused with 503.',
      { min: 0 },
    ),
    wsrep_sync_wait: int(
      0,
      'On a MariaDB Galera cluster: the wsrep_sync_wait each Climate session sets, so that its reads wait until ' +
        'the node has applied what the cluster committed before (1: reads; see MariaDB\'s documentation for the ' +
        'other bits). Set 1 when several nodes take writes, so a process never judges by a node that lags behind. ' +
        '0 leaves the server\'s setting. Ignored by other servers.',
      { min: 0, max: 15 },
    ),
    auto_migrate: bool(
      true,
      'Bring the database schema up to date when the all-in-one service starts. Turn off to run migrations ' +
        'yourself with climate-manage, e.g. when several services share the database.',
    ),
  },
  manager: {
    plugins: list(['physical:host'], 'Resource types that can be reserved: physical:host, virtual:instance, virtual:floatingip, virtual:volume, virtual:stack, flavor:instance.'),
    minutes_before_end_lease: int(
      60,
      'Minutes before a lease ends that its before_end_lease event (the "lease ends soon" notification) happens. ' +
        '0 disables the event.',
      { min: 0 },
    ),
    minutes_before_start_lease: int(
      0,
      'Minutes before a lease starts that its before_start_lease event (a heads-up notification) happens. ' +
        '0 disables the event.',
      { min: 0 },
    ),
    poll_interval: float(0.2, 'Longest time, in seconds, between two looks at the next due time of lease events. A manager '
      + 'sets a timer to the next due time it knows and looks again after each event it runs; this bounds how long an '
      + 'earlier event committed by another process (a separate climate-api, another manager) goes unseen. A look is one '
      + 'indexed query.', { min: 0.01 }),
    event_max_retries: int(5, 'How many times an event whose handling failed is tried again before it is given up.', { min: 0 }),
    event_claim_seconds: int(
      60,
      'Seconds a manager owns an event it has picked up. If it has not finished by then (it may have crashed), ' +
        'another manager may take the event over.',
      { min: 1 },
    ),
    event_retry_delay: float(5, 'Seconds to wait before trying a failed event again.', { min: 0 }),
    metrics_port: int(
      0,
      'TCP port on which climate-manager serves Prometheus metrics at /metrics (its event runs, the process, and ' +
        'the gauges the API serves), without authentication. 0 serves none: the manager has no HTTP port unless ' +
        'asked. The all-in-one serves its metrics on the API port and ignores this.',
      { min: 0, max: 65535 },
    ),
    metrics_host: str('', 'IP address the manager\'s metrics port listens on; empty: [DEFAULT] host.'),
  },
  compute: {
    driver: oneOf(
      ['none', 'nova'],
      'none',
      'Compute service host reservations act on. "nova" drives Nova (host aggregates); "none" acts on ' +
        'nothing outside Climate, for tests and stand-alone use.',
    ),
  },
  notifications: {
    driver: oneOf(
      ['log', 'stomp', 'noop'],
      'log',
      'Where lease notifications go: "log" writes them to the log, "stomp" sends them to a message broker ' +
        '(see transport_url), "noop" drops them.',
    ),
    topics: list(['notifications'], 'Topics notifications are published on.'),
    publisher_id: str('climate.lease', 'Publisher ID carried by every notification.'),
    exchange: str('climate', 'Exchange notifications are published to (stomp driver).'),
    transport_url: url(
      '',
      'Message broker URL for the stomp driver, e.g. stomp://user:password@broker:61613/ (the path is the ' +
        'virtual host, "/" when empty; stomp+ssl:// for TLS; ?heartbeat=SECONDS, default 10, 0 disables). ' +
        'Several URLs separated by commas are tried in turn (failover). Notifications go to the destination ' +
        '/exchange/<exchange>/<topic>.<priority>; the exchange must exist (its consumers declare it).',
      { secret: true },
    ),
    retention_hours: int(72, 'Hours notifications are kept in the database after they were sent.', { min: 1 }),
  },
  provisioner: {
    transport_url: url(
      '',
      'climate-provisioner: STOMP broker URL(s), as [notifications] transport_url. Empty: [notifications] transport_url.',
      { secret: true },
    ),
    exchange: str('climate', 'climate-provisioner: exchange Climate publishes notifications to ([notifications] exchange).'),
    topic: str('notifications', 'climate-provisioner: notification topic to listen on (one of [notifications] topics).'),
    queue: str(
      'climate-provisioner',
      'climate-provisioner: name of the durable queue it reads, bound to <exchange> with routing key <topic>.info. ' +
        'Notifications wait there while the provisioner is down; provisioners sharing the name share the work.',
    ),
    on_before_start: str(
      '',
      'climate-provisioner: command run for each host of a host reservation on lease.event.before_start_lease, e.g. ' +
        '"ipmitool -I lanplus -H {bmc_address} -U {bmc_user} -P {bmc_password} chassis power on". Split into ' +
        'arguments like a shell would (quotes, backslashes), then {name} in each argument is replaced by the ' +
        'host\'s field or extra capability (id, hypervisor_hostname, ...) or by lease_id, lease_name, project_id, ' +
        'user_id, reservation_id, start_date, end_date, seconds_until_start, event_type. Run without a shell; ' +
        'a value never becomes more than one argument. Empty: nothing is run.',
    ),
    on_end: str('', 'climate-provisioner: command run for each host on lease.event.end_lease, as on_before_start. Empty: nothing is run.'),
    concurrency: int(4, 'climate-provisioner: most commands running at the same time.', { min: 1 }),
    timeout: int(120, 'climate-provisioner: seconds a command may run before it is killed (and counted as failed).', { min: 1 }),
    retries: int(2, 'climate-provisioner: how many times a failed command is run again (with a growing delay) before it is given up.', { min: 0 }),
  },
  keystone_authtoken: {
    auth_url: url('', 'Keystone URL used to validate tokens, e.g. http://keystone:5000/v3.', { schemes: ['http', 'https'] }),
    www_authenticate_uri: url(
      '',
      'Keystone URL clients are told to get a token from (WWW-Authenticate header of 401 responses). ' +
        'Empty: auth_url.',
      { schemes: ['http', 'https'] },
    ),
    auth_type: oneOf(['password'], 'password', 'How Climate\'s service user logs in to Keystone; only "password" is supported.'),
    username: str('', 'Name of Climate\'s service user.'),
    password: str('', 'Password of Climate\'s service user.', { secret: true }),
    project_name: str('', 'Project Climate\'s service user logs in to.'),
    user_domain_name: str('Default', 'Domain of Climate\'s service user.'),
    project_domain_name: str('Default', 'Domain of the project in project_name.'),
    jws_public_key_repository: str(
      '',
      'Directory of the public keys Keystone signs JWS tokens with (its jws_public_key_repository, copied). ' +
        'When set, the signature and expiry of JWS tokens are checked locally, so forged, altered and expired ' +
        'tokens are refused without asking Keystone; valid ones are still resolved (roles, catalog) by Keystone.',
    ),
    token_cache_time: int(300, 'Seconds a validated token is remembered before it is checked again; 0 disables the cache.', { min: 0 }),
  },
  oslo_policy: {
    policy_file: str(
      '',
      'YAML file of policy rules that replace Climate\'s built-in defaults rule by rule ("climate-manage policy ' +
        'sample" prints the defaults with what each rule guards). Relative to the working directory. Empty: the ' +
        'defaults only.',
    ),
  },
  nova: {
    ...endpointOptions('Nova (service type compute)'),
    aggregate_freepool_name: str(
      'freepool',
      'With [compute] driver = nova: name of the Nova host aggregate that holds reservable hosts while no lease ' +
        'has them (the scheduler filter keeps ordinary instances off them). It must exist: start-up fails otherwise.',
    ),
    availability_zone_prefix: str(
      'climate_',
      'With [compute] driver = nova: the availability zone of a host reservation\'s aggregate is this prefix followed ' +
        'by the reservation id. Empty: reservation aggregates get no availability zone.',
    ),
    request_timeout: float(30, 'Seconds one request to Nova or Placement may take before it counts as unanswered.', { min: 0.01 }),
    request_retries: int(
      3,
      'How many times a request to Nova or Placement that got no answer or a 5xx is tried again (only requests that ' +
        'are safe to repeat), with a doubling delay.',
      { min: 0 },
    ),
    retry_delay: float(0.5, 'Seconds before the first retry of a failed Nova or Placement request; doubles with each retry.', { min: 0 }),
    instance_delete_timeout: int(
      300,
      'Seconds Climate waits, when a lease ends, for the instances left on its hosts to be deleted before the ' +
        'event counts as failed (and is retried).',
      { min: 1 },
    ),
    reconcile_interval: int(
      300,
      'Seconds between two runs of the reconciler, which compares Nova\'s aggregates with the leases Climate holds ' +
        '(hosts missing from the freepool, aggregates of leases that are over). 0 disables it.',
      { min: 0 },
    ),
    reconcile_repair: bool(
      true,
      'Whether the reconciler repairs what it finds (hosts back to the freepool, leftover aggregates without ' +
        'instances deleted) or only reports it in the log.',
    ),
    healing_interval: int(
      60,
      'Seconds between two checks of the reserved hosts\' state in Nova (compute service down or disabled); ' +
        'reservations holding such hosts are marked degraded. 0 disables it.',
      { min: 0 },
    ),
  },
  placement: endpointOptions('Placement (service type placement)'),
  heat: {
    ...endpointOptions('Heat (service type orchestration)'),
    stack_create_timeout: int(
      600,
      'With [compute] driver = nova: seconds a virtual:stack lease start waits for its Heat stack to be created (also ' +
        'given to Heat as the stack\'s timeout, rounded up to minutes). A stack still being created then fails the ' +
        'event, which is retried and goes on waiting for the same stack.',
      { min: 1 },
    ),
    stack_delete_timeout: int(
      600,
      'With [compute] driver = nova: seconds a virtual:stack lease end waits for its Heat stack to be gone before ' +
        'the event counts as failed (and is retried).',
      { min: 1 },
    ),
    stack_poll_interval: float(2, 'Seconds between two looks at a Heat stack being created or deleted.', { min: 0.01 }),
  },
  cinder: endpointOptions('Cinder (service type volumev3)'),
  neutron: endpointOptions('Neutron (service type network)'),
  dashboard: {
    enabled: bool(
      true,
      'Serve the dashboard (leases, a host calendar, capacity, hosts) at /dashboard/. It signs users in through ' +
        'this API against [keystone_authtoken] www_authenticate_uri (or auth_url), and shows each user exactly what ' +
        'the API lets their token see.',
    ),
  },
  healthcheck: {
    disable_by_file_path: str(
      '',
      'While this file exists, /healthcheck answers 503 "DISABLED BY FILE", so load balancers take this API ' +
        'process out of rotation (to drain it before maintenance). Empty: no such check.',
    ),
    detailed: bool(
      false,
      'Answer /healthcheck requests for JSON (Accept: application/json, or ?detailed) with details: the error ' +
        'behind a failed check, the pending migrations, the Node.js version and platform. /healthcheck needs no ' +
        'token: turn this on only where the API port is not reachable from untrusted networks.',
    ),
  },
  enforcement: {
    enabled_filters: list(
      [],
      'Usage enforcement filters every lease create and update must pass, as in Blazar: MaxLeaseDurationFilter, ' +
        'ExternalServiceFilter. Empty: no enforcement.',
    ),
    max_lease_duration: int(
      -1,
      'MaxLeaseDurationFilter: longest lease, in seconds, from its start to its end. -1: no limit.',
      { min: -1 },
    ),
    max_lease_duration_exempt_project_ids: list([], 'MaxLeaseDurationFilter: projects whose leases may be of any length.'),
    reservation_extension_window: int(
      -1,
      'MaxLeaseDurationFilter: seconds before a lease\'s end from which it may be prolonged by up to ' +
        'max_lease_duration again, counted from its current end, even if the whole lease then exceeds the limit. ' +
        '-1: no such allowance; a prolonged lease must fit the limit as a whole.',
      { min: -1 },
    ),
    external_service_endpoint: url(
      '',
      'ExternalServiceFilter: base URL of the external service; Climate POSTs to <endpoint>/check-create, ' +
        '/check-update and /on-end.',
      { schemes: ['http', 'https'] },
    ),
    external_service_check_create: url('', 'ExternalServiceFilter: absolute URL for check-create instead of the one under the endpoint.', { schemes: ['http', 'https'] }),
    external_service_check_update: url('', 'ExternalServiceFilter: absolute URL for check-update instead of the one under the endpoint.', { schemes: ['http', 'https'] }),
    external_service_on_end: url('', 'ExternalServiceFilter: absolute URL for on-end instead of the one under the endpoint.', { schemes: ['http', 'https'] }),
    external_service_token: str(
      '',
      'ExternalServiceFilter: token sent as X-Auth-Token. Empty: Climate\'s own Keystone service token ' +
        '([keystone_authtoken] service user).',
      { secret: true },
    ),
    external_service_timeout: float(
      10,
      'ExternalServiceFilter: seconds Climate waits for an answer. A check left unanswered refuses the lease; ' +
        'an on-end call is tried again like a failed event ([manager] event_max_retries, event_retry_delay).',
      { min: 0.01 },
    ),
  },
  quotas: {
    hosts: int(
      -1,
      'Default limit of whole hosts (physical:host) a project\'s leases may hold at the same time. Projects get their own ' +
        'limits through PUT /v1/quotas/{project_id}. -1: no limit.',
      { min: -1 },
    ),
    host_hours: int(
      -1,
      'Default limit of host-hours a project\'s leases may hold within any period of host_hours_period (past, ' +
        'running and planned leases together, as GET /v1/usage counts them). -1: no limit.',
      { min: -1 },
    ),
    host_hours_period: int(
      30 * 86_400,
      'Length, in seconds, of the rolling period host_hours limits (default 30 days): no window of this length may ' +
        'hold more host-hours than the limit.',
      { min: 3600 },
    ),
    instance_slots: int(
      -1,
      'Default limit of instance slots (virtual:instance, virtual:stack, flavor:instance) a project\'s leases may ' +
        'hold at the same time. -1: no limit.',
      { min: -1 },
    ),
    leases: int(
      -1,
      'Default limit of leases a project may have at the same time (leases whose windows overlap, not finished). ' +
        '-1: no limit.',
      { min: -1 },
    ),
    max_lease_duration: int(
      -1,
      'Default longest lease, in seconds from its start to its end. Unlike [enforcement] max_lease_duration, it can be ' +
        'set per project. -1: no limit.',
      { min: -1 },
    ),
    max_extension: int(
      -1,
      'Default longest extension, in seconds, one update may move a lease\'s end by. -1: no limit.',
      { min: -1 },
    ),
  },
} as const;

/** The type of SCHEMA. */
export type Schema = typeof SCHEMA;
/** The sections Climate owns. */
export type SectionName = keyof Schema;
/** Converted values by section and option name, typed from the schema. */
export type OptionValues = { [S in SectionName]: { [N in keyof Schema[S]]: ValueOf<Schema[S][N]> } };

/** One schema entry with its place, for code that walks every option. */
export interface OptionEntry {
  readonly section: SectionName;
  readonly name: string;
  readonly spec: OptionSpec;
}

/** Every option in schema order. */
export function listOptions(): OptionEntry[] {
  return (Object.keys(SCHEMA) as SectionName[]).flatMap((section) =>
    Object.entries(SCHEMA[section] as Record<string, OptionSpec>).map(([name, spec]) => ({ section, name, spec })),
  );
}

/** The declaration of `[section] name`, or undefined if Climate has no such option. */
export function findOption(section: string, name: string): OptionSpec | undefined {
  if (!Object.hasOwn(SCHEMA, section)) return undefined;
  const options = SCHEMA[section as SectionName] as Record<string, OptionSpec>;
  return Object.hasOwn(options, name) ? options[name] : undefined;
}

/** Whether Climate owns `[section]` (other sections belong to other tools and are ignored). */
export function isKnownSection(section: string): section is SectionName {
  return Object.hasOwn(SCHEMA, section);
}

/** Every option at its default value. */
export function defaultValues(): OptionValues {
  const values: Record<string, Record<string, unknown>> = {};
  for (const { section, name, spec } of listOptions()) {
    values[section] ??= {};
    values[section][name] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
  }
  return values as OptionValues;
}
