/**
 * The host columns a filter may name. This whitelist is the only source of column names that reach SQL
 * text, so a `$key` can never inject an identifier.
 */

/** How a host column's values compare. */
export type HostColumnKind = 'integer' | 'text' | 'boolean';

/** Columns of table `hosts`, by how they compare. A `$key` naming one of these never refers to an extra capability. */
export const HOST_COLUMNS: ReadonlyMap<string, HostColumnKind> = new Map<string, HostColumnKind>([
  ['id', 'integer'],
  ['hypervisor_hostname', 'text'],
  ['hypervisor_type', 'text'],
  ['hypervisor_version', 'integer'],
  ['vcpus', 'integer'],
  ['cpu_info', 'text'],
  ['memory_mb', 'integer'],
  ['local_gb', 'integer'],
  ['service_name', 'text'],
  ['availability_zone', 'text'],
  ['status', 'text'],
  ['reservable', 'boolean'],
]);

/** The kind of host column `key` names, or undefined when `key` is not a host column. */
export function hostColumnKind(key: string): HostColumnKind | undefined {
  return HOST_COLUMNS.get(key);
}
