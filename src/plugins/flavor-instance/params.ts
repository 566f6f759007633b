import { InvalidInput } from '../../common';
import { FLAVOR_RESERVATION_KEY, parseInstanceParams, updateInstanceParams, type InstanceReservationParams } from '../virtual-instance';

/** The Nova flavor a reservation names, as Climate read it at create (copied onto the reservation's own flavor at start). */
export interface SourceFlavor {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
  ephemeral: number;
  extra_specs: Record<string, string>;
}

/**
 * The flavor of `flavorId` as the lease's project may use it: null when Nova has no flavor of that id or it is
 * private without access for the project (Nova answers both the same to a project, and so does Climate).
 */
export type ProjectFlavorLookup = (flavorId: string, projectId: string) => Promise<SourceFlavor | null>;

/**
 * Stored parameters of a flavor:instance reservation: those of a virtual:instance reservation sized from the
 * flavor (so the instance slot code works on them unchanged), and the flavor itself. `flavor_id` stays what it
 * is for virtual:instance, the reservation's own flavor (null before the start), as in Blazar's answers.
 */
export interface FlavorInstanceParams extends InstanceReservationParams {
  source_flavor: SourceFlavor;
}

const INPUT = new Set(['amount', 'flavor_id', 'affinity', 'resource_properties']);
/** Shown by the API and sent back by some clients with a PUT; ignored when unchanged. */
const OUTPUT = new Set(['vcpus', 'memory_mb', 'disk_gb', 'server_group_id', 'aggregate_id', 'source_flavor']);

function checkKnown(raw: Record<string, unknown>, allowOutput: boolean): void {
  for (const key of Object.keys(raw)) {
    if (INPUT.has(key) || (allowOutput && OUTPUT.has(key))) continue;
    const why = OUTPUT.has(key) ? 'the flavor gives it' : 'not a parameter of flavor:instance reservations';
    throw new InvalidInput(`Invalid input for field/attribute ${key}: ${why}`);
  }
}

/**
 * The amount of a standard class a `resources:<CLASS>` extra spec asks for instead of the flavor's field: Nova's
 * scheduler requests that amount from Placement (Ironic flavors set them to 0 and ask for a custom class), and
 * Blazar's flavor plugin counts it too. Undefined without such a spec or when it is not a whole number >= 0.
 */
function overridden(specs: Record<string, string>, resourceClass: string): number | undefined {
  const raw = specs[`resources:${resourceClass}`];
  if (raw === undefined || !/^\s*\d+\s*$/.test(raw)) return undefined;
  return Number(raw);
}

/**
 * The slot size of a flavor: what an instance of it takes on a host, its vCPUs, RAM, and root plus ephemeral
 * disk, each replaced by the flavor's `resources:VCPU`, `resources:MEMORY_MB` or `resources:DISK_GB` when set.
 */
export const sizeOf = (f: SourceFlavor) => ({
  vcpus: overridden(f.extra_specs, 'VCPU') ?? f.vcpus,
  memory_mb: overridden(f.extra_specs, 'MEMORY_MB') ?? f.ram,
  disk_gb: overridden(f.extra_specs, 'DISK_GB') ?? f.disk + f.ephemeral,
});

/**
 * A flavor with dedicated CPUs (`hw:cpu_policy=dedicated|mixed`, or `resources:PCPU`) is scheduled by Nova on
 * the hosts' PCPU inventory, not VCPU. Climate counts slots in the vCPUs of its host records and knows no PCPU
 * count per host, so it could not say how many such instances fit: it refuses the flavor rather than hold slots
 * Nova would not honour.
 */
function refuseDedicatedCpus(flavor: SourceFlavor): void {
  const policy = flavor.extra_specs['hw:cpu_policy']?.trim().toLowerCase();
  const pcpu = flavor.extra_specs['resources:PCPU'];
  const why = policy === 'dedicated' || policy === 'mixed' ? `hw:cpu_policy=${policy}`
    : pcpu !== undefined && !/^\s*0*\s*$/.test(pcpu) ? `resources:PCPU=${pcpu.trim()}` : null;
  if (why) {
    throw new InvalidInput(`Flavor ${flavor.id} asks for dedicated CPUs (${why}): Nova places them on hosts' PCPU inventory, `
      + 'which Climate does not count; flavor:instance reservations take flavors of shared vCPUs only');
  }
}

/**
 * Checks a new reservation's parameters and looks its flavor up for `projectId` (null lookup: no compute service).
 * Everything is checked before anything is written; an unknown or invisible flavor is a 400 naming it.
 */
export async function parseFlavorParams(raw: Record<string, unknown>, projectId: string, lookup: ProjectFlavorLookup | null): Promise<FlavorInstanceParams> {
  checkKnown(raw, false);
  // The CLI sends a numeric id (Nova's m1.* flavors are "1" to "5") as a JSON number.
  const ref = typeof raw.flavor_id === 'number' && Number.isInteger(raw.flavor_id) ? String(raw.flavor_id) : raw.flavor_id;
  if (ref === undefined || ref === null || ref === '') throw new InvalidInput('Missing parameter flavor_id');
  if (typeof ref !== 'string') throw new InvalidInput(`Invalid input for field/attribute flavor_id. Value: ${JSON.stringify(ref)}. Must be a string`);
  // amount, affinity and resource_properties are checked as virtual:instance checks them, before Nova is asked.
  const base = parseInstanceParams({ amount: raw.amount, affinity: raw.affinity, resource_properties: raw.resource_properties, vcpus: 1, memory_mb: 0, disk_gb: 0 });
  if (!lookup) {
    throw new InvalidInput('flavor:instance reservations need [compute] driver = nova: Climate looks the flavor up in Nova');
  }
  const flavor = await lookup(ref, projectId);
  if (!flavor) throw new InvalidInput(`Invalid input for field/attribute flavor_id. Value: ${JSON.stringify(ref)}. No such flavor visible to project ${projectId}`);
  // A reservation's own flavor (shared with its project) pins instances to that reservation's slots: a copy
  // would ask for both reservations' resource classes and never be scheduled.
  const owner = flavor.extra_specs[FLAVOR_RESERVATION_KEY];
  if (owner) {
    throw new InvalidInput(`Invalid input for field/attribute flavor_id. Value: ${JSON.stringify(ref)}. It is the flavor of reservation `
      + `${owner}; name the flavor it was made from`);
  }
  refuseDedicatedCpus(flavor);
  const size = sizeOf(flavor);
  if (size.vcpus <= 0 && size.memory_mb <= 0 && size.disk_gb <= 0) {
    throw new InvalidInput(`Flavor ${flavor.id} asks for no vCPU, RAM or disk (with its resources:* extra specs): its instances cannot be counted in slots`);
  }
  return { ...base, ...size, source_flavor: flavor };
}

/**
 * Applies a PUT: `amount`, `affinity` and `resource_properties` change as for virtual:instance (after the start
 * only a raised amount). The flavor is fixed: `flavor_id` may be sent back as the flavor asked for or the
 * reservation's own; sizes and other output fields sent back unchanged are ignored.
 */
export function updateFlavorParams(current: FlavorInstanceParams, changes: Record<string, unknown>, started: boolean): FlavorInstanceParams {
  checkKnown(changes, true);
  const ref = typeof changes.flavor_id === 'number' ? String(changes.flavor_id) : changes.flavor_id;
  if (ref !== undefined && ref !== null && ref !== current.source_flavor.id && ref !== current.flavor_id) {
    throw new InvalidInput(`Cannot change flavor_id of a flavor:instance reservation (from ${current.source_flavor.id} to ${JSON.stringify(ref)}): `
      + 'make a new reservation for another flavor');
  }
  for (const field of ['vcpus', 'memory_mb', 'disk_gb'] as const) {
    if (changes[field] !== undefined && Number(changes[field]) !== current[field]) {
      throw new InvalidInput(`Cannot change ${field} of a flavor:instance reservation: the flavor gives it`);
    }
  }
  const own: Record<string, unknown> = {};
  for (const key of ['amount', 'affinity', 'resource_properties']) if (Object.hasOwn(changes, key)) own[key] = changes[key];
  return { ...updateInstanceParams(current, own, started), source_flavor: current.source_flavor };
}
