import { Forbidden } from '../common';
import type { RequestContext } from './context';

/**
 * Default rules. Leases are guarded by ownership in the lease service; hosts, allocations, properties and
 * floating-IP registration are for admins.
 */
const ADMIN_ONLY = new Set([
  'climate:oshosts:get', 'climate:oshosts:post', 'climate:oshosts:put', 'climate:oshosts:delete',
  'climate:oshosts:get_allocations', 'climate:oshosts:get_resource_properties',
  'climate:oshosts:update_resource_properties', 'climate:floatingips:get', 'climate:floatingips:post',
  'climate:floatingips:delete',
]);

/** Decides whether `ctx` may perform `rule`; refuses with Blazar's 403 message. */
export class Policy {
  enforce(ctx: RequestContext, rule: string): void {
    if (ADMIN_ONLY.has(rule) && !ctx.isAdmin) throw new Forbidden(`Policy doesn't allow ${rule} to be performed.`);
  }
}
