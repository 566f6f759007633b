import { Conflict, InvalidInput, NotFound, renderLeaseDate, type Clock, type Logger } from '../../common';
import type { CapabilityValue, Database, HostRecord, NewHost, Repositories, Tx } from '../../db';
import { capabilityNumber, evaluateFilter, parseFilter, referencedKeys, HOST_COLUMNS } from '../filter';
import { EXTRA_CAPABILITY, renderHost } from './host-view';
import type { HostReservationParams } from './params';
import type { HostRegistrar } from './nova';

/** Registration fields that are host columns; every other key is an extra capability. */
const REGISTRATION_FIELDS: Record<string, 'int' | 'string'> = {
  vcpus: 'int', memory_mb: 'int', local_gb: 'int', hypervisor_version: 'int',
  hypervisor_type: 'string', cpu_info: 'string', service_name: 'string', availability_zone: 'string',
};
/** Fields every rendered host has; a capability of the same name would be hidden behind them. */
const HOST_FIELDS = new Set([...HOST_COLUMNS.keys(), ...Object.keys(REGISTRATION_FIELDS), 'name', 'trust_id', 'created_at', 'updated_at',
  EXTRA_CAPABILITY]);
const MAX_KEY_LENGTH = 64;
const MAX_VALUE_LENGTH = 255;
/** What the host columns hold (VARCHAR(255), TEXT, INTEGER, BIGINT): more is a 400, not a database error. */
const MAX_NAME_LENGTH = 255;
const MAX_CPU_INFO_BYTES = 65535;
const MAX_INT: Record<string, number> = { hypervisor_version: Number.MAX_SAFE_INTEGER };
const MAX_INT_DEFAULT = 2147483647;

/** Capability values are strings; typed values (Heat's OS::Blazar::Host) are written as Python would print them. */
function capabilityText(key: string, value: unknown): string {
  if (typeof value === 'string') {
    if (value.length > MAX_VALUE_LENGTH) throw new InvalidInput(`Extra capability ${key}: value longer than ${MAX_VALUE_LENGTH} characters`);
    return value;
  }
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new InvalidInput(`Invalid input for field/attribute ${key}: an extra capability must be a string, number or boolean`);
}

function checkKey(key: string): void {
  if (key.length > MAX_KEY_LENGTH) throw new InvalidInput('Extra capability key too long');
  if (key === EXTRA_CAPABILITY) {
    throw new InvalidInput(`Invalid extra capability key "${EXTRA_CAPABILITY}": the name is reserved for the map of a host's extra capabilities`);
  }
  // "__proto__" cannot be a key of the plain objects capabilities travel in: it would be dropped silently.
  if (!/^[A-Za-z0-9_.:-]+$/.test(key) || key === '__proto__') {
    throw new InvalidInput(`Invalid extra capability key ${JSON.stringify(key)}: use letters, digits, "_", ".", ":" or "-"`);
  }
}

function capabilities(raw: Record<string, unknown>, allowNull: boolean): Record<string, CapabilityValue | null> {
  const out: Record<string, CapabilityValue | null> = {};
  for (const [key, value] of Object.entries(raw)) {
    checkKey(key);
    if (value === null) {
      if (allowNull) out[key] = null;
      continue;
    }
    const text = capabilityText(key, value);
    out[key] = { value: text, number: capabilityNumber(text) };
  }
  return out;
}

/** What GET /v1/os-hosts/allocations narrows to: a lease, a reservation, allocations overlapping start..end. */
export interface AllocationFilter {
  leaseId?: string;
  reservationId?: string;
  /** Only allocations ending after this (default: now, unless a lease or reservation is asked for, as in Blazar). */
  start?: Date | 'now';
  /** Only allocations starting before this. */
  end?: Date | 'now';
}

/** Host ids are numeric strings; anything else cannot name a host (the CLI looks names up itself). */
export function parseHostId(id: string): number {
  if (!/^\d{1,15}$/.test(id)) throw new NotFound('host', id);
  return Number(id);
}

/**
 * The hosts Climate can lease (compute driver `none`: records given at registration). Registration,
 * capability changes that must not break reservations, deletion guarded by allocations, properties.
 */
export class HostInventory {
  constructor(
    private readonly db: Database,
    private readonly repos: Repositories,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** The cloud side of registration (compute driver nova); none: hosts are records only. */
    private readonly registrar: HostRegistrar | null = null,
  ) {}

  async list(): Promise<Record<string, unknown>[]> {
    return (await this.repos.hosts.list()).map(renderHost);
  }

  async get(id: string): Promise<Record<string, unknown>> {
    return renderHost(await this.find(id));
  }

  async create(body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { name, ...rest } = body;
    if (typeof name !== 'string' || !name.trim()) throw new InvalidInput('Missing parameter name');
    if (name.trim().length > MAX_NAME_LENGTH) {
      throw new InvalidInput(`Invalid input for field/attribute name: longer than ${MAX_NAME_LENGTH} characters`);
    }
    const now = this.clock.now();
    const host: NewHost = {
      hypervisorHostname: name.trim(), hypervisorType: null, hypervisorVersion: null, vcpus: 0, cpuInfo: null, memoryMb: 0,
      localGb: 0, serviceName: null, availabilityZone: null, status: null, reservable: true, trustId: null, createdAt: now,
    };
    const extras: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(rest)) {
      // hasOwn: "constructor" or "toString" are capability names, not registration fields.
      const kind = Object.hasOwn(REGISTRATION_FIELDS, key) ? REGISTRATION_FIELDS[key] : undefined;
      if (!kind && HOST_FIELDS.has(key) && key !== EXTRA_CAPABILITY) {
        throw new InvalidInput(`${key} is not an extra capability and cannot be set at registration`);
      }
      if (!kind) { checkKey(key); extras[key] = value; continue; }
      if (value === null || value === undefined) continue;
      if (kind === 'int') {
        const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
          throw new InvalidInput(`Invalid input for field/attribute ${key}. Value: ${JSON.stringify(value)}. Must be a non-negative integer`);
        }
        const max = MAX_INT[key] ?? MAX_INT_DEFAULT;
        if (n > max) throw new InvalidInput(`Invalid input for field/attribute ${key}. Value: ${JSON.stringify(value)}. Must be at most ${max}`);
        this.assign(host, key, n);
      } else {
        const text = typeof value === 'string' ? value : JSON.stringify(value);
        const tooLong = key === 'cpu_info' ? Buffer.byteLength(text, 'utf8') > MAX_CPU_INFO_BYTES : text.length > MAX_VALUE_LENGTH;
        if (tooLong) {
          throw new InvalidInput(`Invalid input for field/attribute ${key}: longer than `
            + `${key === 'cpu_info' ? `${MAX_CPU_INFO_BYTES} bytes` : `${MAX_VALUE_LENGTH} characters`}`);
        }
        this.assign(host, key, text);
      }
    }
    const caps = capabilities(extras, false);
    // With a cloud behind: its description wins over the request's, and no HTTP call runs inside the transaction.
    if (this.registrar) Object.assign(host, await this.registrar.describe(host.hypervisorHostname));
    if (await this.repos.hosts.findByName(host.hypervisorHostname)) {
      throw new Conflict('host_exists', `Host ${host.hypervisorHostname} is already registered`);
    }
    const undo = this.registrar ? await this.registrar.enroll(host) : null;
    const id = await this.db.transaction(async (tx) => {
      if (await this.repos.hosts.findByName(host.hypervisorHostname, tx)) {
        throw new Conflict('host_exists', `Host ${host.hypervisorHostname} is already registered`);
      }
      const newId = await this.repos.hosts.insert(tx, host);
      await this.repos.hosts.setExtras(tx, newId, caps, now);
      return newId;
    }).catch(async (error: unknown) => {
      await this.compensate(undo, `registration of ${host.hypervisorHostname}`);
      throw error;
    });
    this.logger.info(`host ${id} (${host.hypervisorHostname}) registered`);
    return this.get(String(id));
  }

  /**
   * Sets or removes (null) extra capabilities. A change that a pending or active reservation holding the host
   * relies on is refused (409), checked under the host's row lock so no allocation slips in meanwhile.
   */
  async update(id: string, body: Record<string, unknown>): Promise<Record<string, unknown>> {
    const hostId = parseHostId(id);
    for (const key of Object.keys(body)) {
      if (HOST_FIELDS.has(key) && key !== EXTRA_CAPABILITY) {
        throw new InvalidInput(`${key} is not an extra capability and cannot be changed through this call`);
      }
    }
    const caps = capabilities(body, true);
    const now = this.clock.now();
    await this.db.transaction(async (tx) => {
      if (!(await this.repos.hosts.lock(tx, hostId))) throw new NotFound('host', id);
      const host = (await this.repos.hosts.get(hostId, tx))!;
      await this.checkReservationsStillMatch(tx, host, caps, now);
      await this.repos.hosts.setExtras(tx, hostId, caps, now);
      await this.repos.hosts.touch(tx, hostId, now);
    });
    return this.get(id);
  }

  /** Whole-host and instance-slot allocations of the host that end after `now`. */
  private async currentUse(hostId: number, now: Date, tx?: Tx): Promise<{ leaseId: string }[]> {
    const [hosts, slots] = await Promise.all([
      this.repos.hostAllocations.list({ hostId, endsAfter: now }, tx),
      this.repos.instanceAllocations.list({ hostId }, tx),
    ]);
    return [...hosts, ...slots.filter((a) => a.endDate > now)];
  }

  async delete(id: string): Promise<void> {
    const hostId = parseHostId(id);
    const now = this.clock.now();
    const inUse = (current: { leaseId: string }[]) => {
      const leases = [...new Set(current.map((a) => a.leaseId))];
      return new Conflict('host_in_use', `Host ${id} is allocated to current or future leases (${leases.join(', ')}); it cannot be deleted`);
    };
    let undo: (() => Promise<void>) | null = null;
    if (this.registrar) {
      // Checked before Nova is touched (and again under the lock below).
      const host = await this.find(id);
      const current = await this.currentUse(hostId, now);
      if (current.length) throw inUse(current);
      undo = await this.registrar.retire(host);
    }
    await this.db.transaction(async (tx) => {
      if (!(await this.repos.hosts.lock(tx, hostId))) throw new NotFound('host', id);
      const current = await this.currentUse(hostId, now, tx);
      if (current.length) throw inUse(current);
      await this.repos.hostAllocations.forgetHost(tx, hostId);
      await this.repos.instanceAllocations.forgetHost(tx, hostId);
      await this.repos.hosts.delete(tx, hostId);
    }).catch(async (error: unknown) => {
      await this.compensate(undo, `deletion of host ${id}`);
      throw error;
    });
    this.logger.info(`host ${id} deleted`);
  }

  /** Undoes a cloud change whose database write failed; a failed undo is logged for the reconciler to find. */
  private async compensate(undo: (() => Promise<void>) | null, what: string): Promise<void> {
    if (!undo) return;
    try {
      await undo();
    } catch (error) {
      this.logger.error(`could not undo the Nova side of the failed ${what}; the reconciler will report it`, { error: String(error) });
    }
  }

  /**
   * Allocations grouped by host, every host listed (those without any with an empty list), as Blazar lists
   * them: from now on unless a range is given, except that a lease or reservation filter alone shows all of its
   * allocations, past ones included.
   */
  async allocations(filter: AllocationFilter & { hostId?: number }): Promise<Record<string, unknown>[]> {
    const now = this.clock.now();
    const at = (d: Date | 'now' | undefined) => (d === 'now' ? now : d);
    const [start, end] = [at(filter.start), at(filter.end)];
    if (start && end && end <= start) {
      throw new InvalidInput(`Query parameter end (${end.toISOString()}) must be later than start (${start.toISOString()})`);
    }
    const targeted = filter.leaseId !== undefined || filter.reservationId !== undefined;
    // Two queries whatever the number of hosts and allocations, run side by side.
    const [rows, ids] = await Promise.all([
      this.repos.hostAllocations.list({
        leaseId: filter.leaseId, reservationId: filter.reservationId, hostId: filter.hostId,
        endsAfter: start ?? (targeted ? undefined : now), startsBefore: end,
      }),
      filter.hostId !== undefined ? [filter.hostId] : this.repos.hosts.ids(),
    ]);
    const byHost = new Map<number, Record<string, unknown>[]>(ids.map((id) => [id, []]));
    for (const a of rows) {
      byHost.get(a.hostId)?.push({
        id: a.reservationId, lease_id: a.leaseId, start_date: renderLeaseDate(a.startDate), end_date: renderLeaseDate(a.endDate),
      });
    }
    return [...byHost.entries()].map(([hostId, reservations]) => ({ resource_id: String(hostId), reservations }));
  }

  async allocation(id: string, filter: AllocationFilter = {}): Promise<Record<string, unknown>> {
    const host = await this.find(id);
    const [entry] = await this.allocations({ ...filter, hostId: host.id });
    return entry;
  }

  async properties(options: { detail: boolean; all: boolean }): Promise<Record<string, unknown>[]> {
    const props = await this.repos.hosts.properties();
    return props.filter((p) => options.all || !p.private).map((p) => (options.detail
      ? { property: p.name, private: p.private, values: p.values }
      : { property: p.name }));
  }

  async setPropertyPrivate(name: string, isPrivate: boolean): Promise<Record<string, unknown>> {
    const changed = await this.db.transaction((tx) => this.repos.hosts.setPropertyPrivate(tx, name, isPrivate, this.clock.now()));
    if (!changed) throw new NotFound('property', name);
    const prop = (await this.repos.hosts.properties()).find((p) => p.name === name)!;
    return { property: prop.name, private: prop.private, values: prop.values, resource_type: prop.resourceType };
  }

  private async find(id: string, tx?: Tx): Promise<HostRecord> {
    const host = await this.repos.hosts.get(parseHostId(id), tx);
    if (!host) throw new NotFound('host', id);
    return host;
  }

  private assign(host: NewHost, key: string, value: string | number): void {
    const fields: Record<string, keyof NewHost> = {
      vcpus: 'vcpus', memory_mb: 'memoryMb', local_gb: 'localGb', hypervisor_version: 'hypervisorVersion',
      hypervisor_type: 'hypervisorType', cpu_info: 'cpuInfo', service_name: 'serviceName', availability_zone: 'availabilityZone',
    };
    (host as unknown as Record<string, unknown>)[fields[key]] = value;
  }

  private async checkReservationsStillMatch(tx: Tx, host: HostRecord, caps: Record<string, CapabilityValue | null>, now: Date): Promise<void> {
    const changed = new Set(Object.keys(caps));
    const extras: Record<string, string> = { ...host.extras };
    for (const [key, value] of Object.entries(caps)) {
      if (value === null) delete extras[key]; else extras[key] = value.value;
    }
    const row = { ...renderHost(host), id: host.id, extras };
    for (const r of await this.repos.hostAllocations.reservationsOnHost(tx, host.id, now)) {
      const params = JSON.parse(r.params) as HostReservationParams;
      for (const field of ['hypervisor_properties', 'resource_properties'] as const) {
        const expr = parseFilter(params[field], field);
        if (!expr || !referencedKeys(expr).some((k) => changed.has(k))) continue;
        if (!evaluateFilter(expr, row)) {
          throw new Conflict('capability_in_use', `Cannot change ${[...changed].join(', ')} on host ${host.id}: reservation `
            + `${r.reservationId} holds it with ${field} ${params[field]}, which the host would no longer match`);
        }
      }
    }
  }
}

