import { createServer } from 'node:net';
import { Database, DatabaseUnavailable, isUniqueViolation } from '../../../src/db';
import { postgresAdmin } from '../../support/database';
import { openDb } from './helpers';

/** A port nothing listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('a database that cannot be reached', () => {
  it('PostgreSQL refusing connections: DatabaseUnavailable (503), the driver error as cause', async () => {
    const db = new Database({ connection: `postgresql://postgres:secret@127.0.0.1:${await closedPort()}/climate` });
    try {
      const error = await db.select('SELECT 1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabaseUnavailable);
      expect(String(error)).toMatch(/^DatabaseUnavailable: .*ECONNREFUSED/);
      await expect(db.transaction((tx) => db.execute('UPDATE leases SET name = name', [], tx))).rejects.toBeInstanceOf(DatabaseUnavailable);
    } finally {
      await db.close();
    }
  });

  it('a PostgreSQL database dropped under open connections: DatabaseUnavailable, then still; a unique violation stays one', async () => {
    const t = await openDb('postgres');
    try {
      const insert = "INSERT INTO resource_properties (resource_type, property_name, private, created_at) VALUES ('h', 'p', 0, NOW())";
      await t.db.execute(insert);
      const duplicate = await t.db.execute(insert).catch((e: unknown) => e);
      expect(duplicate).not.toBeInstanceOf(DatabaseUnavailable);
      expect(isUniqueViolation(duplicate)).toBe(true);
      // FORCE ends the sessions of Climate's pool (57P01 or a closed socket), then new ones find no database (3D000).
      await postgresAdmin(`DROP DATABASE ${new URL(t.url).pathname.slice(1)} WITH (FORCE)`);
      await expect(t.db.select('SELECT * FROM leases')).rejects.toBeInstanceOf(DatabaseUnavailable);
      await expect(t.db.transaction((tx) => t.db.select('SELECT * FROM leases', [], tx))).rejects.toBeInstanceOf(DatabaseUnavailable);
      await expect(t.db.select('SELECT * FROM leases')).rejects.toBeInstanceOf(DatabaseUnavailable);
    } finally {
      await t.close();
    }
  });

  it('connection refused: queries and transactions fail with DatabaseUnavailable (503), the driver error as cause', async () => {
    const db = new Database({ connection: `mysql://root:secret@127.0.0.1:${await closedPort()}/climate` });
    try {
      const error = await db.select('SELECT 1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DatabaseUnavailable);
      expect((error as DatabaseUnavailable).status).toBe(503);
      expect(String(error)).toMatch(/^DatabaseUnavailable: .*ECONNREFUSED/);
      await expect(db.transaction((tx) => db.execute('UPDATE leases SET name = name', [], tx))).rejects.toBeInstanceOf(DatabaseUnavailable);
      // The read of many rows (availability, capacity) too.
      await expect(db.selectMany('SELECT 1')).rejects.toBeInstanceOf(DatabaseUnavailable);
    } finally {
      await db.close();
    }
  });

  it('a MariaDB database dropped under open connections: DatabaseUnavailable; other errors stay as they are', async () => {
    const t = await openDb('mariadb');
    try {
      await t.db.execute("INSERT INTO resource_properties (resource_type, property_name, private, created_at) VALUES ('h', 'p', 0, NOW())");
      const duplicate = await t.db.execute("INSERT INTO resource_properties (resource_type, property_name, private, created_at) VALUES ('h', 'p', 0, NOW())")
        .catch((e: unknown) => e);
      expect(duplicate).not.toBeInstanceOf(DatabaseUnavailable);
      expect(isUniqueViolation(duplicate)).toBe(true);
      await t.db.execute(`DROP DATABASE ${new URL(t.url).pathname.slice(1)}`);
      await expect(t.db.select('SELECT * FROM leases')).rejects.toBeInstanceOf(DatabaseUnavailable);
    } finally {
      await t.close();
    }
  });
});
