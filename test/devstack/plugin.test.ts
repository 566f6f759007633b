/**
 * devstack/plugin.sh, phase by phase, with DevStack's functions and the external commands faked
 * (see harness.ts): the calls it makes and the files it writes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../../src/config';
import { callsTo, readIni, removeMachineBin, sectionOf, World, type Call, type WorldOptions } from './harness';

const worlds: World[] = [];
function world(opts?: WorldOptions): World {
  const w = new World(opts);
  worlds.push(w);
  return w;
}
afterAll(() => {
  worlds.forEach((w) => w.cleanup());
  removeMachineBin();
});

function argsOf(calls: Call[], name: string): string[][] {
  return callsTo(calls, name).map((c) => c.args);
}

/** Fails with the plugin's output when the phase did not succeed. */
function expectSuccess(result: { status: number; stdout: string; stderr: string }): void {
  if (result.status !== 0) throw new Error(`phase failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
}

describe('stack install', () => {
  test.each(['v20.11.1', 'v22.3.0'])('with Node.js %s on PATH: npm ci then npm run build in CLIMATE_DIR, nothing installed', (version) => {
    const w = world({ node: version });
    const result = w.run('stack', 'install');
    expectSuccess(result);
    expect(callsTo(result.calls, 'install_package')).toEqual([]);
    const npm = callsTo(result.calls, 'npm');
    expect(npm.map((c) => c.args)).toEqual([['ci'], ['run', 'build']]);
    expect(npm.every((c) => c.cwd === w.climateDir)).toBe(true);
    expect(npm.flatMap((c) => c.args)).not.toContain('--omit=dev');
    expect(argsOf(result.calls, 'echo_summary')).toEqual([['Installing Climate']]);
  });

  test("with an old Node.js and a new enough distribution package: installs the distribution's nodejs, then builds", () => {
    const w = world({ node: 'v18.19.0', aptCandidate: '20.19.2+dfsg-1', nodeAfterInstall: 'v20.19.2' });
    const result = w.run('stack', 'install');
    expectSuccess(result);
    expect(argsOf(result.calls, 'install_package')).toEqual([['nodejs', 'npm']]);
    expect(argsOf(result.calls, 'npm')).toEqual([['ci'], ['run', 'build']]);
  });

  test("without Node.js on a Fedora-like system: installs the distribution's nodejs when new enough", () => {
    const w = world({ node: null, dnfCandidate: '22.12.0', nodeAfterInstall: 'v22.12.0', env: { FAKE_DISTRO: 'fedora' } });
    const result = w.run('stack', 'install');
    expectSuccess(result);
    expect(argsOf(result.calls, 'install_package')).toEqual([['nodejs', 'npm']]);
    expect(argsOf(result.calls, 'npm')).toEqual([['ci'], ['run', 'build']]);
  });

  test('with an old Node.js and an old distribution package: fails, naming what it found and what to install', () => {
    const w = world({ node: 'v18.19.1', aptCandidate: '18.19.1+dfsg-6ubuntu5' });
    const result = w.run('stack', 'install');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('Climate needs Node.js 20 or newer');
    expect(result.stderr).toContain('found: v18.19.1 at ');
    expect(result.stderr).toContain("The distribution's nodejs package is 18.19.1+dfsg-6ubuntu5, which is too old");
    expect(result.stderr).toMatch(/Install Node\.js 20 or newer .*CLIMATE_NODE/);
    expect(callsTo(result.calls, 'install_package')).toEqual([]);
    expect(callsTo(result.calls, 'npm')).toEqual([]);
  });

  test('without Node.js and without a distribution package: fails clearly', () => {
    const w = world({ node: null });
    const result = w.run('stack', 'install');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('Climate needs Node.js 20 or newer; found: none.');
    expect(result.stderr).toContain("The distribution's nodejs package is not available.");
    expect(callsTo(result.calls, 'npm')).toEqual([]);
  });

  test('when installing the package still leaves an old node first on PATH: fails', () => {
    const w = world({ node: 'v16.20.0', aptCandidate: '20.19.2+dfsg-1', nodeAfterInstall: 'v16.20.0' });
    const result = w.run('stack', 'install');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('Climate needs Node.js 20 or newer; found: v16.20.0 after installing nodejs 20.19.2+dfsg-1.');
    expect(result.stderr).toContain("did not provide it as 'node' on PATH");
    expect(callsTo(result.calls, 'npm')).toEqual([]);
  });

  test('with a new enough node but no npm: installs the npm package', () => {
    const w = world({ node: 'v20.19.2', npm: false });
    const result = w.run('stack', 'install');
    expectSuccess(result);
    expect(argsOf(result.calls, 'install_package')).toEqual([['npm']]);
    expect(argsOf(result.calls, 'npm')).toEqual([['ci'], ['run', 'build']]);
  });

  test('a failing build stops stack.sh', () => {
    const w = world();
    fs.rmSync(path.join(w.bin, 'npm')); // a link to fake-command.sh: replace, never write through
    fs.writeFileSync(path.join(w.bin, 'npm'), '#!/usr/bin/env bash\nexit 1\n', { mode: 0o755 });
    const result = w.run('stack', 'install');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("'npm ci' or 'npm run build' failed");
  });
});

describe('stack post-config', () => {
  test('writes climate.conf, section by section', () => {
    const w = world();
    expectSuccess(w.run('stack', 'post-config'));
    const conf = readIni(w.conf);
    expect([...conf.keys()].sort()).toEqual(['DEFAULT', 'compute', 'database', 'keystone_authtoken', 'notifications']);
    expect(sectionOf(conf, 'DEFAULT')).toEqual({ host: '0.0.0.0', port: '1234', auth_strategy: 'keystone', debug: 'True' });
    // DevStack's "plugin=dbcounter" is a Python (SQLAlchemy) plugin: dropped, the charset kept.
    expect(sectionOf(conf, 'database')).toEqual({ connection: 'mysql+pymysql://root:dbpass@127.0.0.1/climate?charset=utf8' });
    expect(sectionOf(conf, 'compute')).toEqual({ driver: 'nova' });
    expect(sectionOf(conf, 'notifications')).toEqual({
      driver: 'stomp',
      exchange: 'climate',
      transport_url: 'stomp://stackrabbit:rabbitpass@10.0.0.5:61613/',
    });
    expect(sectionOf(conf, 'keystone_authtoken')).toEqual({
      auth_url: 'http://10.0.0.5/identity/v3',
      www_authenticate_uri: 'http://10.0.0.5/identity',
      auth_type: 'password',
      username: 'climate',
      password: 'servicepass',
      project_name: 'service',
      user_domain_name: 'Default',
      project_domain_name: 'Default',
    });
    expect(fs.statSync(w.conf).mode & 0o777).toBe(0o640);
  });

  test("climate.conf is accepted by Climate's own configuration loader", () => {
    const w = world();
    expectSuccess(w.run('stack', 'post-config'));
    const config = loadConfig({ files: [w.conf] });
    expect(config.default.port).toBe(1234);
    expect(config.default.authStrategy).toBe('keystone');
    expect(config.database.connection).toBe('mysql+pymysql://root:dbpass@127.0.0.1/climate?charset=utf8');
  });

  test('creates the database, then migrates it with climate-manage', () => {
    const w = world();
    const result = w.run('stack', 'post-config');
    expectSuccess(result);
    expect(argsOf(result.calls, 'recreate_database')).toEqual([['climate']]);
    expect(argsOf(result.calls, 'database_connection_url')).toEqual([['climate']]);
    const migrate = argsOf(result.calls, 'node');
    expect(migrate).toEqual([[path.join(w.climateDir, 'dist/src/cli/climate-manage.js'), '--config-file', w.conf, 'db', 'sync']]);
    const order = result.calls.map((c) => c.name);
    expect(order.indexOf('recreate_database')).toBeLessThan(order.indexOf('node'));
    // the configuration is complete before the migration reads it
    const confWrites = result.calls.map((c, i) => (c.name === 'iniset' && c.args[0] === w.conf ? i : -1)).filter((i) => i >= 0);
    expect(confWrites.length).toBeGreaterThan(10);
    expect(Math.max(...confWrites)).toBeLessThan(order.indexOf('node'));
  });

  test('enables the STOMP plugin of the local RabbitMQ', () => {
    const w = world();
    const result = w.run('stack', 'post-config');
    expectSuccess(result);
    expect(argsOf(result.calls, 'sudo')).toContainEqual(['rabbitmq-plugins', 'enable', 'rabbitmq_stomp']);
    expect(argsOf(result.calls, 'rabbitmq-plugins')).toEqual([['enable', 'rabbitmq_stomp']]);
  });

  test('creates the service user as admin of the service project, the service and its /v1 endpoint', () => {
    const w = world();
    const result = w.run('stack', 'post-config');
    expectSuccess(result);
    expect(argsOf(result.calls, 'get_or_create_user')).toEqual([['climate', 'servicepass', 'Default']]);
    expect(argsOf(result.calls, 'get_or_add_user_project_role')).toEqual([['admin', 'climate', 'service', 'Default', 'Default']]);
    expect(argsOf(result.calls, 'get_or_create_service')).toEqual([['climate', 'reservation', 'Climate reservation service']]);
    const endpoints = argsOf(result.calls, 'get_or_create_endpoint');
    expect(endpoints).toEqual([['reservation', 'RegionOne', 'http://10.0.0.5:1234/v1']]);
    expect(endpoints[0][2]).toMatch(/\/v1$/);
  });

  test('adds the Climate filter to nova.conf, keeping the filters and options already there', () => {
    const w = world();
    expectSuccess(w.run('stack', 'post-config'));
    const nova = readIni(w.novaConf);
    expect(nova.get('filter_scheduler')?.get('available_filters')).toEqual([
      'nova.scheduler.filters.all_filters',
      'climate_nova_filter.ClimateFilter',
    ]);
    expect(nova.get('filter_scheduler')?.get('enabled_filters')).toEqual([
      'ComputeFilter,ComputeCapabilitiesFilter,ImagePropertiesFilter,SameHostFilter,ClimateFilter',
    ]);
    expect(sectionOf(nova, 'filter_scheduler').track_instance_changes).toBe('False');
    expect(sectionOf(nova, 'DEFAULT')).toEqual({ debug: 'True', transport_url: 'rabbit://stackrabbit:rabbitpass@10.0.0.5:5672/' });
    expect(sectionOf(nova, 'placement')).toEqual({ region_name: 'RegionOne' });
  });

  test('installs the filter module where nova-scheduler imports from', () => {
    const w = world();
    const result = w.run('stack', 'post-config');
    expectSuccess(result);
    const installed = path.join(w.site, 'climate_nova_filter.py');
    expect(fs.readFileSync(installed, 'utf8')).toBe(
      fs.readFileSync(path.join(w.climateDir, 'src/nova_filter/climate_nova_filter.py'), 'utf8'));
    expect(callsTo(result.calls, 'python3')[0].args.join(' ')).toContain('import nova');
  });

  test('running post-config again adds nothing twice', () => {
    const w = world();
    expectSuccess(w.run('stack', 'post-config'));
    const first = fs.readFileSync(w.novaConf, 'utf8');
    expectSuccess(w.run('stack', 'post-config'));
    expect(fs.readFileSync(w.novaConf, 'utf8')).toBe(first);
    const filters = readIni(w.novaConf).get('filter_scheduler');
    expect(filters?.get('available_filters')).toHaveLength(2);
    expect(filters?.get('enabled_filters')?.[0].match(/ClimateFilter/g)).toHaveLength(1);
  });

  test('keeps filters an operator already made available', () => {
    const w = world({
      novaConf: '[filter_scheduler]\navailable_filters = nova.scheduler.filters.all_filters\navailable_filters = site_filters.RackFilter\nenabled_filters = ComputeFilter,RackFilter\n',
    });
    expectSuccess(w.run('stack', 'post-config'));
    const filters = readIni(w.novaConf).get('filter_scheduler');
    expect(filters?.get('available_filters')).toEqual([
      'nova.scheduler.filters.all_filters',
      'site_filters.RackFilter',
      'climate_nova_filter.ClimateFilter',
    ]);
    expect(filters?.get('enabled_filters')).toEqual(['ComputeFilter,RackFilter,ClimateFilter']);
  });

  test("falls back on DevStack's NOVA_FILTERS when nova.conf enables no filter", () => {
    const w = world({ novaConf: '[DEFAULT]\ndebug = True\n', env: { NOVA_FILTERS: 'ComputeFilter,ImagePropertiesFilter' } });
    expectSuccess(w.run('stack', 'post-config'));
    const filters = readIni(w.novaConf).get('filter_scheduler');
    expect(filters?.get('enabled_filters')).toEqual(['ComputeFilter,ImagePropertiesFilter,ClimateFilter']);
    expect(filters?.get('available_filters')).toEqual(['nova.scheduler.filters.all_filters', 'climate_nova_filter.ClimateFilter']);
  });

  test('fails clearly when the Nova filter source is missing', () => {
    const w = world();
    fs.rmSync(path.join(w.climateDir, 'src/nova_filter/climate_nova_filter.py'));
    const result = w.run('stack', 'post-config');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('src/nova_filter/climate_nova_filter.py is missing');
  });

  test('fails clearly when nova cannot be imported on a scheduler node', () => {
    const w = world({ novaImportable: false });
    const result = w.run('stack', 'post-config');
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('python3 cannot import nova; set CLIMATE_NOVA_PYTHON');
  });

  test("uses DevStack's $PYTHON to find nova, or CLIMATE_NOVA_PYTHON when set", () => {
    const cases = [
      [{ PYTHON: 'PYBIN/python3.11' }, 'PYBIN/python3.11'],
      [{ PYTHON: 'PYBIN/python3.11', CLIMATE_NOVA_PYTHON: 'PYBIN/python3.12' }, 'PYBIN/python3.12'],
    ] as const;
    for (const [env, expected] of cases) {
      const w = world();
      const pythonBin = path.join(w.root, 'venv', 'bin');
      fs.mkdirSync(pythonBin, { recursive: true });
      const resolved = expected.replace('PYBIN', pythonBin);
      fs.symlinkSync(path.join(w.bin, 'python3'), resolved);
      Object.assign(w.env, Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v.replace('PYBIN', pythonBin)])));
      const result = w.run('stack', 'post-config');
      expectSuccess(result);
      expect(callsTo(result.calls, path.basename(resolved)).length).toBeGreaterThan(0);
      expect(fs.existsSync(path.join(w.site, 'climate_nova_filter.py'))).toBe(true);
    }
  });

  test('without nova-scheduler on this node: nova.conf and the site directory are left alone', () => {
    const w = world({ env: { ENABLED_SERVICES: 'key,mysql,rabbit,n-api' } });
    const before = fs.readFileSync(w.novaConf, 'utf8');
    expectSuccess(w.run('stack', 'post-config'));
    expect(fs.readFileSync(w.novaConf, 'utf8')).toBe(before);
    expect(fs.readdirSync(w.site)).toEqual([]);
  });

  test('without RabbitMQ on this node: warns instead of enabling the STOMP plugin', () => {
    const w = world({ env: { ENABLED_SERVICES: 'key,mysql,n-api,n-sch' } });
    const result = w.run('stack', 'post-config');
    expectSuccess(result);
    expect(callsTo(result.calls, 'rabbitmq-plugins')).toEqual([]);
    expect(argsOf(result.calls, 'warn').map((a) => a.join(' '))).toContainEqual(expect.stringContaining('rabbitmq_stomp'));
  });

  test('percent-encodes the broker user and password in transport_url', () => {
    const w = world({ env: { RABBIT_PASSWORD: 'p@ss/w:rd 1%' } });
    expectSuccess(w.run('stack', 'post-config'));
    expect(sectionOf(readIni(w.conf), 'notifications').transport_url).toBe('stomp://stackrabbit:p%40ss%2Fw%3Ard%201%25@10.0.0.5:61613/');
  });

  test('every name, port and path follows local.conf', () => {
    const w = world({
      env: {
        CLIMATE_SERVICE_PORT: '4321',
        CLIMATE_SERVICE_HOST: 'api.example.org',
        CLIMATE_SERVICE_PROTOCOL: 'https',
        CLIMATE_SERVICE_LISTEN_ADDRESS: '127.0.0.1',
        CLIMATE_SERVICE_USER: 'resv',
        CLIMATE_SERVICE_PASSWORD: 'resvpass',
        CLIMATE_SERVICE_PROJECT: 'services',
        CLIMATE_SERVICE_DOMAIN: 'svc',
        CLIMATE_SERVICE_NAME: 'resv',
        CLIMATE_REGION_NAME: 'RegionTwo',
        CLIMATE_DB_NAME: 'resv_db',
        CLIMATE_STOMP_HOST: 'broker.example.org',
        CLIMATE_STOMP_PORT: '61614',
        CLIMATE_NOTIFICATION_EXCHANGE: 'reservations',
        CLIMATE_DEBUG: 'False',
        CLIMATE_NOVA_FILTER: 'resv_filter.ResvFilter',
      },
    });
    w.env.CLIMATE_CONF_DIR = path.join(w.root, 'etc', 'resv');
    fs.copyFileSync(path.join(w.climateDir, 'src/nova_filter/climate_nova_filter.py'), path.join(w.root, 'resv_filter.py'));
    w.env.CLIMATE_NOVA_FILTER_SRC = path.join(w.root, 'resv_filter.py');
    const result = w.run('stack', 'post-config');
    expectSuccess(result);
    const confFile = path.join(w.root, 'etc', 'resv', 'climate.conf');
    const conf = readIni(confFile);
    expect(sectionOf(conf, 'DEFAULT')).toMatchObject({ host: '127.0.0.1', port: '4321', debug: 'False' });
    expect(sectionOf(conf, 'database').connection).toBe('mysql+pymysql://root:dbpass@127.0.0.1/resv_db?charset=utf8');
    expect(sectionOf(conf, 'notifications')).toMatchObject({ exchange: 'reservations', transport_url: 'stomp://stackrabbit:rabbitpass@broker.example.org:61614/' });
    expect(sectionOf(conf, 'keystone_authtoken')).toMatchObject({
      username: 'resv', password: 'resvpass', project_name: 'services', user_domain_name: 'svc', project_domain_name: 'svc',
    });
    expect(argsOf(result.calls, 'recreate_database')).toEqual([['resv_db']]);
    expect(argsOf(result.calls, 'get_or_create_user')).toEqual([['resv', 'resvpass', 'svc']]);
    expect(argsOf(result.calls, 'get_or_add_user_project_role')).toEqual([['admin', 'resv', 'services', 'svc', 'svc']]);
    expect(argsOf(result.calls, 'get_or_create_service')[0].slice(0, 2)).toEqual(['resv', 'reservation']);
    expect(argsOf(result.calls, 'get_or_create_endpoint')).toEqual([['reservation', 'RegionTwo', 'https://api.example.org:4321/v1']]);
    expect(argsOf(result.calls, 'node')[0]).toContain(confFile);
    const filters = readIni(w.novaConf).get('filter_scheduler');
    expect(filters?.get('available_filters')).toContain('resv_filter.ResvFilter');
    expect(filters?.get('enabled_filters')?.[0]).toMatch(/,ResvFilter$/);
    expect(fs.existsSync(path.join(w.site, 'resv_filter.py'))).toBe(true);
  });
});

describe('stack extra', () => {
  test('creates the freepool aggregate and starts both services with run_process', () => {
    const w = world();
    const result = w.run('stack', 'extra');
    expectSuccess(result);
    const openstack = argsOf(result.calls, 'openstack');
    expect(openstack).toEqual([
      ['--os-cloud', 'devstack-admin', 'aggregate', 'show', 'freepool'],
      ['--os-cloud', 'devstack-admin', 'aggregate', 'create', 'freepool'],
    ]);
    const node = path.join(w.bin, 'node');
    expect(argsOf(result.calls, 'run_process')).toEqual([
      ['climate-api', `${node} ${w.climateDir}/dist/src/cli/climate-api.js --config-file ${w.conf}`],
      ['climate-manager', `${node} ${w.climateDir}/dist/src/cli/climate-manager.js --config-file ${w.conf}`],
    ]);
  });

  test('leaves an existing freepool aggregate alone; the name follows local.conf', () => {
    const w = world({ aggregates: ['pool0'], env: { CLIMATE_FREEPOOL_AGGREGATE: 'pool0' } });
    const result = w.run('stack', 'extra');
    expectSuccess(result);
    expect(argsOf(result.calls, 'openstack')).toEqual([['--os-cloud', 'devstack-admin', 'aggregate', 'show', 'pool0']]);
  });

  test('starts only the enabled services', () => {
    const w = world({ env: { DISABLED_SERVICES: 'climate-manager' } });
    const result = w.run('stack', 'extra');
    expectSuccess(result);
    expect(argsOf(result.calls, 'run_process').map((a) => a[0])).toEqual(['climate-api']);
  });
});

describe('unstack and clean', () => {
  test('unstack stops both services', () => {
    const w = world();
    const result = w.run('unstack');
    expectSuccess(result);
    expect(argsOf(result.calls, 'stop_process')).toEqual([['climate-api'], ['climate-manager']]);
  });

  test('clean removes the configuration, the database and the installed filter module', () => {
    const w = world();
    expectSuccess(w.run('stack', 'post-config'));
    expect(fs.existsSync(w.conf)).toBe(true);
    fs.mkdirSync(path.join(w.site, '__pycache__'));
    fs.writeFileSync(path.join(w.site, '__pycache__', 'climate_nova_filter.cpython-312.pyc'), '');
    fs.writeFileSync(path.join(w.site, 'other_module.py'), '');
    const result = w.run('clean');
    expectSuccess(result);
    expect(fs.existsSync(w.confDir)).toBe(false);
    expect(argsOf(result.calls, 'mysql')).toEqual([['-uroot', '-pdbpass', '-h127.0.0.1', '-e', 'DROP DATABASE IF EXISTS climate;']]);
    expect(fs.readdirSync(w.site).sort()).toEqual(['__pycache__', 'other_module.py']);
    expect(fs.readdirSync(path.join(w.site, '__pycache__'))).toEqual([]);
  });

  test('clean goes on when the database server is already stopped', () => {
    const w = world();
    fs.rmSync(path.join(w.bin, 'mysql'));
    fs.writeFileSync(path.join(w.bin, 'mysql'), '#!/usr/bin/env bash\necho "ERROR 2002: Cannot connect" >&2\nexit 1\n', { mode: 0o755 });
    const result = w.run('clean');
    expectSuccess(result);
    expect(argsOf(result.calls, 'warn').map((a) => a.join(' '))).toContainEqual(expect.stringContaining('could not drop the climate database'));
  });
});

describe('services', () => {
  test('settings enables climate-api and climate-manager and names the plugin', () => {
    const w = world();
    const result = w.run('unstack');
    expect(argsOf(result.calls, 'define_plugin')).toEqual([['climate']]);
    expect(argsOf(result.calls, 'enable_service')).toEqual([['climate-api', 'climate-manager']]);
  });

  test.each(['stack install', 'stack post-config', 'stack extra', 'unstack', 'clean'])(
    'with both services disabled, "%s" does nothing', (phase) => {
      const w = world({ env: { DISABLED_SERVICES: 'climate-api,climate-manager' } });
      const result = w.run(...phase.split(' '));
      expectSuccess(result);
      const acted = result.calls.filter((c) => !['define_plugin', 'enable_service'].includes(c.name));
      expect(acted).toEqual([]);
      expect(fs.existsSync(w.confDir)).toBe(false);
    });

  test('the stack pre-install and test-config phases do nothing', () => {
    const w = world();
    for (const phase of ['pre-install', 'test-config']) {
      const result = w.run('stack', phase);
      expectSuccess(result);
      expect(result.calls.filter((c) => !['define_plugin', 'enable_service'].includes(c.name))).toEqual([]);
    }
  });
});
