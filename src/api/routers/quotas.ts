import { Router } from 'express';
import type { QuotaService } from '../../quotas';
import { contextOf, pathParam } from '../middleware/context';
import { validateRequest, validatedRequest, type RequestValidator } from '../validation';

/** /v1/quotas: per-project limits (authorised in the service: admins set them, the project's users read them). */
export function quotasRouter(quotas: QuotaService, validator: RequestValidator): Router {
  const router = Router();

  router.get('/', validateRequest('listQuotas', validator), async (_req, res) => {
    res.json(await quotas.list(contextOf(res)));
  });

  router.get('/:projectId', validateRequest('showQuota', validator), async (req, res) => {
    res.json({ quota: await quotas.get(contextOf(res), pathParam(req, 'projectId')) });
  });

  // PATCH is PUT here: either changes the limits given and keeps the others.
  for (const method of ['put', 'patch'] as const) {
    const operation = method === 'put' ? 'updateQuota' : 'patchQuota';
    router[method]('/:projectId', validateRequest(operation, validator), async (req, res) => {
      const { body } = validatedRequest(res, operation);
      res.json({ quota: await quotas.set(contextOf(res), pathParam(req, 'projectId'), body) });
    });
  }

  router.delete('/:projectId', validateRequest('deleteQuota', validator), async (req, res) => {
    await quotas.reset(contextOf(res), pathParam(req, 'projectId'));
    res.status(204).end();
  });

  return router;
}
