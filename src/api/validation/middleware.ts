/**
 * Express glue: `validateRequest(operationId)` checks `req.body` and `req.query` against the document before the
 * handler runs and leaves the validated values in `res.locals` (express 5 makes `req.query` read-only, and the
 * validated body carries schema defaults the raw one lacks).
 */
import type { RequestHandler, Response } from 'express';
import { loadOpenApiDocument } from './document';
import type { OperationId, RequestBody, RequestQuery, ValidatedRequest } from './types';
import { createValidator, type RequestValidator } from './validator';

/** Key of the validated request in `res.locals`. */
const LOCALS_KEY = 'validated';

let shared: RequestValidator | undefined;

/** The validator for src/api/openapi.yaml, created on first use (never at import time) and then reused. */
export function defaultValidator(): RequestValidator {
  shared ??= createValidator(loadOpenApiDocument());
  return shared;
}

/**
 * Middleware validating the request of `operationId`; errors go to `next` as InvalidInput (400). An operationId
 * the document lacks throws here, at route registration, rather than on the first request.
 */
export function validateRequest<K extends OperationId>(operationId: K, validator: RequestValidator = defaultValidator()): RequestHandler {
  const info = validator.operation(operationId);
  if (!info) throw new Error(`validateRequest: unknown operationId ${operationId}`);
  return (req, res, next) => {
    try {
      const validated: ValidatedRequest<K> = {
        operationId,
        body: (info.hasBody ? validator.validateBody(operationId, req.body) : undefined) as RequestBody<K>,
        query: validator.validateQuery(operationId, req.query) as RequestQuery<K>,
      };
      res.locals[LOCALS_KEY] = validated;
      next();
    } catch (err) {
      next(err);
    }
  };
}

/**
 * The values `validateRequest(operationId)` left for this response. Throws if that middleware did not run for
 * this operation, which is a routing bug.
 */
export function validatedRequest<K extends OperationId>(res: Response, operationId: K): ValidatedRequest<K> {
  const validated = res.locals[LOCALS_KEY] as ValidatedRequest<OperationId> | undefined;
  if (!validated || validated.operationId !== operationId) {
    throw new Error(`validateRequest('${operationId}') did not run for this request`);
  }
  return validated as ValidatedRequest<K>;
}
