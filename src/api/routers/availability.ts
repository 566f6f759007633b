import { Router } from 'express';
import type { AvailabilityService } from '../../leases';
import { contextOf } from '../middleware/context';
import { validateRequest, validatedRequest, type RequestValidator } from '../validation';

/** POST /v1/leases/availability: when would a lease fit. Authorised in the service (policy climate:leases:availability). */
export function availabilityRouter(availability: AvailabilityService, validator: RequestValidator): Router {
  const router = Router();
  router.post('/', validateRequest('findLeaseSlots', validator), async (_req, res) => {
    const { body } = validatedRequest(res, 'findLeaseSlots');
    res.json(await availability.find(contextOf(res), body as Record<string, unknown>));
  });
  return router;
}
