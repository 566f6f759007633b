/**
 * Loading and walking the OpenAPI document (src/api/openapi.yaml). Only what the validator needs is modelled;
 * the document's full shape is checked by the api-contract tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

/** A JSON object as parsed from YAML. */
export type JsonObject = Record<string, unknown>;

/** The parsed OpenAPI 3.1 document. */
export interface OpenApiDocument extends JsonObject {
  openapi: string;
  paths: Record<string, JsonObject>;
  components?: JsonObject;
}

/** HTTP methods an OpenAPI path item can hold, in the order routes are listed. */
export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** One operation of the document with its path-level and operation-level parameters merged and resolved. */
export interface OperationEntry {
  operationId: string;
  method: (typeof HTTP_METHODS)[number];
  path: string;
  operation: JsonObject;
  parameters: JsonObject[];
}

/**
 * Where openapi.yaml can be: next to this folder when running from src/ (ts-jest, ts-node) or when the build
 * copies it, else in the source tree seen from dist/src/api/validation (tsc does not copy non-TS files).
 */
function candidatePaths(): string[] {
  return [path.resolve(__dirname, '..', 'openapi.yaml'), path.resolve(__dirname, '../../../../src/api/openapi.yaml')];
}

/**
 * Reads and parses openapi.yaml. Runs at call time (not import time) so that importing the API module has no
 * I/O; callers load it once at startup (see `defaultValidator`).
 */
export function loadOpenApiDocument(file?: string): OpenApiDocument {
  const found = file ?? candidatePaths().find((p) => existsSync(p));
  if (!found) throw new Error(`openapi.yaml not found (looked in ${candidatePaths().join(', ')})`);
  const doc: unknown = parse(readFileSync(found, 'utf8'));
  if (!isObject(doc) || typeof doc.openapi !== 'string' || !isObject(doc.paths)) {
    throw new Error(`${found} is not an OpenAPI document`);
  }
  return doc as OpenApiDocument;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Follows a local `$ref` ("#/components/..."); throws on dangling or non-local references. */
export function resolvePointer(doc: JsonObject, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`only local $refs are supported: ${ref}`);
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) || !(key in node)) throw new Error(`unresolved $ref ${ref}`);
    node = node[key];
  }
  return node;
}

/** Replaces an object that is only a `$ref` (parameters, request bodies, responses) by its target. */
export function deref(doc: JsonObject, value: unknown): unknown {
  let current = value;
  // A reference may point at another reference; a chain longer than the document is a cycle.
  for (let hops = 0; isObject(current) && typeof current.$ref === 'string'; hops += 1) {
    if (hops > 32) throw new Error(`$ref cycle at ${current.$ref}`);
    current = resolvePointer(doc, current.$ref);
  }
  return current;
}

/** Every operation of the document, in document order. */
export function listOperations(doc: OpenApiDocument): OperationEntry[] {
  const entries: OperationEntry[] = [];
  for (const [route, rawItem] of Object.entries(doc.paths)) {
    const item = deref(doc, rawItem);
    if (!isObject(item)) continue;
    const shared = asParameters(doc, item.parameters);
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!isObject(operation)) continue;
      if (typeof operation.operationId !== 'string') throw new Error(`${method.toUpperCase()} ${route} has no operationId`);
      // Operation-level parameters override path-level ones with the same name and location.
      const own = asParameters(doc, operation.parameters);
      const merged = shared.filter((p) => !own.some((o) => o.name === p.name && o.in === p.in)).concat(own);
      entries.push({ operationId: operation.operationId, method, path: route, operation, parameters: merged });
    }
  }
  return entries;
}

function asParameters(doc: JsonObject, value: unknown): JsonObject[] {
  if (!Array.isArray(value)) return [];
  return value.map((p) => deref(doc, p)).filter(isObject);
}
