/**
 * `npm run cloud` (tools/cloud.sh) as the README shows it: on the running mini cloud it starts Climate
 * (climate-api and climate-manager, keystone auth, Nova driver), registers it in the catalog, writes the
 * clouds.yaml it prints, and the openstack CLI with that file reaches Climate through the catalog;
 * `tools/stop-openstack.sh --climate-only` stops Climate alone (`npm run cloud:stop` stops everything).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { cleanEnv } from '../support/keystone';
import { CLOUD_START_TIMEOUT_MS, useCloud } from './cloud';

jest.setTimeout(10 * 60_000);

const REPO = path.resolve(__dirname, '../..');
const STATE = process.env.CLIMATE_OS_STATE || path.join(REPO, 'var', 'openstack');

function run(command: string, args: string[], env: NodeJS.ProcessEnv = cleanEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: REPO, env, timeout: CLOUD_START_TIMEOUT_MS, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(' ')}: ${error.message}\n${stderr.slice(-4000)}`));
      else resolve(stdout);
    });
  });
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let release = () => {};
beforeAll(async () => { ({ release } = await useCloud()); }, CLOUD_START_TIMEOUT_MS);
afterAll(async () => {
  await run('bash', ['tools/stop-openstack.sh', '--climate-only']).catch(() => undefined);
  release();
});

it('npm run cloud starts Climate in the catalog and writes the clouds.yaml the openstack CLI uses, as the README says', async () => {
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  for (const said of ['npm run cloud', 'npm run cloud:stop', 'export OS_CLIENT_CONFIG_FILE=var/openstack/clouds.yaml',
    'openstack --os-cloud climate-admin reservation host create compute-1']) {
    expect(readme).toContain(said);
  }
  const port = await freePort();
  const printed = await run('bash', ['tools/cloud.sh', '--port', String(port)]);
  const clouds = path.join(STATE, 'clouds.yaml');
  expect(printed).toContain(`export OS_CLIENT_CONFIG_FILE=${clouds}`);
  expect(printed).toContain('npm run cloud:stop');
  expect(fs.readFileSync(clouds, 'utf8')).toMatch(/climate-admin:[\s\S]*climate-demo:/);

  // The CLI finds Climate in the catalog ("reservation") and Climate checks the token with Keystone.
  const env = { ...cleanEnv, OS_CLIENT_CONFIG_FILE: clouds };
  const cli = async (...args: string[]) => run('openstack', ['--os-cloud', 'climate-admin', ...args], env);
  // Climate's database lives as long as the cloud: an earlier run's host goes first.
  for (const host of JSON.parse(await cli('reservation', 'host', 'list', '-f', 'json')) as { id: string | number }[]) {
    await cli('reservation', 'host', 'delete', String(host.id));
  }
  // blazarclient prints "Created a new host:" before the JSON.
  const output = await cli('reservation', 'host', 'create', 'compute-1', '-f', 'json');
  const created = JSON.parse(output.slice(output.indexOf('{')));
  expect(created).toMatchObject({ hypervisor_hostname: 'compute-1' });
  expect(await cli('aggregate', 'show', 'freepool', '-f', 'value', '-c', 'hosts')).toContain('compute-1');
  await cli('reservation', 'host', 'delete', String(created.id));
});
