import { ServiceUnavailable } from '../../common';
import { OpenStackUnavailable, type PlacementClient } from '../../openstack';
import type { InstanceHostScope, InstanceReservationParams } from '../virtual-instance';
import type { SourceFlavor } from './params';

/** The traits a flavor's `trait:<NAME>=required|forbidden` extra specs ask of a host, as Nova's scheduler reads them. */
export interface TraitRule {
  required: string[];
  forbidden: string[];
}

/** Other values of a `trait:` spec are ignored by Nova's scheduler, and so by Climate. */
export function traitRule(specs: Record<string, string>): TraitRule {
  const rule: TraitRule = { required: [], forbidden: [] };
  for (const [key, value] of Object.entries(specs)) {
    if (!key.startsWith('trait:')) continue;
    const name = key.slice('trait:'.length);
    const v = value.trim().toLowerCase();
    if (v === 'required') rule.required.push(name);
    else if (v === 'forbidden') rule.forbidden.push(name);
  }
  rule.required.sort();
  rule.forbidden.sort();
  return rule;
}

export function describeRule(rule: TraitRule): string {
  const parts = [];
  if (rule.required.length) parts.push(`trait(s) ${rule.required.join(', ')}`);
  if (rule.forbidden.length) parts.push(`none of trait(s) ${rule.forbidden.join(', ')}`);
  return `with ${parts.join(' and ')}`;
}

/** Names of the compute node providers (their hypervisor hostnames) that meet the rule, from Placement in one question. */
export type TraitProviderNames = (rule: TraitRule) => Promise<string[]>;

/**
 * The hosts a flavor:instance reservation may use when its flavor requires or forbids traits: those whose compute
 * node provider in Placement matches (by hypervisor hostname, as the reservation's slot providers are found), so a
 * lease is never accepted on hosts where Nova would then answer NoValidHost. Null for a flavor without trait
 * specs and for other reservations (the same slot code serves virtual:instance).
 */
export function traitHostScope(names: TraitProviderNames): InstanceHostScope {
  return async (params) => {
    const source = (params as InstanceReservationParams & { source_flavor?: SourceFlavor }).source_flavor;
    if (!source) return null;
    const rule = traitRule(source.extra_specs);
    if (!rule.required.length && !rule.forbidden.length) return null;
    const matching = await names(rule).catch((error: unknown) => {
      // Without Placement's answer Climate cannot tell where Nova would schedule the flavor: refuse, it may work later.
      if (!(error instanceof OpenStackUnavailable)) throw error;
      throw new ServiceUnavailable(`Placement could not say which compute nodes have the trait(s) of flavor ${source.id}: ${error.message}`, { cause: error });
    });
    const words = `${describeRule(rule)} in Placement`;
    if (!matching.length) return { condition: { sql: '1 = 0', params: [] }, words };
    return { condition: { sql: `h.hypervisor_hostname IN (${matching.map(() => '?').join(', ')})`, params: matching }, words };
  };
}

/** The compute nodes Placement says meet the rule (a client of Climate's own credentials). */
export function placementTraitHosts(placement: PlacementClient): TraitProviderNames {
  return async (rule) => (await placement.computeNodesWithTraits(rule.required, rule.forbidden)).map((p) => p.name);
}
