import { configWith, defaultConfig, listOptions, loadConfig, redactConfig, type OptionSpec } from '../../../src/config';
import { loadText, tempDir, writeConf } from './helpers';

const dir = tempDir();

describe('defaultConfig', () => {
  it('has the documented defaults', () => {
    const config = defaultConfig();
    expect(config.default).toMatchObject({
      host: '127.0.0.1',
      port: 1234,
      authStrategy: 'noauth',
      cleaningTimeMinutes: 0,
      debug: false,
      logFormat: 'text',
      logOutput: 'stdout',
      metricsEnabled: true,
      noauth: { userId: 'admin', projectId: 'admin', roles: ['admin'] },
      apiMaxBodyBytes: 1048576,
      apiDefaultPageLimit: 0,
      apiMaxPageLimit: 1000,
    });
    expect(config.database).toEqual({ connection: 'sqlite:///var/climate.sqlite', maxPoolSize: 10, maxRetries: 8, wsrepSyncWait: 0, autoMigrate: true });
    expect(config.manager).toEqual({
      plugins: ['physical:host'],
      minutesBeforeEndLease: 60,
      minutesBeforeStartLease: 0,
      pollIntervalMs: 200,
      eventMaxRetries: 5,
      eventClaimMs: 60000,
      eventRetryDelayMs: 5000,
      metricsPort: 0,
      metricsHost: '127.0.0.1',
    });
    expect(config.compute.driver).toBe('none');
    expect(config.notifications).toMatchObject({ driver: 'log', topics: ['notifications'], publisherId: 'climate.lease', retentionHours: 72 });
    expect(config.keystoneAuthtoken).toMatchObject({ userDomainName: 'Default', projectDomainName: 'Default', tokenCacheTimeMs: 300000 });
  });

  it('is deeply frozen and not shared between calls', () => {
    const a = defaultConfig();
    expect(Object.isFrozen(a.manager.plugins)).toBe(true);
    expect(defaultConfig()).not.toBe(a);
    expect(defaultConfig().manager.plugins).not.toBe(a.manager.plugins);
  });
});

describe('configWith', () => {
  it('replaces only the values given, deep inside groups', () => {
    const config = configWith({ default: { port: 9, noauth: { roles: ['member'] } }, manager: { pollIntervalMs: 10 } });
    expect(config.default.port).toBe(9);
    expect(config.default.noauth).toEqual({ userId: 'admin', projectId: 'admin', roles: ['member'] });
    expect(config.default.host).toBe('127.0.0.1');
    expect(config.manager.pollIntervalMs).toBe(10);
    expect(config.manager.eventClaimMs).toBe(60000);
  });

  it('replaces arrays whole and freezes the result, without touching the overrides object', () => {
    const roles = ['a', 'b'];
    const config = configWith({ default: { noauth: { roles } } });
    expect(config.default.noauth.roles).toEqual(['a', 'b']);
    expect(Object.isFrozen(config.default.noauth.roles)).toBe(true);
    expect(Object.isFrozen(roles)).toBe(false);
  });

  it('with no overrides equals the defaults', () => {
    expect(configWith({})).toEqual(defaultConfig());
  });
});

/** A valid value different from the default, to prove an option reaches ClimateConfig. */
function otherValue(name: string, spec: OptionSpec): string | undefined {
  switch (spec.kind) {
    case 'int':
    case 'float':
      return String(spec.max !== undefined && spec.default + 1 > spec.max ? spec.default - 1 : spec.default + 1);
    case 'bool':
      return String(!spec.default);
    case 'list':
      return 'x,y';
    case 'enum':
      return spec.choices.find((choice) => choice !== spec.default);
    case 'url':
      return name === 'connection' ? 'sqlite:////tmp/other.db' : 'https://other.example/x';
    case 'string':
      return 'other';
  }
}

describe('every option', () => {
  const defaults = JSON.stringify(defaultConfig());
  // A one-choice enum (auth_type) has no other valid value to try.
  const cases = listOptions()
    .map((o) => ({ ...o, value: otherValue(o.name, o.spec) }))
    .filter((o): o is typeof o & { value: string } => o.value !== undefined)
    .map((o) => [`[${o.section}] ${o.name}`, o] as const);

  it.each(cases)('%s changes the loaded configuration', (_label, option) => {
    const config = loadText(dir, `[${option.section}]\n${option.name} = ${option.value}\n`);
    expect(JSON.stringify(config)).not.toBe(defaults);
  });
});

describe('redactConfig', () => {
  const SENTINEL = 'S3NT1NEL';
  /** Every option declared secret, set to a value holding SENTINEL where a password would go. */
  function secretValue(name: string, spec: OptionSpec): string {
    if (spec.kind !== 'url') return SENTINEL;
    return name === 'connection' ? `mysql://climate:${SENTINEL}@db/climate` : `stomp://user:${SENTINEL}@broker:61613`;
  }
  const secrets = listOptions().filter((o) => o.spec.secret);
  const text = secrets.map((o) => `[${o.section}]\n${o.name} = ${secretValue(o.name, o.spec)}\n`).join('');

  it('hides the value of every secret option but keeps the rest', () => {
    expect(secrets.length).toBeGreaterThanOrEqual(3);
    const config = loadConfig({ files: [writeConf(dir, text)] });
    expect(JSON.stringify(config)).toContain(SENTINEL);
    const redacted = redactConfig(config);
    expect(JSON.stringify(redacted)).not.toContain(SENTINEL);
    expect(redacted.database.connection).toBe('mysql://climate:***@db/climate');
    expect(redacted.notifications.transportUrl).toBe('stomp://user:***@broker:61613');
    expect(redacted.keystoneAuthtoken.password).toBe('***');
    expect(redacted.default).toEqual(config.default);
    expect(Object.isFrozen(redacted.database)).toBe(true);
  });

  it('hides a password containing an unencoded "@" or "/" completely', () => {
    const at = configWith({ database: { connection: 'mysql://u:pa@ss@db/c' } });
    expect(redactConfig(at).database.connection).toBe('mysql://u:***@db/c');
    const slash = configWith({ notifications: { transportUrl: 'stomp://u:pa/ss@b' } });
    expect(redactConfig(slash).notifications.transportUrl).toBe('***');
  });

  it('leaves URLs without a password and empty values alone', () => {
    const config = configWith({ notifications: { transportUrl: 'stomp://broker:61613' } });
    expect(redactConfig(config).notifications.transportUrl).toBe('stomp://broker:61613');
    expect(redactConfig(config).database.connection).toBe('sqlite:///var/climate.sqlite');
    expect(redactConfig(config).keystoneAuthtoken.password).toBe('');
  });
});
