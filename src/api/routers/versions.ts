import { Router, type Request } from 'express';
import { MAX_VERSION, MIN_VERSION } from '../middleware/microversion';

/** The URL clients reached us by (behind a proxy, X-Forwarded-* when trusted by express). */
function baseUrl(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? '127.0.0.1'}`;
}

function version(req: Request) {
  return {
    id: 'v1.0',
    status: 'CURRENT',
    links: [{ rel: 'self', href: `${baseUrl(req)}/v1` }],
    min_version: MIN_VERSION,
    max_version: MAX_VERSION,
  };
}

/**
 * Version discovery, without a token: the legacy `blazar` CLI GETs the endpoint and expects 300 with the
 * versions list (multiple choices) before it authenticates.
 */
export function versionsRouter(): Router {
  const router = Router();
  const list = (req: Request, res: import('express').Response) => { res.status(300).json({ versions: [version(req)] }); };
  router.get('/', list);
  router.get('/versions', list);
  router.get('/v1', (req, res) => { res.json({ version: version(req) }); });
  return router;
}
