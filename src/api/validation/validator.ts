/**
 * Request validation compiled from openapi.yaml: one Ajv validator per operation for the JSON body and one for
 * the query string. Failures throw `InvalidInput` (400) with a message naming the field.
 */
import { isIP } from 'node:net';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { InvalidInput } from '../../common/errors';
import { deref, isObject, listOperations, loadOpenApiDocument, type JsonObject, type OpenApiDocument } from './document';
import { formatValidationError, type InputLocation } from './messages';
import type { OperationId, RequestBody, RequestQuery } from './types';

/** What the validator knows about one operation. */
export interface OperationInfo {
  operationId: string;
  method: string;
  path: string;
  /** True when the operation declares a JSON request body. */
  hasBody: boolean;
  /** Names of the declared query parameters. */
  queryParameters: string[];
}

export interface RequestValidator {
  /** The operation, or undefined for an operationId the document does not have. */
  operation(operationId: string): OperationInfo | undefined;
  /**
   * Validates a parsed JSON body and returns a copy with schema defaults filled in (the input is not modified).
   * Throws InvalidInput (400) when it does not match; throws Error for an operation without a body (a bug).
   */
  validateBody<K extends OperationId>(operationId: K, body: unknown): RequestBody<K>;
  /**
   * Validates a parsed query string (`req.query`) and returns its declared parameters, integers and numbers
   * converted from their string form. Undeclared parameters are ignored, as Blazar ignores them.
   */
  validateQuery<K extends OperationId>(operationId: K, query: unknown): RequestQuery<K>;
}

/** The `$id` under which the document's component schemas are registered with Ajv. */
const COMPONENTS_ID = 'urn:climate:openapi:components';
const COMPONENT_REF_PREFIX = '#/components/schemas/';

/**
 * Deepest nesting of arrays and objects a request body may have. Far above what any body needs (a filter sent
 * as an array by Heat may nest 32 levels inside a lease body), far below what overflows the stack.
 */
const MAX_BODY_DEPTH = 100;

/** OpenAPI keywords that are annotations for validation; declared so that Ajv's strict mode still catches typos. */
const OPENAPI_KEYWORDS = ['discriminator', 'xml', 'externalDocs', 'example', 'x-error-message'];

interface CompiledOperation {
  info: OperationInfo;
  body?: ValidateFunction;
  query?: { validate: ValidateFunction; types: Map<string, string> };
}

/** Creates the Ajv instance: 2020-12 (OpenAPI 3.1's dialect), no coercion, defaults applied, verbose errors. */
export function createAjv(doc: OpenApiDocument): Ajv2020 {
  const ajv = new Ajv2020({
    allErrors: false,
    coerceTypes: false,
    useDefaults: true,
    // verbose: errors carry the failing value and schema, needed for the messages and for x-error-message.
    verbose: true,
    // strictSchema stays on so that misspelt keywords fail at startup; type-related strictness would reject
    // legitimate 3.1 idioms such as `type: [string, 'null']` next to `properties`.
    strict: true,
    strictTypes: false,
    strictTuples: false,
    strictRequired: false,
    allowUnionTypes: true,
  });
  ajv.addVocabulary(OPENAPI_KEYWORDS);
  ajv.addFormat('ip-address', (value: string) => isIP(value) !== 0);
  const schemas = isObject(doc.components) && isObject(doc.components.schemas) ? doc.components.schemas : {};
  ajv.addSchema({ $id: COMPONENTS_ID, $defs: rewriteRefs(schemas) });
  return ajv;
}

/** Compiles every operation of the document; unknown keywords or formats fail here, at startup. */
export function createValidator(doc: OpenApiDocument = loadOpenApiDocument()): RequestValidator {
  const ajv = createAjv(doc);
  const compiled = new Map<string, CompiledOperation>();
  for (const entry of listOperations(doc)) {
    if (compiled.has(entry.operationId)) throw new Error(`duplicate operationId ${entry.operationId}`);
    const bodySchema = jsonBodySchema(doc, entry.operation);
    const queryParams = entry.parameters.filter((p) => p.in === 'query' && typeof p.name === 'string');
    compiled.set(entry.operationId, {
      info: {
        operationId: entry.operationId,
        method: entry.method,
        path: entry.path,
        hasBody: bodySchema !== undefined,
        queryParameters: queryParams.map((p) => String(p.name)),
      },
      body: bodySchema === undefined ? undefined : ajv.compile(rewriteRefs(bodySchema)),
      query: queryParams.length === 0 ? undefined : compileQuery(ajv, doc, queryParams),
    });
  }

  const lookup = (operationId: string): CompiledOperation => {
    const op = compiled.get(operationId);
    if (!op) throw new Error(`unknown operationId ${operationId}`);
    return op;
  };

  return {
    operation: (operationId) => compiled.get(operationId)?.info,

    validateBody<K extends OperationId>(operationId: K, body: unknown): RequestBody<K> {
      const { body: validate } = lookup(operationId);
      if (!validate) throw new Error(`operation ${operationId} has no request body`);
      // A request without a (JSON) body leaves req.body undefined; say so rather than "None is not an object".
      if (body === undefined) throw new InvalidInput('Missing request body');
      // structuredClone (and Ajv) recurse: a body nested thousands deep would overflow the stack (a 500).
      if (nestedDeeperThan(body, MAX_BODY_DEPTH)) {
        throw new InvalidInput(`Invalid input for the request body: nested deeper than ${MAX_BODY_DEPTH} levels`);
      }
      const copy: unknown = structuredClone(body);
      run(validate, copy, 'request body');
      return copy as RequestBody<K>;
    },

    validateQuery<K extends OperationId>(operationId: K, query: unknown): RequestQuery<K> {
      const { query: compiledQuery } = lookup(operationId);
      const result: Record<string, unknown> = {};
      if (!compiledQuery) return result as RequestQuery<K>;
      const raw = isObject(query) ? query : {};
      for (const [name, type] of compiledQuery.types) {
        if (raw[name] !== undefined) result[name] = fromQueryString(raw[name], type);
      }
      run(compiledQuery.validate, result, 'query string');
      return result as RequestQuery<K>;
    },
  };
}

/** Whether `value` nests arrays/objects more than `limit` levels deep; iterative, so any depth is safe to check. */
function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

function run(validate: ValidateFunction, data: unknown, location: InputLocation): void {
  if (!validate(data)) throw new InvalidInput(formatValidationError(validate.errors ?? [], data, location));
}

/** The schema of the operation's `application/json` request body, if it has one. */
function jsonBodySchema(doc: OpenApiDocument, operation: JsonObject): JsonObject | undefined {
  const body = deref(doc, operation.requestBody);
  if (!isObject(body) || !isObject(body.content)) return undefined;
  const media = body.content['application/json'];
  return isObject(media) && isObject(media.schema) ? media.schema : undefined;
}

/**
 * Query parameters become one object schema. Unknown parameters are allowed (clients send extra ones and
 * Blazar ignores them); the declared type of each parameter is remembered to convert its string form.
 */
function compileQuery(ajv: Ajv2020, doc: OpenApiDocument, params: JsonObject[]): CompiledOperation['query'] {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  const types = new Map<string, string>();
  for (const param of params) {
    const name = String(param.name);
    const schema = isObject(param.schema) ? param.schema : {};
    properties[name] = rewriteRefs(schema);
    types.set(name, scalarType(doc, schema));
    if (param.required === true) required.push(name);
  }
  const validate = ajv.compile({ type: 'object', properties, required, additionalProperties: true });
  return { validate, types };
}

/** The declared JSON type of a query parameter schema (following component refs), or '' when not a scalar. */
function scalarType(doc: OpenApiDocument, schema: JsonObject): string {
  const target = deref(doc, schema);
  return isObject(target) && typeof target.type === 'string' ? target.type : '';
}

/**
 * Query values are always strings, and body validation must not coerce (coerceTypes is off so that a JSON body
 * with `"min": "1"` is caught), so numeric parameters are converted here, and only when the text is a clean
 * number; anything else is left as a string for Ajv to report against the declared type.
 */
function fromQueryString(value: unknown, type: string): unknown {
  if (typeof value !== 'string') return value;
  if (type === 'integer' && /^[+-]?\d+$/.test(value)) return Number(value);
  if (type === 'number' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

/** Deep copy with `#/components/schemas/X` references pointed at the schemas registered under COMPONENTS_ID. */
function rewriteRefs<T>(value: T): T {
  if (Array.isArray(value)) return value.map(rewriteRefs) as T;
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    out[key] =
      key === '$ref' && typeof child === 'string' && child.startsWith(COMPONENT_REF_PREFIX)
        ? `${COMPONENTS_ID}#/$defs/${child.slice(COMPONENT_REF_PREFIX.length)}`
        : rewriteRefs(child);
  }
  return out as T;
}
