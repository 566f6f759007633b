/**
 * What an operator sees when `[database]` is wrong: the compiled climate-api refuses to start with a message
 * naming the section, the option and the problem (password hidden), never the driver's or Sequelize's own.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { POSTGRES_BASE } from '../support/database';
import { freePort } from '../support/processes';

const ROOT = path.resolve(__dirname, '../..');
const API = path.join(ROOT, 'dist/src/cli/climate-api.js');
const run = promisify(execFile);

describe('climate-api with a wrong [database] section', () => {
  let dir: string;
  beforeAll(async () => {
    if (!existsSync(API)) await run('npm', ['run', 'build'], { cwd: ROOT });
    dir = mkdtempSync(path.join(tmpdir(), 'climate-conferr-'));
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Starts climate-api with `database` as the rest of the file; resolves with its exit code and stderr. */
  async function start(database: string): Promise<{ code: number; stderr: string }> {
    const conf = path.join(dir, `${Math.random().toString(36).slice(2)}.conf`);
    writeFileSync(conf, `[DEFAULT]\nport = ${await freePort()}\n\n${database}`);
    try {
      await run(process.execPath, [API, '--config-file', conf], { timeout: 60_000 });
      return { code: 0, stderr: '' };
    } catch (error) {
      const e = error as { code?: number; stderr?: string };
      return { code: e.code ?? -1, stderr: e.stderr ?? '' };
    }
  }

  it('a misspelt section: exit 2, "did you mean [database]?"', async () => {
    const { code, stderr } = await start('[databse]\nconnection = mysql://climate:s3cret@127.0.0.1/climate\n');
    expect(code).toBe(2);
    expect(stderr).toMatch(/section \[databse\] is not one of Climate's \(did you mean \[database\]\?\)/);
  }, 90_000);

  it('an Oracle URL: exit 2, says plainly it is not supported and what is', async () => {
    const { code, stderr } = await start('[database]\nconnection = oracle://climate:s3cret@127.0.0.1/climate\n');
    expect(code).toBe(2);
    expect(stderr).toContain('[database] connection: Oracle (oracle://) is not supported: Climate runs on SQLite');
    expect(stderr).toContain('MySQL/MariaDB');
    expect(stderr).toContain('PostgreSQL (postgresql://');
    expect(stderr).not.toMatch(/s3cret/);
  }, 90_000);

  it('a PostgreSQL database that does not exist: exit 1, names it and how to create it, password hidden', async () => {
    const name = `climate_missing_${Math.random().toString(36).slice(2, 10)}`;
    const url = new URL(`${POSTGRES_BASE}/${name}`);
    url.password = 's3cret';
    const { code, stderr } = await start(`[database]\nconnection = ${url}\n`);
    expect(code).toBe(1);
    expect(stderr).toContain(`[database] connection = ${url.protocol}//${url.username}:***@${url.host}/${name}: cannot connect`);
    expect(stderr).toContain(`(create it first: createdb ${name}, or CREATE DATABASE ${name})`);
    expect(stderr).not.toContain('s3cret');
  }, 90_000);

  it('a MySQL server that refuses: exit 1, names [database] connection with the password hidden', async () => {
    const port = await freePort();
    const { code, stderr } = await start(`[database]\nconnection = mysql://climate:s3cret@127.0.0.1:${port}/climate\n`);
    expect(code).toBe(1);
    expect(stderr).toContain(`[database] connection = mysql://climate:***@127.0.0.1:${port}/climate: cannot connect`);
    expect(stderr).toContain('ECONNREFUSED');
    expect(stderr).not.toContain('s3cret');
  }, 90_000);

  it('a SQLite file whose directory cannot be made: exit 1, names the file and why', async () => {
    const file = path.join(dir, 'a-file');
    writeFileSync(file, '');
    const { code, stderr } = await start(`[database]\nconnection = sqlite:///${file}/climate.sqlite\n`);
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot open the SQLite database ${file}/climate.sqlite: ${file} is not a directory`);
  }, 90_000);
});
