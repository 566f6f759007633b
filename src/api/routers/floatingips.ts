import { Router } from 'express';
import type { Policy } from '../../auth';
import type { FloatingIpInventory } from '../../plugins/floatingip';
import { contextOf, pathParam } from '../middleware/context';
import { validateRequest, validatedRequest, type RequestValidator } from '../validation';

/** /v1/floatingips: the floating IPs admins make reservable (records only until the Neutron side exists). */
export function floatingIpsRouter(ips: FloatingIpInventory, policy: Policy, validator: RequestValidator): Router {
  const router = Router();

  router.get('/', validateRequest('listFloatingIPs', validator), async (_req, res) => {
    policy.enforce(contextOf(res), 'climate:floatingips:get');
    res.json({ floatingips: await ips.list() });
  });

  router.post('/', validateRequest('createFloatingIP', validator), async (_req, res) => {
    policy.enforce(contextOf(res), 'climate:floatingips:post');
    const { body } = validatedRequest(res, 'createFloatingIP');
    res.status(201).json({ floatingip: await ips.create(body as Record<string, unknown>) });
  });

  router.get('/:floatingipId', validateRequest('showFloatingIP', validator), async (req, res) => {
    policy.enforce(contextOf(res), 'climate:floatingips:get');
    res.json({ floatingip: await ips.get(pathParam(req, 'floatingipId')) });
  });

  router.delete('/:floatingipId', validateRequest('deleteFloatingIP', validator), async (req, res) => {
    policy.enforce(contextOf(res), 'climate:floatingips:delete');
    await ips.delete(pathParam(req, 'floatingipId'));
    res.status(204).end();
  });

  return router;
}
