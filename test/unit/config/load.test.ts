import * as fs from 'node:fs';
import * as path from 'node:path';
import { CONFIG_FILE_ENV, configDirFiles, configFiles, defaultConfig, loadConfig } from '../../../src/config';
import { configError, loadText, tempDir, writeConf } from './helpers';

const dir = tempDir();

describe('loadConfig', () => {
  it('gives the defaults when no file is named anywhere', () => {
    expect(loadConfig({ argv: ['serve'], env: {} })).toEqual(defaultConfig());
  });

  it('converts a full file to the camelCase shape, durations in milliseconds', () => {
    const config = loadText(
      dir,
      [
        '[DEFAULT]',
        'host = 0.0.0.0',
        'port = 8080',
        'auth_strategy = keystone',
        'cleaning_time = 15',
        'noauth_user_id = u1',
        'noauth_project_id = p1',
        'noauth_roles = member,reader',
        'api_max_body_bytes = 2048',
        'api_default_page_limit = 50',
        'api_max_page_limit = 500',
        'log_output = stderr',
        'metrics_enabled = false',
        '[database]',
        'connection = mysql+pymysql://climate:pw@db:3306/climate',
        'max_pool_size = 3',
        '[manager]',
        'minutes_before_end_lease = 30',
        'minutes_before_start_lease = 10',
        'poll_interval = 0.25',
        'event_max_retries = 2',
        'event_claim_seconds = 90',
        'event_retry_delay = 1.5',
        '[notifications]',
        'driver = stomp',
        'topics = a,b',
        'publisher_id = climate.test',
        'exchange = ex',
        'transport_url = stomp://u:p@broker:61613',
        'retention_hours = 1',
        '[keystone_authtoken]',
        'auth_url = http://ks:5000/v3',
        'username = climate',
        'project_name = service',
        'user_domain_name = d1',
        'project_domain_name = d2',
        'jws_public_key_repository = /etc/keys',
        'token_cache_time = 0',
      ].join('\n'),
    );
    expect(config.default).toEqual({
      host: '0.0.0.0',
      port: 8080,
      authStrategy: 'keystone',
      availabilityMaxHorizonDays: 90,
      cleaningTimeMinutes: 15,
      debug: false,
      logFormat: 'text',
      logOutput: 'stderr',
      metricsEnabled: false,
      noauth: { userId: 'u1', projectId: 'p1', roles: ['member', 'reader'] },
      apiMaxBodyBytes: 2048,
      apiDefaultPageLimit: 50,
      apiMaxPageLimit: 500,
    });
    expect(config.database).toEqual({ connection: 'mysql+pymysql://climate:pw@db:3306/climate', maxPoolSize: 3, maxRetries: 8, wsrepSyncWait: 0, autoMigrate: true });
    expect(config.manager).toEqual({
      plugins: ['physical:host'],
      minutesBeforeEndLease: 30,
      minutesBeforeStartLease: 10,
      pollIntervalMs: 250,
      eventMaxRetries: 2,
      eventClaimMs: 90000,
      eventRetryDelayMs: 1500,
      // No metrics port unless asked; its address is [DEFAULT] host unless set.
      metricsPort: 0,
      metricsHost: '0.0.0.0',
    });
    expect(config.notifications).toEqual({
      driver: 'stomp',
      topics: ['a', 'b'],
      publisherId: 'climate.test',
      exchange: 'ex',
      transportUrl: 'stomp://u:p@broker:61613',
      retentionHours: 1,
    });
    expect(config.keystoneAuthtoken).toEqual({
      authUrl: 'http://ks:5000/v3',
      wwwAuthenticateUri: '',
      authType: 'password',
      username: 'climate',
      password: '',
      projectName: 'service',
      userDomainName: 'd1',
      projectDomainName: 'd2',
      jwsPublicKeyRepository: '/etc/keys',
      tokenCacheTimeMs: 0,
    });
  });

  it('returns a deeply frozen object', () => {
    const config = loadText(dir, '[DEFAULT]\nport = 1\n');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.default.noauth)).toBe(true);
    expect(Object.isFrozen(config.default.noauth.roles)).toBe(true);
    expect(() => {
      (config.default as { port: number }).port = 2;
    }).toThrow(TypeError);
  });

  it('ignores sections other tools own', () => {
    const config = loadText(dir, '[oslo_messaging_rabbit]\nheartbeat = whatever\n[cors]\nx = 1\n[api]\ny = 2\n[glance]\nz = 3\n'
      + '[DEFAULT]\nport = 4321\n');
    expect(config.default.port).toBe(4321);
  });

  describe('errors name the section, option, problem, file and line', () => {
    it('for an invalid value', () => {
      const file = writeConf(dir, '[DEFAULT]\n# comment\nport = abc\n');
      const err = configError(() => loadConfig({ files: [file] }));
      expect(err.message).toBe(`[DEFAULT] port: "abc" is not an integer (at ${file}:3)`);
      expect(err).toMatchObject({ name: 'ConfigError', section: 'DEFAULT', option: 'port', location: { file, line: 3 } });
    });

    it('for an unknown option in a known section, suggesting a close name', () => {
      const file = writeConf(dir, '[compute]\ndriver = nova\n[DEFAULT]\nprot = 1\n');
      expect(configError(() => loadConfig({ files: [file] })).message).toBe(
        `[DEFAULT] prot: unknown option (did you mean port?) (at ${file}:4)`,
      );
    });

    it('for an unknown option with no close name', () => {
      const err = configError(() => loadText(dir, '[database]\nflavour = vanilla\n'));
      expect(err.message).toMatch(/^\[database\] flavour: unknown option \(at .*:2\)$/);
      expect(err.option).toBe('flavour');
    });

    it('for a known section written with the wrong case', () => {
      const file = writeConf(dir, '[database]\n\n[default]\nport = 1\n');
      expect(configError(() => loadConfig({ files: [file] })).message).toBe(
        `section [default] should be written [DEFAULT]: section names are case-sensitive (at ${file}:3)`,
      );
    });

    it.each([
      ['databse', 'database'],
      ['Databse', 'database'],
      ['keystone_authtokens', 'keystone_authtoken'],
      ['manger', 'manager'],
      ['neutrn', 'neutron'],
    ])('for a misspelt section [%s], suggesting [%s], instead of ignoring its options', (typo, meant) => {
      const file = writeConf(dir, `[DEFAULT]\nport = 1\n[${typo}]\nconnection = mysql://climate:secret@db/climate\n`);
      const err = configError(() => loadConfig({ files: [file] }));
      expect(err.message).toBe(`section [${typo}] is not one of Climate's (did you mean [${meant}]?) (at ${file}:3)`);
      expect(err.message).not.toContain('secret');
    });

    it('for options that contradict each other, once all files are read', () => {
      const first = writeConf(dir, '[DEFAULT]\napi_default_page_limit = 2000\n');
      const second = writeConf(dir, '[DEFAULT]\napi_max_page_limit = 5000\n');
      expect(configError(() => loadConfig({ files: [first] })).message).toBe(
        '[DEFAULT] api_default_page_limit: 2000 is greater than api_max_page_limit (1000)',
      );
      expect(loadConfig({ files: [first, second] }).default.apiDefaultPageLimit).toBe(2000);
    });

    it('for a syntax error', () => {
      const file = writeConf(dir, '[DEFAULT]\nport 1234\n');
      expect(configError(() => loadConfig({ files: [file] })).location).toEqual({ file, line: 2 });
    });
  });
});

describe('which files are read', () => {
  const first = writeConf(dir, '[DEFAULT]\nport = 1111\nhost = first\n');
  const second = writeConf(dir, '[DEFAULT]\nport = 2222\n');
  const fromEnv = writeConf(dir, '[DEFAULT]\nport = 3333\n');
  const env = { [CONFIG_FILE_ENV]: fromEnv };

  it('reads --config-file PATH', () => {
    expect(loadConfig({ argv: ['--config-file', first], env: {} }).default.port).toBe(1111);
  });

  it('reads --config-file=PATH', () => {
    expect(loadConfig({ argv: ['api', `--config-file=${second}`], env: {} }).default.port).toBe(2222);
  });

  it('prefers --config-file to CLIMATE_CONFIG_FILE', () => {
    expect(loadConfig({ argv: ['--config-file', first], env }).default.port).toBe(1111);
  });

  it('falls back to CLIMATE_CONFIG_FILE', () => {
    expect(loadConfig({ argv: [], env }).default.port).toBe(3333);
  });

  it('treats an empty CLIMATE_CONFIG_FILE as unset', () => {
    expect(configFiles([], { [CONFIG_FILE_ENV]: '' })).toEqual([]);
  });

  it('prefers the files option to argv and env', () => {
    expect(loadConfig({ files: [second], argv: ['--config-file', first], env }).default.port).toBe(2222);
  });

  it('lets later files override earlier ones option by option', () => {
    const config = loadConfig({ argv: ['--config-file', first, `--config-file=${second}`], env: {} });
    expect(config.default.port).toBe(2222);
    expect(config.default.host).toBe('first');
    expect(loadConfig({ argv: ['--config-file', second, '--config-file', first], env: {} }).default.port).toBe(1111);
  });

  it('lists the files in command-line order', () => {
    expect(configFiles(['x', '--config-file', 'a.conf', '--debug', '--config-file=b.conf'], env)).toEqual(['a.conf', 'b.conf']);
  });

  it('fails when a file named on the command line does not exist', () => {
    const missing = path.join(dir, 'missing.conf');
    expect(configError(() => loadConfig({ argv: ['--config-file', missing], env: {} })).message).toBe(
      `config file not found: ${missing}`,
    );
  });

  it('fails when the file named by CLIMATE_CONFIG_FILE does not exist', () => {
    const missing = path.join(dir, 'nope.conf');
    expect(configError(() => loadConfig({ argv: [], env: { [CONFIG_FILE_ENV]: missing } })).message).toBe(
      `config file not found: ${missing}`,
    );
  });

  it('fails when the path cannot be read as a file', () => {
    expect(configError(() => loadConfig({ files: [dir] })).message).toMatch(/^cannot read config file .*EISDIR/);
  });

  it.each([[['--config-file']], [['--config-file=']], [['--config-file', '']]])('fails on %j without a path', (argv) => {
    expect(configError(() => configFiles(argv, {})).message).toBe('--config-file needs a path');
  });
});

describe('--config-dir', () => {
  const base = writeConf(dir, '[DEFAULT]\nport = 1111\nhost = base\n');
  const confDir = fs.mkdtempSync(path.join(dir, 'conf-d-'));
  fs.writeFileSync(path.join(confDir, 'b.conf'), '[DEFAULT]\nport = 3333\n');
  fs.writeFileSync(path.join(confDir, 'a.conf'), '[DEFAULT]\nport = 2222\n');
  fs.writeFileSync(path.join(confDir, 'c.conf.orig'), '[DEFAULT]\nport = nope\n');
  fs.writeFileSync(path.join(confDir, '.d.conf'), '[DEFAULT]\nport = nope\n');
  fs.mkdirSync(path.join(confDir, 'e.conf'));

  it('lists the *.conf files of the directory in name order, skipping hidden files and directories', () => {
    expect(configDirFiles(confDir)).toEqual([path.join(confDir, 'a.conf'), path.join(confDir, 'b.conf')]);
  });

  it('reads them after the --config-file files (or CLIMATE_CONFIG_FILE), whatever the order on the command line', () => {
    const config = loadConfig({ argv: ['--config-dir', confDir, '--config-file', base], env: {} });
    expect(config.default.port).toBe(3333);
    expect(config.default.host).toBe('base');
    expect(configFiles([`--config-dir=${confDir}`], { [CONFIG_FILE_ENV]: base })).toEqual([base, ...configDirFiles(confDir)]);
  });

  it('fails on a directory that does not exist', () => {
    const missing = path.join(dir, 'missing.d');
    expect(configError(() => loadConfig({ argv: ['--config-dir', missing], env: {} })).message).toBe(`config directory not found: ${missing}`);
  });
});
