import { Router } from 'express';
import type { Policy } from '../../auth';
import type { VolumePoolInventory } from '../../plugins/virtual-volume';
import { contextOf, pathParam } from '../middleware/context';
import { validateRequest, validatedRequest, type RequestValidator } from '../validation';

/** /v1/volume-pools: the Cinder pools admins make reservable for virtual:volume, with their capacity. */
export function volumePoolsRouter(pools: VolumePoolInventory, policy: Policy, validator: RequestValidator): Router {
  const router = Router();

  router.get('/', validateRequest('listVolumePools', validator), async (_req, res) => {
    policy.enforce(contextOf(res), 'climate:volumepools:get');
    res.json({ volume_pools: await pools.list() });
  });

  router.post('/', validateRequest('createVolumePool', validator), async (_req, res) => {
    policy.enforce(contextOf(res), 'climate:volumepools:post');
    const { body } = validatedRequest(res, 'createVolumePool');
    res.status(201).json({ volume_pool: await pools.create(body as Record<string, unknown>) });
  });

  router.get('/:poolId', validateRequest('showVolumePool', validator), async (req, res) => {
    policy.enforce(contextOf(res), 'climate:volumepools:get');
    res.json({ volume_pool: await pools.get(pathParam(req, 'poolId')) });
  });

  router.put('/:poolId', validateRequest('updateVolumePool', validator), async (req, res) => {
    policy.enforce(contextOf(res), 'climate:volumepools:put');
    const { body } = validatedRequest(res, 'updateVolumePool');
    res.json({ volume_pool: await pools.update(pathParam(req, 'poolId'), body as Record<string, unknown>) });
  });

  router.delete('/:poolId', validateRequest('deleteVolumePool', validator), async (req, res) => {
    policy.enforce(contextOf(res), 'climate:volumepools:delete');
    await pools.delete(pathParam(req, 'poolId'));
    res.status(204).end();
  });

  return router;
}
