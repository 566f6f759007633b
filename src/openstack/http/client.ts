import { randomUUID } from 'node:crypto';
import { outgoingRequestId, type Logger } from '../../common';
import { OpenStackConflict, OpenStackHttpError, OpenStackNotFound, OpenStackUnavailable, type CallInfo } from './errors';

/** How a client reaches one service and how hard it tries. */
export interface ServiceClientOptions {
  /** Name used in messages and logs ("nova", "placement"). */
  service: string;
  /** The service's root URL (catalog or endpoint override), resolved at each call so a catalog change is seen. */
  baseUrl: () => Promise<string>;
  /** The token to send as X-Auth-Token; null sends none (endpoint override without Keystone, for development). */
  token: () => Promise<string | null>;
  /** Called when the service refused the token (401), before the one retry with a fresh token. */
  invalidateToken?: (token: string) => void;
  /** Headers sent with every call (microversion). */
  headers?: Record<string, string>;
  /** Per attempt. */
  timeoutMs: number;
  /** Further attempts after a 5xx or no answer, for calls that are safe to repeat. */
  retries: number;
  /** First delay between attempts; doubles each time. */
  retryDelayMs: number;
  logger?: Logger;
  /** The HTTP dispatcher (tests may pass a fake); global fetch by default. */
  fetch?: typeof fetch;
}

export interface CallOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  /**
   * Whether repeating the call is harmless. GET, HEAD, PUT and DELETE are by default; a POST only when the
   * caller says so (its callers treat the 409 of a repeated success as success).
   */
  idempotent?: boolean;
  /** Extra headers for this call. */
  headers?: Record<string, string>;
  /**
   * Sent as X-Auth-Token instead of the client's own token, e.g. a trust-scoped token acting as a lease's owner.
   * A 401 is then not retried with a fresh service token: the caller owns this token and renews it.
   */
  token?: string;
  /**
   * With `token`: called once after a 401 for a fresh token to retry with (e.g. a new trust-scoped token when
   * the cached one was revoked early). Without it the 401 fails the call, saying that the given token was refused.
   */
  refreshToken?: () => Promise<string>;
}

export interface ServiceResponse<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/**
 * One OpenStack service's REST API: token (refreshed once on 401), microversion headers, per-attempt timeout,
 * retries with exponential backoff on 5xx and no-answer for idempotent calls, and the global request id (the
 * caller's X-OpenStack-Request-ID, else Climate's own request id) sent as X-OpenStack-Request-ID so Nova and
 * Placement log it as the global request id. Error statuses become typed
 * errors carrying the remote message.
 */
export class ServiceClient {
  /** Calls made (attempts, not logical calls), for tests and metrics. */
  readonly stats = { attempts: 0, retries: 0 };
  private readonly fetchFn: typeof fetch;

  constructor(private readonly options: ServiceClientOptions) {
    this.fetchFn = options.fetch ?? fetch;
  }

  get service(): string {
    return this.options.service;
  }

  get<T = unknown>(path: string, options: CallOptions = {}): Promise<ServiceResponse<T>> {
    return this.request<T>('GET', path, options);
  }

  post<T = unknown>(path: string, body: unknown, options: CallOptions = {}): Promise<ServiceResponse<T>> {
    return this.request<T>('POST', path, { ...options, body });
  }

  put<T = unknown>(path: string, body: unknown, options: CallOptions = {}): Promise<ServiceResponse<T>> {
    return this.request<T>('PUT', path, { ...options, body });
  }

  delete<T = unknown>(path: string, options: CallOptions = {}): Promise<ServiceResponse<T>> {
    return this.request<T>('DELETE', path, options);
  }

  async request<T = unknown>(method: string, path: string, options: CallOptions = {}): Promise<ServiceResponse<T>> {
    const o = this.options;
    const idempotent = options.idempotent ?? method !== 'POST';
    const requestId = outgoingRequestId() ?? `req-${randomUUID()}`;
    const query = Object.entries(options.query ?? {}).filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
    const target = `${path}${query ? `?${query}` : ''}`;
    let refreshed = false;
    let override = options.token;
    let renewOverride = false;
    for (let attempt = 0; ; attempt++) {
      const call: CallInfo = { service: o.service, method, path: target, requestId: null };
      if (renewOverride) {
        renewOverride = false;
        override = await options.refreshToken!();
      }
      const token = override ?? await o.token();
      const headers: Record<string, string> = {
        Accept: 'application/json', 'X-OpenStack-Request-ID': requestId, 'User-Agent': 'climate', ...o.headers, ...options.headers,
      };
      if (token) headers['X-Auth-Token'] = token;
      if (options.body !== undefined) headers['Content-Type'] = 'application/json';
      let failure: OpenStackUnavailable;
      try {
        this.stats.attempts++;
        const base = (await o.baseUrl()).replace(/\/+$/, '');
        const res = await this.fetchFn(`${base}${target}`, {
          method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body),
          signal: AbortSignal.timeout(o.timeoutMs), redirect: 'error',
        });
        const text = await res.text();
        call.requestId = res.headers.get('x-openstack-request-id') ?? res.headers.get('x-compute-request-id');
        const body = parseJson(text);
        if (res.status < 400) return { status: res.status, body: body as T, headers: res.headers };
        if (res.status === 401 && token && !refreshed && o.invalidateToken && override === undefined) {
          refreshed = true;
          o.invalidateToken(token);
          attempt--;
          continue;
        }
        if (res.status === 401 && override !== undefined && !refreshed && options.refreshToken) {
          refreshed = true;
          renewOverride = true;
          attempt--;
          continue;
        }
        const { message, code } = remoteMessage(body, text);
        if (res.status === 401 && override !== undefined) {
          const why = `the token given for this call (not the service user's) was refused${message ? `: ${message}` : ''}`;
          throw errorFor(401, why, call, code);
        }
        if (res.status < 500) throw errorFor(res.status, message, call, code);
        failure = new OpenStackUnavailable(`HTTP ${res.status}${message ? `: ${message}` : ''}`, call, res.status);
      } catch (error) {
        if (error instanceof OpenStackHttpError) throw error;
        failure = error instanceof OpenStackUnavailable ? error
          : new OpenStackUnavailable(describeFetchError(error, o.timeoutMs), call, null, { cause: error });
      }
      if (!idempotent || attempt >= o.retries) throw failure;
      const delay = o.retryDelayMs * 2 ** attempt;
      this.stats.retries++;
      o.logger?.warning(`${o.service} ${method} ${target} failed (${failure.message}); retrying in ${delay} ms`, { request_id: requestId });
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

function parseJson(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/**
 * The message of an OpenStack error body: Nova wraps it in an object named after the fault
 * (`{"conflictingRequest": {"code": 409, "message": "..."}}`), Placement sends
 * `{"errors": [{"status": 409, "title": "...", "detail": "...", "code": "placement.x"}]}`, Heat
 * `{"code": 400, "title": "Bad Request", "explanation": "...", "error": {"message": "...", "type": "StackValidationFailed"}}`
 * (its exception class is the code).
 */
export function remoteMessage(body: unknown, text = ''): { message: string; code: string | null } {
  if (body && typeof body === 'object') {
    const heat = (body as { error?: { message?: unknown; type?: unknown } | null }).error;
    if (heat && typeof heat === 'object' && typeof heat.message === 'string') {
      return { message: heat.message.trim(), code: typeof heat.type === 'string' ? heat.type : null };
    }
    const errors = (body as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length) {
      const first = errors[0] as { detail?: unknown; title?: unknown; code?: unknown };
      const message = typeof first.detail === 'string' ? first.detail : typeof first.title === 'string' ? first.title : '';
      return { message: message.trim(), code: typeof first.code === 'string' ? first.code : null };
    }
    for (const value of Object.values(body as Record<string, unknown>)) {
      const message = (value as { message?: unknown } | null)?.message;
      if (typeof message === 'string') return { message, code: null };
    }
  }
  return { message: text.slice(0, 500).trim(), code: null };
}

function errorFor(status: number, message: string, call: CallInfo, code: string | null): OpenStackHttpError {
  if (status === 404) return new OpenStackNotFound(message, call, code);
  if (status === 409) return new OpenStackConflict(message, call, code);
  return new OpenStackHttpError(status, message, call, code);
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs / 1000} s`;
  return e?.cause?.message || e?.cause?.code || e?.message || String(error);
}
