import type { RequestContext } from '../auth/context';
import type { LeaseTrusts } from '../auth/trusts';
import { actsOn, type PluginRegistry } from '../plugins';

/** A reservation as far as the trust rule cares: its type and its (stored, validated or requested) parameters. */
export interface TrustSubject {
  resourceType: unknown;
  params: Record<string, unknown>;
}

/**
 * Whether a lease with these reservations needs its owner's Keystone trust: one of them is of a type whose
 * start or end action calls the cloud as the owner (ResourcePlugin.actsAsOwner), and it has such an action
 * (`on_start` / `on_end` not both `none`). Host, instance and floating IP leases never do: Climate acts for them
 * with its own service token, so creating one costs no Keystone call (issue 18).
 */
export function needsOwnerTrust(plugins: PluginRegistry, reservations: Iterable<TrustSubject>): boolean {
  for (const { resourceType, params } of reservations) {
    const plugin = typeof resourceType === 'string' ? plugins.get(resourceType) : undefined;
    if (plugin?.actsAsOwner && (actsOn('onStart', params) || actsOn('onEnd', params))) return true;
  }
  return false;
}

/** The reservations of a create's body as the rule sees them, before they are validated (anything else: none). */
export function requestedReservations(raw: unknown): TrustSubject[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null)
    .map(({ resource_type: resourceType, ...params }) => ({ resourceType, params }));
}

/**
 * A trust being created while the request does other work (validation): settled into a value at once, so a
 * Keystone failure waits for `id()` instead of being an unhandled rejection, and `withdraw()` cleans up after
 * a request that failed for another reason.
 */
export class PendingTrust {
  private readonly outcome: Promise<{ id: string | null } | { error: unknown }>;

  constructor(private readonly trusts: LeaseTrusts, private readonly ctx: RequestContext, projectId: string) {
    this.outcome = trusts.createForLease(ctx, projectId).then((id) => ({ id }), (error: unknown) => ({ error }));
  }

  /** The trust's id (null when the caller has no token to delegate with). @throws what the creation threw */
  async id(): Promise<string | null> {
    const outcome = await this.outcome;
    if ('error' in outcome) throw outcome.error;
    return outcome.id;
  }

  /** Deletes the trust if it was made; never throws (see LeaseTrusts.release). */
  async withdraw(): Promise<void> {
    const outcome = await this.outcome;
    if ('id' in outcome && outcome.id) await this.trusts.release(outcome.id, this.ctx);
  }
}
