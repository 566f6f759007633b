import request from 'supertest';
import type { RequestContext } from '../../../src/auth';
import { ManualClock, type Logger } from '../../../src/common';
import type { ClimateConfig, DeepPartial } from '../../../src/config';
import { FakeNovaPlacement } from '../../fakes/nova-placement';
import type { TestDialect } from '../../support/database';
import { startTestService, type TestService } from '../../support/service';

/**
 * The OpenStack clients' timeout in tests: the fakes answer in milliseconds, but a loaded 2-core machine can stall a
 * process for a good part of a second (0.3 s was too little); tests that inject a `hang` wait this long once.
 */
export const TEST_REQUEST_TIMEOUT_MS = 2000;

export const ADMIN_CTX: RequestContext = { userId: 'u1', projectId: 'p1', roles: ['admin'], isAdmin: true, requestId: 'req-test' };

export interface NovaWorld {
  fake: FakeNovaPlacement;
  svc: TestService;
  clock: ManualClock;
  /** Registers hosts through the API; returns their ids. */
  register(...names: string[]): Promise<string[]>;
  /** Runs due events, advancing the clock by the event retry delays in between, until nothing is due. */
  runEvents(rounds?: number): Promise<void>;
  close(): Promise<void>;
}

export interface NovaWorldOptions {
  /** SQLite by default. */
  dialect?: TestDialect;
  /** Silent by default; pass one to look at what Climate logs. */
  logger?: Logger;
  /** Listen on 127.0.0.1 (for the openstack CLI); off by default. */
  listen?: boolean;
}

/** Climate with [compute] driver = nova against the fake Nova/Placement (no Keystone: endpoint overrides, no token). */
export async function novaWorld(config: DeepPartial<ClimateConfig> = {}, setup?: (fake: FakeNovaPlacement) => void,
  options: NovaWorldOptions = {}): Promise<NovaWorld> {
  const fake = await new FakeNovaPlacement().start();
  fake.addAggregate('freepool');
  setup?.(fake);
  const clock = new ManualClock(new Date('2030-01-01T12:00:00Z'));
  const svc = await startTestService({
    clock, dialect: options.dialect, logger: options.logger, listen: options.listen,
    config: {
      ...config,
      compute: { driver: 'nova' },
      manager: { eventMaxRetries: 3, eventRetryDelayMs: 1000, minutesBeforeEndLease: 0, ...config.manager },
      nova: {
        // Limits a busy machine never reaches for a healthy answer: only an injected `hang` runs into them.
        endpointOverride: fake.novaUrl, requestTimeoutMs: TEST_REQUEST_TIMEOUT_MS, requestRetries: 1, retryDelayMs: 5, instanceDeleteTimeoutMs: 5000,
        reconcileIntervalMs: 0, ...config.nova,
      },
      placement: { endpointOverride: fake.placementUrl },
    },
  });
  return {
    fake, svc, clock,
    async register(...names) {
      const ids: string[] = [];
      for (const name of names) {
        const res = await request(svc.app).post('/v1/os-hosts').send({ name });
        if (res.status !== 201) throw new Error(`registering ${name}: ${res.status} ${JSON.stringify(res.body)}`);
        ids.push(res.body.host.id);
      }
      return ids;
    },
    async runEvents(rounds = 6) {
      for (let i = 0; i < rounds; i++) {
        await svc.services.runner.runDueOnce();
        clock.advance(4000);
      }
    },
    async close() {
      await svc.close();
      await fake.stop();
    },
  };
}
