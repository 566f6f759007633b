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

/** Request-scoped values every log line wants (the request id) without threading them through calls. */
export const requestScope = new AsyncLocalStorage<{ requestId: string }>();

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warning: 30, error: 40 };

export interface LoggerOptions {
  name?: string;
  level?: LogLevel;
  format?: 'text' | 'json';
  write?: (line: string) => void;
}

/** A logger writing oslo-style text (`2030-01-01 12:00:00.000 INFO climate.api [req-..] message`) or JSON lines. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const name = options.name ?? 'climate';
  const min = LEVELS[options.level ?? 'info'];
  const format = options.format ?? 'text';
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const log = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (LEVELS[level] < min) return;
    const requestId = requestScope.getStore()?.requestId;
    const time = new Date().toISOString();
    if (format === 'json') {
      write(JSON.stringify({ time, level: level.toUpperCase(), logger: name, request_id: requestId, message, ...fields }));
      return;
    }
    const extra = fields && Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : '';
    write(`${time.replace('T', ' ').replace('Z', '')} ${level.toUpperCase()} ${name} [${requestId ?? '-'}] ${message}${extra}`);
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
