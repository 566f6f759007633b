import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Database, DatabaseOpenError } from '../../../src/db';

async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The error `open()` fails with (the handle is closed either way). */
async function openError(connection: string): Promise<Error> {
  const db = new Database({ connection });
  try {
    await db.open();
  } catch (error) {
    return error as Error;
  } finally {
    await db.close().catch(() => undefined);
  }
  throw new Error(`${connection} opened`);
}

describe('Database.open() errors name [database] connection', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'climate-open-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('MySQL, connection refused: the URL with the password hidden, and the driver\'s words', async () => {
    const port = await closedPort();
    const error = await openError(`mysql://climate:s3cr%40t@127.0.0.1:${port}/climate`);
    expect(error).toBeInstanceOf(DatabaseOpenError);
    expect(error.message).toBe(`[database] connection = mysql://climate:***@127.0.0.1:${port}/climate: `
      + `cannot connect to 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('MySQL, a database that does not exist: says to create it', async () => {
    const error = await openError('mysql://root@127.0.0.1:3306/climate_no_such_database');
    expect(error.message).toBe('[database] connection = mysql://root@127.0.0.1:3306/climate_no_such_database: cannot connect to '
      + "127.0.0.1:3306: Unknown database 'climate_no_such_database' (create it first: CREATE DATABASE climate_no_such_database)");
  });

  it('SQLite under a path that is a file: names the file and why', async () => {
    const file = path.join(dir, 'not-a-dir');
    writeFileSync(file, '');
    const error = await openError(`sqlite:///${file}/sub/climate.sqlite`);
    expect(error.message).toBe(`[database] connection = sqlite:///${file}/sub/climate.sqlite: cannot open the SQLite database `
      + `${file}/sub/climate.sqlite: ${file} is not a directory, so ${file}/sub cannot be created`);
  });

  it('SQLite naming a directory, or a directory that cannot be created: says so (and does not hang)', async () => {
    expect((await openError(`sqlite:///${dir}`)).message).toBe(
      `[database] connection = sqlite:///${dir}: cannot open the SQLite database ${dir}: ${dir} is a directory, not a SQLite file`);
    expect((await openError('sqlite:////proc/climate-test/climate.sqlite')).message).toMatch(
      /^\[database\] connection = sqlite:\/\/\/\/proc\/climate-test\/climate.sqlite: cannot open the SQLite database \/proc\/climate-test\/climate.sqlite: the directory \/proc\/climate-test does not exist and cannot be created \(E[A-Z]+\)$/);
  });

  it('SQLite in directories that do not exist yet: creates them', async () => {
    const db = new Database({ connection: `sqlite:///${dir}/a/b/climate.sqlite` });
    try {
      await db.open();
      expect(existsSync(path.join(dir, 'a/b/climate.sqlite'))).toBe(true);
    } finally {
      await db.close();
    }
  });
});
