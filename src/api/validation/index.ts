/** Request validation and API types derived from src/api/openapi.yaml. */
export { loadOpenApiDocument, listOperations, type OpenApiDocument, type OperationEntry } from './document';
export { createValidator, type OperationInfo, type RequestValidator } from './validator';
export { defaultValidator, validateRequest, validatedRequest } from './middleware';
export { formatValidationError, pyRepr } from './messages';
export type * from './types';
