import * as path from 'node:path';
import { ConfigError } from './errors';

/**
 * What `[database] connection` points at, in the terms Sequelize uses (dialect names included), so the
 * database layer does not have to know about SQLAlchemy-style URLs.
 */
export type DatabaseTarget =
  | {
      readonly dialect: 'sqlite';
      /** Absolute file path, or ":memory:" for a private in-memory database. */
      readonly storage: string;
    }
  | {
      readonly dialect: 'mysql' | 'postgres';
      readonly host: string;
      readonly port: number;
      readonly database: string;
      readonly username?: string;
      readonly password?: string;
      /** Query-string parameters (e.g. `charset=utf8`), left for the driver. */
      readonly options: Readonly<Record<string, string>>;
      /**
       * Every server of a URL that names several (`mysql://user@db1:3306,db2:3306,db3:3306/climate`, the nodes
       * of a Galera cluster), in the order they are tried; `host` and `port` are the first. Absent for one server.
       */
      readonly nodes?: readonly { readonly host: string; readonly port: number }[];
    };

/** The URL schemes `[database] connection` accepts, for help text and error messages. */
export const DATABASE_SCHEMES = ['sqlite', 'mysql', 'mysql+pymysql', 'mariadb', 'postgresql', 'postgresql+psycopg2', 'postgres'] as const;

/** What to write instead of an unsupported engine's URL. */
const SUPPORTED = 'Climate runs on SQLite (sqlite:///path/to/file), MySQL/MariaDB (mysql://user:password@host:port/database) '
  + 'or PostgreSQL (postgresql://user:password@host:port/database)';

/** Engines operators may try (SQLAlchemy's names), named plainly when refused. */
const UNSUPPORTED_ENGINES: Record<string, string> = {
  oracle: 'Oracle', mssql: 'Microsoft SQL Server', cockroachdb: 'CockroachDB',
};

/** The server engines, by URL scheme (without a `+driver` suffix): Sequelize's dialect and the default port. */
const SERVER_ENGINES: Record<string, { dialect: 'mysql' | 'postgres'; port: number; example: string }> = {
  mysql: { dialect: 'mysql', port: 3306, example: 'mysql://user:password@host:port/database' },
  mariadb: { dialect: 'mysql', port: 3306, example: 'mysql://user:password@host:port/database' },
  postgresql: { dialect: 'postgres', port: 5432, example: 'postgresql://user:password@host:port/database' },
  postgres: { dialect: 'postgres', port: 5432, example: 'postgresql://user:password@host:port/database' },
};

/**
 * Reads a database URL in the SQLAlchemy forms OpenStack operators already write:
 * `sqlite:///relative/path` (relative to `cwd`), `sqlite:////absolute/path`, `sqlite://` or `sqlite:///:memory:`
 * (in memory), `mysql://user:pass@host:port/db` (or `mariadb://`), `postgresql://user:pass@host:port/db` (or
 * `postgres://`). A `+driver` suffix (`mysql+pymysql://`, `postgresql+psycopg2://`) names a Python driver; it is
 * accepted and ignored so copied Blazar URLs work unchanged. Other engines (Oracle...) are refused by name:
 * Climate's SQL is written and tested for SQLite, MySQL/MariaDB and PostgreSQL only.
 *
 * @param connection the URL
 * @param cwd directory a relative SQLite path is relative to; the process's working directory by default
 * @throws ConfigError when the URL is not one of those forms (the message does not repeat the URL: it may hold a password)
 */
export function parseDatabaseUrl(connection: string, cwd: string = process.cwd()): DatabaseTarget {
  const result = parse(connection, cwd);
  if (typeof result === 'string') throw new ConfigError(`[database] connection: ${result}`, { section: 'database', option: 'connection' });
  return result;
}

/**
 * Why `connection` is not a usable database URL, or undefined when it is. Used by the schema to reject a bad
 * URL when the configuration is loaded instead of when the database is first opened.
 */
export function databaseUrlProblem(connection: string): string | undefined {
  const result = parse(connection, '/');
  return typeof result === 'string' ? result : undefined;
}

/** Returns the target, or a description of the problem. */
function parse(connection: string, cwd: string): DatabaseTarget | string {
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(connection);
  if (!schemeMatch) return 'the value is not a URL of the form scheme://...';
  const scheme = schemeMatch[1].toLowerCase();
  const [base] = scheme.split('+');
  if (base === 'sqlite') return parseSqlite(connection.slice(schemeMatch[0].length), cwd);
  const server = SERVER_ENGINES[base];
  if (server) return parseServer(connection, server);
  const engine = UNSUPPORTED_ENGINES[base];
  if (engine) return `${engine} (${scheme}://) is not supported: ${SUPPORTED}`;
  return `"${scheme}://" is not a database Climate supports: ${SUPPORTED}`;
}

function parseSqlite(rest: string, cwd: string): DatabaseTarget | string {
  // SQLAlchemy: what follows "sqlite:///" is the path, so a fourth slash makes it absolute.
  if (rest === '' || rest === '/' || rest === '/:memory:') return { dialect: 'sqlite', storage: ':memory:' };
  if (!rest.startsWith('/')) return 'a SQLite URL needs three slashes: sqlite:///relative/path or sqlite:////absolute/path';
  return { dialect: 'sqlite', storage: path.resolve(cwd, rest.slice(1)) };
}

/**
 * A URL naming several servers, `scheme://user@host1:port1,host2:port2/database`, is read as one URL per server
 * (the WHATWG URL parser takes one host only); the target is the first server's, with `nodes` listing them all.
 * Only MySQL/MariaDB takes several (the nodes of a Galera cluster, see database/failover).
 */
function parseServer(connection: string, engine: (typeof SERVER_ENGINES)[string]): DatabaseTarget | string {
  const parts = /^([^:]+:\/\/)([^@/]*@)?([^/?#]*)(.*)$/.exec(connection);
  const hosts = parts ? parts[3].split(',') : [];
  if (hosts.length < 2) return parseOneServer(connection, engine);
  if (engine.dialect !== 'mysql') return `several servers in one URL are supported for MySQL/MariaDB (Galera) only: ${engine.example}`;
  const targets = hosts.map((host) => parseOneServer(`${parts![1]}${parts![2] ?? ''}${host}${parts![4]}`, engine));
  const problem = targets.find((t) => typeof t === 'string');
  if (problem) return problem;
  const servers = targets as Extract<DatabaseTarget, { dialect: 'mysql' | 'postgres' }>[];
  return { ...servers[0], nodes: servers.map((t) => ({ host: t.host, port: t.port })) };
}

function parseOneServer(connection: string, engine: (typeof SERVER_ENGINES)[string]): DatabaseTarget | string {
  const { dialect, example } = engine;
  let url: URL;
  try {
    url = new URL(connection);
  } catch {
    return 'the value is not a valid URL';
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') return `a ${dialect} URL needs a host: ${example}`;
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) {
    return `a ${dialect} URL needs a database name: ${example}`;
  }
  const options: Record<string, string> = {};
  url.searchParams.forEach((value, key) => {
    options[key] = value;
  });
  return {
    dialect,
    host,
    port: url.port === '' ? engine.port : Number(url.port),
    database,
    // URL keeps user info percent-encoded; passwords with "@" or ":" must be written encoded, so decode them.
    username: url.username === '' ? undefined : decodeURIComponent(url.username),
    password: url.password === '' ? undefined : decodeURIComponent(url.password),
    options,
  };
}
