import type { HostCondition, Repositories } from '../../db';
import { compileFilterSql, parseFilter, validateKeys } from '../filter';

/** The two host filters a read-only host query (capacity, calendar) takes, in a reservation's language. */
export interface HostQueryFilters {
  hypervisorProperties?: string;
  resourceProperties?: string;
}

/**
 * Both filters compiled to SQL over hosts aliased `h`; empty or absent filters add nothing. An unknown `$key`
 * or a malformed filter is a 400 naming the query parameter. Host property names are read only when a filter
 * is given, so an unfiltered query costs no extra read.
 */
export async function compileHostQueryFilters(repos: Repositories, q: HostQueryFilters): Promise<HostCondition[]> {
  const fields = [['hypervisor_properties', q.hypervisorProperties], ['resource_properties', q.resourceProperties]] as const;
  const exprs = fields.map(([field, text]) => parseFilter(text ?? '', field));
  const known = exprs.some((e) => e !== null) ? await repos.hosts.propertyNames() : new Set<string>();
  return exprs.flatMap((expr, i) => {
    if (!expr) return [];
    validateKeys(expr, fields[i][0], known);
    return [compileFilterSql(expr, 'h')];
  });
}
