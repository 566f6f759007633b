import { outgoingRequestId } from '../../common';
import { KeystoneUnavailable } from './errors';

/** Keystone's v3 API root for an auth_url given with or without the version (`http://k:5000` or `http://k:5000/v3`). */
export function keystoneV3Url(authUrl: string): string {
  const trimmed = authUrl.replace(/\/+$/, '');
  return /\/v3$/.test(trimmed) ? trimmed : `${trimmed}/v3`;
}

export interface KeystoneResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or null when the body is empty or not JSON. */
  body: unknown;
}

export interface KeystoneRequest {
  /** X-Auth-Token: who is asking. */
  token?: string;
  /** X-Subject-Token: the token asked about (token validation). */
  subjectToken?: string;
  body?: unknown;
}

export interface KeystoneHttpOptions {
  /** Keystone's v3 root, e.g. http://keystone:5000/v3. */
  baseUrl: string;
  /** How long one request may take before it counts as "Keystone unreachable". */
  timeoutMs: number;
}

/** The message Keystone puts in its error bodies (`{"error": {"message": ...}}`), if any. */
export function keystoneMessage(body: unknown): string {
  const error = (body as { error?: { message?: unknown } } | null)?.error;
  return typeof error?.message === 'string' ? error.message : '';
}

/**
 * Requests to Keystone's v3 API. Counts every request it makes (tests prove that refused tokens cost no call),
 * and turns "no answer" (connection refused, timeout) and 5xx answers into KeystoneUnavailable (503).
 * Other statuses are returned for the caller to interpret.
 */
export class KeystoneHttp {
  /** Requests sent to Keystone, in total and by operation name. */
  readonly calls: { total: number; byOperation: Record<string, number> } = { total: 0, byOperation: {} };

  constructor(private readonly options: KeystoneHttpOptions) {}

  get baseUrl(): string {
    return this.options.baseUrl;
  }

  async request(operation: string, method: string, path: string, request: KeystoneRequest = {}): Promise<KeystoneResponse> {
    this.calls.total += 1;
    this.calls.byOperation[operation] = (this.calls.byOperation[operation] ?? 0) + 1;
    const headers: Record<string, string> = { Accept: 'application/json' };
    // Keystone logs it as the global request id, as Nova does: a token check is traced to the request it served.
    const requestId = outgoingRequestId();
    if (requestId) headers['X-OpenStack-Request-ID'] = requestId;
    if (request.token) headers['X-Auth-Token'] = request.token;
    if (request.subjectToken) headers['X-Subject-Token'] = request.subjectToken;
    if (request.body !== undefined) headers['Content-Type'] = 'application/json';
    const url = `${this.options.baseUrl}${path}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method, headers, body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: AbortSignal.timeout(this.options.timeoutMs), redirect: 'error',
      });
      text = await response.text();
    } catch (error) {
      throw new KeystoneUnavailable(
        `The identity service (Keystone at ${this.options.baseUrl}) did not answer (${operation}): ${describeFetchError(error, this.options.timeoutMs)}`,
        { cause: error },
      );
    }
    let body: unknown = null;
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = null;
      }
    }
    if (response.status >= 500) {
      const detail = keystoneMessage(body);
      throw new KeystoneUnavailable(
        `The identity service (Keystone at ${this.options.baseUrl}) failed (${operation}): HTTP ${response.status}${detail ? ` ${detail}` : ''}`,
      );
    }
    return { status: response.status, headers: response.headers, body };
  }
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  return e?.cause?.message || e?.cause?.code || e?.message || String(error);
}
