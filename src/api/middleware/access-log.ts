import type { Request, RequestHandler, Response } from 'express';
import { requestScope, type Logger } from '../../common';
import type { RequestContext } from '../../auth';

/** Polled every few seconds by load balancers and Prometheus: logged at DEBUG while they answer 2xx. */
const QUIET_PATHS = new Set(['/healthcheck', '/metrics']);

/** Body bytes sent, as Content-Length says (none for HEAD, 204 and 304). */
function bodyBytes(req: Request, res: Response): number {
  if (req.method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304) return 0;
  const length = Number(res.getHeader('content-length'));
  return Number.isFinite(length) ? length : 0;
}

/**
 * The access log: one line per request once its response is sent (or the client went away first), at INFO, with
 * method, path (and query), status, body bytes, duration, the caller's address and identity; the request ids are in
 * the line's brackets as in every line of the request. 2xx answers of /healthcheck and /metrics are at DEBUG.
 * Mounted after the request id middleware, whose scope it logs in.
 */
export function accessLogMiddleware(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const scope = requestScope.getStore();
    // The URL as received: routers rewrite req.url while they handle the request.
    const path = req.originalUrl;
    let logged = false;
    const log = (aborted: boolean) => {
      if (logged) return;
      logged = true;
      const ctx = res.locals.context as RequestContext | undefined;
      const fields: Record<string, unknown> = {
        method: req.method, path, status: res.statusCode, bytes: aborted ? 0 : bodyBytes(req, res),
        duration_ms: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
        remote_addr: req.socket.remoteAddress ?? null,
        ...(ctx ? { user_id: ctx.userId, project_id: ctx.projectId } : {}),
      };
      const message = `${req.method} ${path} ${res.statusCode}${aborted ? ' (the client closed the connection before the response was sent)' : ''}`;
      const quiet = !aborted && res.statusCode < 300 && QUIET_PATHS.has(req.path);
      // 'finish' may fire outside the request's async context: log in the scope the request ran in.
      const write = () => (quiet ? logger.debug(message, fields) : logger.info(message, fields));
      if (scope) requestScope.run(scope, write);
      else write();
    };
    res.once('finish', () => log(false));
    res.once('close', () => log(!res.writableFinished));
    next();
  };
}
