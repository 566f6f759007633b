import { Router } from 'express';
import type { LeaseService } from '../../leases';
import { sendJsonPieces } from '../json-body';
import { contextOf, pathParam } from '../middleware/context';
import { validateRequest, validatedRequest, type RequestValidator } from '../validation';

export interface LeasesRouterOptions {
  /** Page size when the client gives no `limit` (0: everything), and the largest page served. */
  defaultLimit: number;
  maxLimit: number;
}

/** /v1/leases: parse, authorise by ownership (in the service), delegate. */
export function leasesRouter(leases: LeaseService, validator: RequestValidator, options: LeasesRouterOptions): Router {
  const router = Router();

  router.get('/', validateRequest('listLeases', validator), async (req, res) => {
    const { query } = validatedRequest(res, 'listLeases');
    const asked = query.limit ?? (options.defaultLimit || undefined);
    const limit = asked === undefined ? undefined : Math.min(asked, options.maxLimit);
    const page = await leases.listJson(contextOf(res), {
      status: query.status, name: query.name, projectId: query.project_id, limit, marker: query.marker,
    });
    let links = '}';
    if (page.nextMarker) {
      const next = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) if (value !== undefined && key !== 'marker') next.set(key, String(value));
      next.set('limit', String(limit));
      next.set('marker', page.nextMarker);
      links = `,"leases_links":${JSON.stringify([{ rel: 'next', href: `${req.protocol}://${req.get('host')}/v1/leases?${next}` }])}}`;
    }
    // The body res.json would send ({"leases":[...],"leases_links":[...]}), around the leases' JSON text.
    sendJsonPieces(res, ['{"leases":', ...page.leasesJson, links]);
  });

  router.post('/', validateRequest('createLease', validator), async (_req, res) => {
    const { body } = validatedRequest(res, 'createLease');
    res.status(201).json({ lease: await leases.create(contextOf(res), body as Record<string, unknown>) });
  });

  router.get('/:leaseId', validateRequest('showLease', validator), async (req, res) => {
    res.json({ lease: await leases.get(contextOf(res), pathParam(req, 'leaseId')) });
  });

  router.put('/:leaseId', validateRequest('updateLease', validator), async (req, res) => {
    const { body } = validatedRequest(res, 'updateLease');
    res.json({ lease: await leases.update(contextOf(res), pathParam(req, 'leaseId'), body as Record<string, unknown>) });
  });

  router.delete('/:leaseId', validateRequest('deleteLease', validator), async (req, res) => {
    await leases.delete(contextOf(res), pathParam(req, 'leaseId'));
    res.status(204).end();
  });

  return router;
}
