import { ConfigError, parseDatabaseUrl } from '../../../src/config';
import { databaseUrlProblem } from '../../../src/config/database-url';

describe('parseDatabaseUrl', () => {
  describe('sqlite', () => {
    it('resolves a relative path against the working directory given', () => {
      expect(parseDatabaseUrl('sqlite:///var/climate.sqlite', '/srv/climate')).toEqual({
        dialect: 'sqlite',
        storage: '/srv/climate/var/climate.sqlite',
      });
    });

    it('defaults the working directory to the process one', () => {
      expect(parseDatabaseUrl('sqlite:///x.db')).toEqual({ dialect: 'sqlite', storage: `${process.cwd()}/x.db` });
    });

    it('reads four slashes as an absolute path', () => {
      expect(parseDatabaseUrl('sqlite:////var/lib/climate.db', '/elsewhere')).toEqual({
        dialect: 'sqlite',
        storage: '/var/lib/climate.db',
      });
    });

    it.each(['sqlite://', 'sqlite:///', 'sqlite:///:memory:', 'SQLITE://'])('reads %j as in-memory', (url) => {
      expect(parseDatabaseUrl(url, '/d')).toEqual({ dialect: 'sqlite', storage: ':memory:' });
    });

    it('rejects two slashes followed by a path', () => {
      expect(() => parseDatabaseUrl('sqlite://climate.db')).toThrow(
        '[database] connection: a SQLite URL needs three slashes: sqlite:///relative/path or sqlite:////absolute/path',
      );
    });
  });

  describe('servers', () => {
    it('reads a full mysql URL, decoding the user info', () => {
      expect(parseDatabaseUrl('mysql://climate:p%40ss%3Aword@db.example:3307/climate?charset=utf8')).toEqual({
        dialect: 'mysql',
        host: 'db.example',
        port: 3307,
        database: 'climate',
        username: 'climate',
        password: 'p@ss:word',
        options: { charset: 'utf8' },
      });
    });

    it('treats mysql+pymysql (and any +driver) as mysql, with the default port', () => {
      for (const scheme of ['mysql+pymysql', 'mysql+mysqldb']) {
        expect(parseDatabaseUrl(`${scheme}://u:p@db/climate`)).toMatchObject({ dialect: 'mysql', host: 'db', port: 3306 });
      }
    });

    it('reads several servers (a Galera cluster) as nodes tried in order, the first one the target', () => {
      const target = parseDatabaseUrl('mysql+pymysql://climate:p%40ss@db1:3311,db2,[::1]:3313/climate?charset=utf8mb4');
      expect(target).toMatchObject({
        dialect: 'mysql', host: 'db1', port: 3311, database: 'climate', username: 'climate', password: 'p@ss', options: { charset: 'utf8mb4' },
        nodes: [{ host: 'db1', port: 3311 }, { host: 'db2', port: 3306 }, { host: '::1', port: 3313 }],
      });
      expect(parseDatabaseUrl('mysql://u@db1/climate')).not.toHaveProperty('nodes');
      expect(databaseUrlProblem('mysql://u@db1,/climate')).toMatch(/not a valid URL/);
      expect(databaseUrlProblem('mysql://u@db1:3306,db2:x/climate')).toMatch(/not a valid URL/);
    });

    it('reads mariadb:// as MySQL', () => {
      expect(parseDatabaseUrl('mariadb://u:p@db/climate')).toMatchObject({ dialect: 'mysql', host: 'db', port: 3306, database: 'climate' });
    });

    it.each(['postgresql', 'postgres', 'postgresql+psycopg2'])('reads a %s:// URL as PostgreSQL, port 5432 by default', (scheme) => {
      expect(parseDatabaseUrl(`${scheme}://climate:p%40ss@db.example/climate?sslmode=require`)).toEqual({
        dialect: 'postgres', host: 'db.example', port: 5432, database: 'climate', username: 'climate', password: 'p@ss',
        options: { sslmode: 'require' },
      });
      expect(parseDatabaseUrl(`${scheme}://u@127.0.0.1:5433/c`)).toMatchObject({ dialect: 'postgres', port: 5433 });
    });

    it('strips the brackets of an IPv6 host', () => {
      expect(parseDatabaseUrl('mysql://u@[::1]:3306/c')).toMatchObject({ host: '::1', username: 'u' });
    });

    it.each([
      ['mysql:///climate?pw=secretpw', 'a mysql URL needs a host'],
      ['mysql://u:secretpw@/climate', 'the value is not a valid URL'],
      ['mysql://u:secretpw@db', 'a mysql URL needs a database name'],
      ['postgresql://u:secretpw@db', 'a postgres URL needs a database name: postgresql://user:password@host:port/database'],
      ['oracle://u:secretpw@db/x', 'Oracle (oracle://) is not supported: Climate runs on SQLite (sqlite:///path/to/file), '
        + 'MySQL/MariaDB (mysql://user:password@host:port/database) or PostgreSQL (postgresql://user:password@host:port/database)'],
      ['db2://u:secretpw@db/x', '"db2://" is not a database Climate supports: Climate runs on SQLite'],
      ['secretpw', 'the value is not a URL of the form scheme://...'],
    ])('rejects %j', (url, message) => {
      let err: unknown;
      try {
        parseDatabaseUrl(url);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toContain(message);
      // The URL may hold a password: the message must not repeat it.
      expect((err as ConfigError).message).not.toContain('secretpw');
    });
  });
});
