import { InvalidInput } from '../../common/errors';

/**
 * Builds the 400 every filter problem becomes. The message always starts with the request field so that a
 * user who sent both hypervisor_properties and resource_properties knows which one to fix.
 */
export function filterError(field: string, detail: string, cause?: unknown): InvalidInput {
  return new InvalidInput(`Invalid ${field}: ${detail}`, cause === undefined ? undefined : { cause });
}

/** Short, JSON-looking rendering of a user-supplied value for error messages (bounded so errors stay readable). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : 'an array';
  if (typeof value === 'object' && value !== null) return 'an object';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean' && value !== null) {
    return `a ${typeof value}`;
  }
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
