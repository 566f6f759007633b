import { Router } from 'express';
import type { UsageReport } from '../../leases';
import { contextOf } from '../middleware/context';
import { validateRequest, validatedRequest, type RequestValidator } from '../validation';

/** /v1/usage: host-hours and instance-slot-hours by project (authorised in the report: members see their own). */
export function usageRouter(usage: UsageReport, validator: RequestValidator): Router {
  const router = Router();
  router.get('/', validateRequest('showUsage', validator), async (_req, res) => {
    const { query } = validatedRequest(res, 'showUsage');
    res.json(await usage.summary(contextOf(res), query));
  });
  return router;
}
