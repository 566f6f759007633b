import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ClimateError, LogThrottle, type Logger } from '../../common';

/** Blazar's error body: clients print `error_message`. */
export function errorBody(status: number, message: string) {
  return { error_code: status, error_message: message, error_name: status };
}

/** Unknown route: 404; known route, wrong method: 405 with Allow. */
export function notFoundHandler(allowedMethods: (path: string) => string[]): RequestHandler {
  return (req, res) => {
    const allowed = allowedMethods(req.path);
    if (allowed.length) {
      res.set('Allow', allowed.join(', ')).status(405)
        .json(errorBody(405, `The method ${req.method} is not allowed for ${req.path}; allowed: ${allowed.join(', ')}`));
      return;
    }
    res.status(404).json(errorBody(404, `The resource could not be found: ${req.method} ${req.path}`));
  };
}

/**
 * Maps errors to Blazar's body. ClimateErrors carry their status (503 when the database cannot be reached);
 * body-parser's errors become 400/413; anything else is a 500 whose details only `debug` reveals (they are
 * logged either way). Identical errors are logged once a minute with a count (`throttle`), not once per
 * request: with the database down every request fails the same way.
 */
export function errorHandler(logger: Logger, debug: boolean, throttle = new LogThrottle()): ErrorRequestHandler {
  return (err, _req, res, _next) => {
    if (err instanceof ClimateError) {
      if (err.status >= 500) throttle.error(logger, `${err.code}: answering ${err.status}`, { error: String(err.cause ?? err.message) });
      res.status(err.status).json(errorBody(err.status, err.message));
      return;
    }
    const parserError = err as { type?: string; status?: number; message?: string; limit?: number };
    if (parserError?.type === 'entity.too.large') {
      res.status(413).json(errorBody(413, `Request body larger than ${parserError.limit} bytes`));
      return;
    }
    if (parserError?.type === 'entity.parse.failed') {
      res.status(400).json(errorBody(400, `Malformed JSON in request body: ${parserError.message}`));
      return;
    }
    if (parserError?.status && parserError.status >= 400 && parserError.status < 500) {
      res.status(parserError.status).json(errorBody(parserError.status, parserError.message ?? 'Bad request'));
      return;
    }
    throttle.error(logger, 'unexpected error', { error: String(err), stack: (err as Error)?.stack });
    const message = debug ? `Internal error: ${String(err)}` : 'Internal error: the request could not be completed';
    res.status(500).json(errorBody(500, message));
  };
}
