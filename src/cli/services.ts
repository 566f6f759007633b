import { createApp, dashboardAssets, keystoneV3 } from '../api';
import { createValidator, loadOpenApiDocument, type RequestValidator } from '../api/validation';
import * as path from 'node:path';
import { buildKeystoneAuth, Policy, type KeystoneAuth } from '../auth';
import { createLogger, systemClock, withDeadline, type Clock, type Logger } from '../common';
import type { ClimateConfig } from '../config';
import { Database, migrateUp, OpsRepository, Repositories, unappliedMigrations } from '../db';
import { AvailabilityService, LeaseLifecycle, LeaseService, UsageReport } from '../leases';
import { eventRunMetrics, EventRunner, HostHealer, PeriodicJob } from '../manager';
import { createServiceRegistry, type MetricsRegistry } from '../metrics';
import { LogDriver, NoopDriver, NotificationDispatcher, Notifier, StompDriver, type NotificationDriver } from '../notifications';
import { PluginRegistry } from '../plugins';
import { FloatingIpInventory } from '../plugins/floatingip';
import { FloatingIpPlugin, noFloatingIpActions, NeutronFloatingIpActions, VIRTUAL_FLOATINGIP, type FloatingIpActions } from '../plugins/floatingip';
import {
  freepoolOf, HostCalendar, HostCapacity, HostInventory, HostReplacer, noHostActions, NovaHostActions, NovaHostRegistrar, PhysicalHostPlugin, PHYSICAL_HOST,
  ReservationAggregateSync, type HostActions,
} from '../plugins/physical-host';
import {
  InstanceSlotReplacer, noInstanceActions, NovaInstanceActions, VirtualInstancePlugin, VIRTUAL_INSTANCE, type InstanceActions,
} from '../plugins/virtual-instance';
import { buildComputeClients, type ComputeClients } from '../openstack';
import { buildCinderClient } from '../openstack/cinder';
import {
  CinderVolumeActions, noVolumeActions, VirtualVolumePlugin, VIRTUAL_VOLUME, VolumePoolInventory, type VolumeActions,
} from '../plugins/virtual-volume';
import { buildNeutronClient } from '../openstack/neutron';
import { buildHeatClient } from '../openstack/heat';
import { FlavorInstancePlugin, FLAVOR_INSTANCE, novaFlavorLookup, placementTraitHosts, traitHostScope, type ProjectFlavorLookup, type TraitProviderNames } from '../plugins/flavor-instance';
import { HeatStackActions, noStackActions, VirtualStackPlugin, VIRTUAL_STACK, type VirtualStackDeps } from '../plugins/virtual-stack';
import { Reconciler } from '../manager/reconciler';
import { buildEnforcement, OnEndSender, type UsageEnforcement } from '../enforcement';
import { QuotaCheck, QuotaService } from '../quotas';

/** Longest wait for a periodic job to stop (a database or broker that stops answering must not hold the stop forever). */
const CLOSE_STEP_MS = 15_000;
/** Longest wait for the database pool and the broker connection to close, once nothing uses them. */
const CLOSE_CONNECTIONS_MS = 5_000;

/** Everything a Climate process runs on, built in one place from the configuration. */
export interface Services {
  config: ClimateConfig;
  logger: Logger;
  clock: Clock;
  db: Database;
  repos: Repositories;
  plugins: PluginRegistry;
  leases: LeaseService;
  lifecycle: LeaseLifecycle;
  hosts: HostInventory;
  floatingIps: FloatingIpInventory;
  volumePools: VolumePoolInventory;
  policy: Policy;
  /** Keystone session, token validation, trusts and endpoints; null in noauth mode without [keystone_authtoken] auth_url. */
  keystone: KeystoneAuth | null;
  validator: RequestValidator;
  runner: EventRunner;
  dispatcher: NotificationDispatcher;
  dispatchJob: PeriodicJob;
  /** Nova and Placement clients; null with [compute] driver = none. */
  compute: ComputeClients | null;
  /** Compares Nova's aggregates with the database; null with [compute] driver = none. */
  reconciler: Reconciler | null;
  /** Host healing (failed hosts in reservations); null with [compute] driver = none or without physical:host and virtual:instance. */
  healer: HostHealer | null;
  /** Periodic manager jobs besides notification dispatch (reconciler, host healing): started with the event runner. */
  managerJobs: PeriodicJob[];
  /** [enforcement] filters (none enabled: checks nothing). */
  enforcement: UsageEnforcement;
  /** Sends queued on-end calls (a manager job); null unless a filter wants them. */
  onEndSender: OnEndSender | null;
  /**
   * This process' metrics: the process, the database gauges and the event runner's counters. The API serves them
   * at /metrics unless `[DEFAULT] metrics_enabled = false`; climate-manager on `[manager] metrics_port`.
   */
  metrics: MetricsRegistry;
  /** The HTTP app over these services. */
  app(): ReturnType<typeof createApp>;
  /**
   * Stops the manager loops, releases event claims, closes the broker and the database. Never throws: returns
   * what it could not finish, one sentence each (empty when everything stopped cleanly), e.g. claims it could not
   * release because the database was unreachable.
   */
  close(): Promise<string[]>;
}

export interface BuildOptions {
  clock?: Clock;
  logger?: Logger;
  /** Run migrations before returning (the all-in-one and tests). */
  migrate?: boolean;
  /** Receives every SQL statement run (tests counting statements, debugging). */
  logSql?: (sql: string) => void;
}

function notificationDriver(config: ClimateConfig, logger: Logger): NotificationDriver {
  switch (config.notifications.driver) {
    case 'log': return new LogDriver(logger.child('notifications'));
    case 'noop': return new NoopDriver();
    case 'stomp': {
      const { transportUrl, exchange, topics } = config.notifications;
      return new StompDriver({ transportUrl, exchange, topics, logger: logger.child('notifications') });
    }
    default:
      throw new Error(`[notifications] driver = ${config.notifications.driver} is not available in this version; use log or noop`);
  }
}

/** The enabled resource plugins; throws for an unknown resource type in [manager] plugins. */
export function buildPlugins(config: ClimateConfig, repos: Repositories, hostActions: HostActions, instanceActions: InstanceActions,
  floatingIpActions: FloatingIpActions = noFloatingIpActions, volumeActions: VolumeActions = noVolumeActions,
  stack: Omit<VirtualStackDeps, 'instanceActions'> = { stackActions: noStackActions, flavors: null },
  projectFlavors: ProjectFlavorLookup | null = null, traitHosts: TraitProviderNames | null = null): PluginRegistry {
  const registry = new PluginRegistry();
  for (const type of config.manager.plugins) {
    if (type === PHYSICAL_HOST) {
      registry.register(new PhysicalHostPlugin(repos, hostActions, { cleaningTimeMinutes: config.default.cleaningTimeMinutes }));
    } else if (type === VIRTUAL_INSTANCE) {
      registry.register(new VirtualInstancePlugin(repos, instanceActions, stack.clock));
    } else if (type === VIRTUAL_FLOATINGIP) {
      registry.register(new FloatingIpPlugin(repos, floatingIpActions));
    } else if (type === VIRTUAL_VOLUME) {
      registry.register(new VirtualVolumePlugin(repos, volumeActions));
    } else if (type === VIRTUAL_STACK) {
      registry.register(new VirtualStackPlugin(repos, { ...stack, instanceActions }));
    } else if (type === FLAVOR_INSTANCE) {
      registry.register(new FlavorInstancePlugin(repos, instanceActions, projectFlavors, stack.clock, traitHosts));
    } else {
      throw new Error(`[manager] plugins: unknown resource type "${type}" (available: ${PHYSICAL_HOST}, ${VIRTUAL_INSTANCE}, `
        + `${VIRTUAL_FLOATINGIP}, ${VIRTUAL_VOLUME}, ${VIRTUAL_STACK}, ${FLAVOR_INSTANCE})`);
    }
  }
  return registry.freeze();
}

/** Builds the world: database, repositories, plugins, services, manager loops. Nothing starts running yet. */
export async function buildServices(config: ClimateConfig, options: BuildOptions = {}): Promise<Services> {
  const logger = options.logger ?? createLogger({ format: config.default.logFormat, level: config.default.debug ? 'debug' : 'info' });
  const policyFile = config.osloPolicy.policyFile;
  const policy = policyFile ? Policy.fromFile(path.resolve(policyFile), logger.child('policy')) : new Policy();
  // Before the database opens: a missing keystone option fails start-up without leaving anything open.
  const keystone = await buildKeystoneAuth(config, { policy, logger });
  // Also before the database opens: Nova must be reachable and have the freepool aggregate.
  const compute = config.compute.driver === 'nova' ? buildComputeClients(config, { keystone, logger }) : null;
  if (compute) await freepoolOf(compute.nova, config.nova.aggregateFreepoolName);
  const clock = options.clock ?? systemClock;
  const db = new Database({
    connection: config.database.connection, maxPoolSize: config.database.maxPoolSize, maxRetries: config.database.maxRetries,
    wsrepSyncWait: config.database.wsrepSyncWait, logSql: options.logSql,
    onFailover: (from, to) => logger.warning(`database server ${from} does not answer or left its cluster: new connections go to ${to}`),
  });
  const repos = new Repositories(db);
  // Before the database opens too: an unusable [enforcement] section fails start-up with nothing left open.
  const enforcement = buildEnforcement(config, {
    repos, logger: logger.child('enforcement'),
    serviceToken: keystone ? async () => (await keystone.session.serviceToken()).token : null,
  });
  await db.open();
  if (options.migrate) await migrateUp(db);
  const novaHosts = compute ? new NovaHostActions(compute.nova, repos, {
    freepoolName: config.nova.aggregateFreepoolName, availabilityZonePrefix: config.nova.availabilityZonePrefix,
    instanceDeleteTimeoutMs: config.nova.instanceDeleteTimeoutMs,
  }, logger.child('nova')) : null;
  const novaInstances = compute ? new NovaInstanceActions(compute.nova, compute.placement, repos, {
    instanceDeleteTimeoutMs: config.nova.instanceDeleteTimeoutMs,
  }, logger.child('nova')) : null;
  // Plugins that act in the cloud announce what they made or removed in the outbox, with the change.
  const notifier = new Notifier(repos.outbox, clock);
  // Neutron is needed only for floating IP reservations with the nova driver (built like the compute clients).
  const neutronFloatingIps = compute && config.manager.plugins.includes(VIRTUAL_FLOATINGIP)
    ? new NeutronFloatingIpActions(buildNeutronClient(config, { keystone, logger }), logger.child('neutron'), { repos, notifier }) : null;
  // Cinder likewise, only for volume reservations with the nova driver; volumes are made with the lease owner's
  // trust-scoped token (keystone mode), so that Cinder puts them in the owner's project.
  const cinderVolumes = compute && config.manager.plugins.includes(VIRTUAL_VOLUME)
    ? new CinderVolumeActions(buildCinderClient(config, { keystone, logger }), repos,
      { volumeTimeoutMs: config.nova.instanceDeleteTimeoutMs }, logger.child('cinder'), keystone?.trusts ?? null, notifier, compute.nova) : null;
  // Heat likewise, for stack reservations; stacks are made with the lease owner's trust-scoped token (keystone
  // mode). Their status changes are announced in the outbox with the change.
  const heatStacks = compute && config.manager.plugins.includes(VIRTUAL_STACK)
    ? new HeatStackActions(buildHeatClient(config, { keystone, logger }), repos, notifier, keystone?.trusts ?? null, {
      createTimeoutMs: config.heat.stackCreateTimeoutMs, deleteTimeoutMs: config.heat.stackDeleteTimeoutMs,
      pollMs: config.heat.stackPollIntervalMs,
    }, logger.child('heat')) : null;
  const flavors = compute ? async (ref: string) => {
    const f = await compute.nova.findFlavor(ref);
    return f && { vcpus: f.vcpus, memory_mb: f.ram, disk_gb: f.disk };
  } : null;
  // flavor:instance uses only the compute nodes its flavor's trait:* specs allow (Placement, at allocation and healing).
  const traitHosts = compute ? placementTraitHosts(compute.placement) : null;
  const plugins = buildPlugins(config, repos, novaHosts ?? noHostActions, novaInstances ?? noInstanceActions,
    neutronFloatingIps ?? noFloatingIpActions, cinderVolumes ?? noVolumeActions, { stackActions: heatStacks ?? noStackActions, flavors, clock },
    compute ? novaFlavorLookup(compute.nova) : null, traitHosts);
  const reconciler = compute && novaHosts ? new Reconciler(compute.nova, repos, novaHosts,
    { freepoolName: config.nova.aggregateFreepoolName, repair: config.nova.reconcileRepair }, logger.child('reconciler')) : null;
  const managerJobs = reconciler && config.nova.reconcileIntervalMs > 0
    ? [new PeriodicJob('reconciler', config.nova.reconcileIntervalMs, () => reconciler.runOnce(), logger)] : [];
  const slotTypes = plugins.get(VIRTUAL_INSTANCE) || plugins.get(FLAVOR_INSTANCE);
  const healer = compute && (plugins.get(PHYSICAL_HOST) || slotTypes) ? new HostHealer({
    db, repos, nova: compute.nova, notifier, plugins, clock, logger: logger.child('healing'),
    replacer: new HostReplacer(repos, { cleaningTimeMinutes: config.default.cleaningTimeMinutes }),
    aggregates: new ReservationAggregateSync(compute.nova, {
      freepoolName: config.nova.aggregateFreepoolName, instanceDeleteTimeoutMs: config.nova.instanceDeleteTimeoutMs,
    }, logger.child('healing')),
    instances: slotTypes ? new InstanceSlotReplacer(repos, traitHosts ? traitHostScope(traitHosts) : null) : null,
    // The runner is built below; healing runs only once everything is built.
    onEventsChanged: () => runner.wake(),
  }) : null;
  if (healer && config.nova.healingIntervalMs > 0) {
    managerJobs.push(new PeriodicJob('host-healing', config.nova.healingIntervalMs, () => healer.runOnce(), logger));
  }
  const driver = notificationDriver(config, logger);
  const dispatcher = new NotificationDispatcher(repos.outbox, driver, clock, logger.child('notifications'),
    { publisherId: config.notifications.publisherId, retentionHours: config.notifications.retentionHours });
  const dispatchJob = new PeriodicJob('notification-dispatch', 1000, () => dispatcher.runOnce(), logger);
  // /healthcheck and /metrics read through it; one registry however many times app() is called.
  const ops = new OpsRepository(db);
  const metrics = createServiceRegistry(ops, clock, logger.child('metrics'));
  const lifecycle = new LeaseLifecycle({
    db, repos, plugins, notifier, clock, logger: logger.child('lifecycle'), trusts: keystone?.trusts, enforcement,
  });
  const onEndSender = new OnEndSender(repos.enforcementCalls, enforcement, clock, logger.child('enforcement'), {
    maxRetries: config.manager.eventMaxRetries, retryDelayMs: config.manager.eventRetryDelayMs,
    claimMs: Math.max(config.manager.eventClaimMs, 2 * config.enforcement.externalServiceTimeoutMs),
  });
  const sendsOnEnd = config.enforcement.enabledFilters.includes('ExternalServiceFilter');
  if (sendsOnEnd) managerJobs.push(new PeriodicJob('enforcement-on-end', 1000, () => onEndSender.runOnce(), logger));
  const runner = new EventRunner(repos, lifecycle, clock, logger.child('manager'), {
    pollIntervalMs: config.manager.pollIntervalMs, claimMs: config.manager.eventClaimMs,
    maxRetries: config.manager.eventMaxRetries, retryDelayMs: config.manager.eventRetryDelayMs,
    observer: eventRunMetrics(metrics),
    // The lease.start (or end) notification the event committed leaves now, not at the dispatch's next pass.
    afterEvent: () => dispatchJob.wake(),
  });
  const leases = new LeaseService(
    { db, repos, plugins, notifier, clock, logger: logger.child('leases'), onEventsChanged: () => { runner.wake(); dispatchJob.wake(); },
      policy, trusts: keystone?.trusts, enforcement, quotas: new QuotaCheck(repos, config.quotas) },
    { minutesBeforeEndLease: config.manager.minutesBeforeEndLease, minutesBeforeStartLease: config.manager.minutesBeforeStartLease,
      availabilityMaxHorizonDays: config.default.availabilityMaxHorizonDays },
  );
  const availability = new AvailabilityService({ repos, plugins, clock, policy }, {
    maxHorizonDays: config.default.availabilityMaxHorizonDays, defaultLimit: 10, maxLimit: 100,
  });
  const hosts = new HostInventory(db, repos, clock, logger.child('hosts'),
    compute ? new NovaHostRegistrar(compute.nova, config.nova.aggregateFreepoolName) : null);
  const hostCapacity = new HostCapacity(repos, clock, { cleaningTimeMinutes: config.default.cleaningTimeMinutes });
  const hostCalendar = new HostCalendar(repos, clock);
  const usage = new UsageReport({ repos, clock, policy });
  const quotas = new QuotaService({ db, repos, clock, config: config.quotas, policy });
  const floatingIps = new FloatingIpInventory(db, repos, clock);
  const volumePools = new VolumePoolInventory(db, repos, clock);
  const validator = createValidator(loadOpenApiDocument());
  const services: Services = {
    config, logger, clock, db, repos, plugins, leases, lifecycle, hosts, floatingIps, volumePools, policy, keystone, validator, runner, dispatcher, dispatchJob,
    compute, reconciler, healer, managerJobs, metrics, enforcement, onEndSender: sendsOnEnd ? onEndSender : null,
    app: () => createApp({
      leases, availability, hosts, floatingIps, volumePools, hostCapacity, hostCalendar, usage, quotas, policy, validator, logger: logger.child('api'),
      database: { unappliedMigrations: () => unappliedMigrations(db) },
      metrics: config.default.metricsEnabled ? metrics : null,
    }, {
      maxBodyBytes: config.default.apiMaxBodyBytes, debug: config.default.debug,
      defaultPageLimit: config.default.apiDefaultPageLimit, maxPageLimit: config.default.apiMaxPageLimit,
      noauth: config.default.noauth, authenticate: keystone?.middleware ?? undefined,
      healthcheck: { disableByFilePath: config.healthcheck.disableByFilePath, detailed: config.healthcheck.detailed },
      dashboard: config.dashboard.enabled ? {
        assetsDir: dashboardAssets(),
        keystoneUrl: config.default.authStrategy === 'keystone'
          ? keystoneV3(config.keystoneAuthtoken.wwwAuthenticateUri || config.keystoneAuthtoken.authUrl) : null,
      } : undefined,
    }),
    close: async () => {
      const unfinished: string[] = [];
      const step = async (what: string, ms: number, fn: () => Promise<unknown>) => {
        try {
          await withDeadline(fn(), ms, `not done within ${ms / 1000} s`);
        } catch (error) {
          unfinished.push(`could not ${what}: ${(error as Error).message}`);
        }
      };
      // The loops stop side by side (each is bounded), then the connections close: a database or broker that
      // stops answering costs the longest wait once, not every wait in turn.
      await Promise.all([
        runner.stop().then((left) => unfinished.push(...left)),
        step('stop the notification dispatch', CLOSE_STEP_MS, () => dispatchJob.stop()),
        ...managerJobs.map((job) => step('stop a periodic job', CLOSE_STEP_MS, () => job.stop())),
      ]);
      await Promise.all([
        step('close the notification driver', CLOSE_CONNECTIONS_MS, () => driver.close()),
        step('close the database connections', CLOSE_CONNECTIONS_MS, () => db.close()),
      ]);
      return unfinished;
    },
  };
  return services;
}
