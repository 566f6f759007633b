import { AsyncLocalStorage } from 'node:async_hooks';

export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

/** A small structured logger. Lines carry the request id of the request being served, when there is one. */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warning(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(name: string): Logger;
}

/**
 * What every log line of one piece of work wants without threading it through calls: the API request's ids, or the
 * lease and event a manager is working on.
 */
export interface RequestScope {
  /** Climate's own id of the request (or of one run of a lease event): `req-<uuid>`, sent back to the caller. */
  requestId?: string;
  /**
   * The id the caller sent in X-OpenStack-Request-ID (another service's request that caused this one), as
   * oslo.context's global_request_id: logged before Climate's own and forwarded to the services Climate calls.
   */
  globalRequestId?: string;
  leaseId?: string;
  eventId?: string;
}

/** The scope of the work being done now, read by every logger (AsyncLocalStorage: set once, seen in every call). */
export const requestScope = new AsyncLocalStorage<RequestScope>();

/** A request id as OpenStack services send it (`req-` and a lower-case UUID), as oslo.middleware accepts it. */
export const REQUEST_ID_FORMAT = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The X-OpenStack-Request-ID to send to another OpenStack service for work done in the current scope, as OpenStack
 * services do: the global request id when the caller sent one, else Climate's own id of the request (or event run);
 * undefined outside any scope.
 */
export function outgoingRequestId(): string | undefined {
  const scope = requestScope.getStore();
  const id = scope?.globalRequestId ?? scope?.requestId;
  return id && REQUEST_ID_FORMAT.test(id) ? id : undefined;
}

/** The ids of the current scope as log fields (lease_id, event_id), when set. */
function scopeFields(scope: RequestScope | undefined): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (scope?.leaseId) fields.lease_id = scope.leaseId;
  if (scope?.eventId) fields.event_id = scope.eventId;
  return fields;
}

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warning: 30, error: 40 };

export interface LoggerOptions {
  name?: string;
  level?: LogLevel;
  format?: 'text' | 'json';
  write?: (line: string) => void;
}

/**
 * A logger writing oslo-style text or JSON lines. Text is `2030-01-01 12:00:00.000 INFO climate.api [req-..] message`,
 * the brackets holding, as oslo.log's default logging_context_format_string does, the caller's global request id
 * (when it sent one) before Climate's own: `[req-global req-local]`; `[-]` outside any request.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const name = options.name ?? 'climate';
  const min = LEVELS[options.level ?? 'info'];
  const format = options.format ?? 'text';
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const log = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < min) return;
    const scope = requestScope.getStore();
    const requestId = scope?.requestId;
    const globalRequestId = scope?.globalRequestId;
    const all = { ...scopeFields(scope), ...fields };
    const time = new Date().toISOString();
    if (format === 'json') {
      write(JSON.stringify({
        time, level: level.toUpperCase(), logger: name, request_id: requestId, global_request_id: globalRequestId, message, ...all,
      }));
      return;
    }
    const ids = [globalRequestId, requestId].filter(Boolean).join(' ') || '-';
    const extra = Object.keys(all).length ? ` ${JSON.stringify(all)}` : '';
    write(`${time.replace('T', ' ').replace('Z', '')} ${level.toUpperCase()} ${name} [${ids}] ${message}${extra}`);
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warning: (m, f) => log('warning', m, f),
    error: (m, f) => log('error', m, f),
    child: (child) => createLogger({ ...options, name: `${name}.${child}` }),
  };
}

/** A logger that drops everything (tests). */
export const silentLogger: Logger = createLogger({ write: () => undefined });
