/** STOMP broker addresses from a `transport_url`: one URL, or several separated by commas for failover. */

export interface BrokerAddress {
  host: string;
  port: number;
  /** STOMP `login`/`passcode`; empty when the URL has no user info. */
  login: string;
  passcode: string;
  /** Sent as the CONNECT `host` header, which RabbitMQ reads as the virtual host ("/" by default). */
  vhost: string;
  /** stomp+ssl:// (or stomps://): TLS. */
  tls: boolean;
  /** Heart-beat interval asked for, in ms (`?heartbeat=<seconds>`), or undefined for the default; 0 disables. */
  heartbeatMs?: number;
  /** `host:port` with the vhost, for log lines and errors; never carries the password. */
  label: string;
}

export const DEFAULT_STOMP_PORT = 61613;
const SCHEMES: Record<string, boolean> = { 'stomp:': false, 'stomp+ssl:': true, 'stomp+tls:': true, 'stomps:': true };

/** Why a transport_url cannot be used, worded to follow the option name; secrets never appear. */
export class TransportUrlError extends Error {}

/**
 * Parses `stomp://user:password@host:61613/vhost?heartbeat=10[,stomp://...]`. The path (without its leading
 * "/") is the virtual host, "/" when empty; percent-encoded characters are decoded in the user, password and
 * virtual host (a "," in a password must be written %2C).
 */
export function parseStompUrls(text: string): BrokerAddress[] {
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (!parts.length) throw new TransportUrlError('is empty: set it to stomp://user:password@host:61613/');
  return parts.map((part, i) => parseOne(part, parts.length > 1 ? `URL ${i + 1} of ${parts.length}` : 'URL'));
}

function parseOne(text: string, which: string): BrokerAddress {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TransportUrlError(`${which} is not a URL (expected stomp://user:password@host:61613/)`);
  }
  if (!Object.hasOwn(SCHEMES, url.protocol)) {
    throw new TransportUrlError(`${which} has scheme "${url.protocol.replace(/:$/, '')}", expected stomp (or stomp+ssl)`);
  }
  if (!url.hostname) throw new TransportUrlError(`${which} has no host`);
  const port = url.port === '' ? DEFAULT_STOMP_PORT : Number(url.port);
  const rawVhost = url.pathname.replace(/^\//, '');
  const vhost = rawVhost === '' ? '/' : decodeURIComponent(rawVhost);
  let heartbeatMs: number | undefined;
  for (const [key, value] of url.searchParams) {
    if (key !== 'heartbeat') throw new TransportUrlError(`${which} has unknown parameter "${key}" (known: heartbeat)`);
    const seconds = Number(value);
    if (value === '' || !Number.isFinite(seconds) || seconds < 0) {
      throw new TransportUrlError(`${which}: heartbeat must be a number of seconds (0 disables heart-beating)`);
    }
    heartbeatMs = Math.round(seconds * 1000);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    host,
    port,
    login: decodeURIComponent(url.username),
    passcode: decodeURIComponent(url.password),
    vhost,
    tls: SCHEMES[url.protocol],
    heartbeatMs,
    label: `${url.hostname}:${port}${vhost === '/' ? '' : ` (vhost ${vhost})`}`,
  };
}
