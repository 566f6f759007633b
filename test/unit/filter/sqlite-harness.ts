/**
 * A throw-away in-memory SQLite database holding just the three tables filters read, so tests can run a
 * compiled filter for real and compare it with `evaluateFilter`. Not a test file itself (no `.test.ts`).
 */
import sqlite3 from 'sqlite3';
import type { FilterExpr, HostRecord } from '../../../src/plugins/filter';
import { capabilityNumber, compileFilterSql, evaluateFilter, HOST_COLUMNS } from '../../../src/plugins/filter';

/** A host for the harness: its columns (id required) and extra capabilities. */
export type TestHost = HostRecord & { readonly id: number };

const SCHEMA = [
  `CREATE TABLE hosts (
     id INTEGER PRIMARY KEY, hypervisor_hostname TEXT, hypervisor_type TEXT, hypervisor_version INTEGER,
     vcpus INTEGER, cpu_info TEXT, memory_mb INTEGER, local_gb INTEGER, service_name TEXT,
     availability_zone TEXT, status TEXT, reservable BOOLEAN)`,
  `CREATE TABLE resource_properties (
     id INTEGER PRIMARY KEY, resource_type TEXT NOT NULL, property_name TEXT NOT NULL,
     private BOOLEAN NOT NULL DEFAULT 0)`,
  `CREATE TABLE host_extra_capabilities (
     id INTEGER PRIMARY KEY, host_id INTEGER NOT NULL, property_id INTEGER NOT NULL,
     capability_value TEXT NOT NULL, capability_number DOUBLE)`,
];

export class FilterDb {
  private constructor(
    private readonly db: sqlite3.Database,
    readonly hosts: readonly TestHost[],
  ) {}

  /** Creates the tables and stores `hosts`, computing capability_number the way writers must. */
  static async open(hosts: readonly TestHost[]): Promise<FilterDb> {
    const db = await new Promise<sqlite3.Database>((resolve, reject) => {
      const handle = new sqlite3.Database(':memory:', (err) => (err ? reject(err) : resolve(handle)));
    });
    const me = new FilterDb(db, hosts);
    for (const statement of SCHEMA) await me.run(statement, []);
    const columns = [...HOST_COLUMNS.keys()];
    const propertyIds = new Map<string, number>();
    // A same-named property of another resource type must not confuse the capability join.
    await me.run("INSERT INTO resource_properties (id, resource_type, property_name) VALUES (1000, 'network', 'gpu')", []);
    for (const host of hosts) {
      const values = columns.map((c) => (host[c] === undefined ? null : host[c]));
      await me.run(`INSERT INTO hosts (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`, values);
      for (const [name, value] of Object.entries(host.extras)) {
        let propertyId = propertyIds.get(name);
        if (propertyId === undefined) {
          propertyId = propertyIds.size + 1;
          propertyIds.set(name, propertyId);
          await me.run("INSERT INTO resource_properties (id, resource_type, property_name) VALUES (?, 'physical:host', ?)", [propertyId, name]);
        }
        await me.run(
          'INSERT INTO host_extra_capabilities (host_id, property_id, capability_value, capability_number) VALUES (?, ?, ?, ?)',
          [host.id, propertyId, value, capabilityNumber(value)],
        );
      }
    }
    return me;
  }

  /** Ids of the hosts the compiled SQL selects, ascending. */
  async sqlMatches(expr: FilterExpr | null): Promise<number[]> {
    const { sql, params } = compileFilterSql(expr, 'h');
    const rows = await this.all(`SELECT h.id AS id FROM hosts h WHERE ${sql} ORDER BY h.id`, params);
    return rows.map((row) => Number(row.id));
  }

  /** Ids of the hosts `evaluateFilter` accepts, ascending. */
  jsMatches(expr: FilterExpr | null): number[] {
    return this.hosts.filter((host) => evaluateFilter(expr, host)).map((host) => host.id).sort((a, b) => a - b);
  }

  close(): Promise<void> {
    return new Promise((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve())));
  }

  all(sql: string, params: unknown[]): Promise<Array<Record<string, unknown>>> {
    return new Promise((resolve, reject) =>
      this.db.all(sql, params, (err, rows: Array<Record<string, unknown>>) => (err ? reject(err) : resolve(rows))),
    );
  }

  private run(sql: string, params: unknown[]): Promise<void> {
    return new Promise((resolve, reject) => this.db.run(sql, params, (err) => (err ? reject(err) : resolve())));
  }
}
