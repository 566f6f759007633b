import { EnforcementRefused, ExternalServiceBadResponse, ExternalServiceUnavailable } from './errors';
import type { EnforcementContext, LeaseSubject, UsageFilter } from './types';

/** Blazar's three calls, by the path each has under the endpoint. */
export type ExternalCall = 'check-create' | 'check-update' | 'on-end';

export interface ExternalServiceOptions {
  /** Base URL; each call goes to `<endpoint>/<call>`. Empty: only the calls with a URL of their own are made. */
  endpoint: string;
  /** Absolute URLs replacing `<endpoint>/<call>`; empty: none. */
  overrides: Readonly<Record<ExternalCall, string>>;
  /** The token sent as X-Auth-Token: the configured one, or Climate's Keystone service token. */
  token: () => Promise<string>;
  timeoutMs: number;
}

/**
 * ExternalServiceFilter: each check is a POST of the lease (JSON) to an operator's service, which decides.
 * 204 allows; 403 with a JSON object carrying "message" refuses with that message; any other answer refuses
 * with Blazar's error for it, and no answer within the timeout refuses too (the lease cannot be checked).
 */
export class ExternalServiceFilter implements UsageFilter {
  readonly name = 'ExternalServiceFilter';

  constructor(private readonly options: ExternalServiceOptions) {}

  get wantsOnEnd(): boolean {
    return this.urlFor('on-end') !== null;
  }

  /** Where a call goes, or null when neither the endpoint nor an override names a URL for it. */
  urlFor(call: ExternalCall): string | null {
    const override = this.options.overrides[call];
    if (override) return override;
    const endpoint = this.options.endpoint;
    if (!endpoint) return null;
    return `${endpoint.endsWith('/') ? endpoint : `${endpoint}/`}${call}`;
  }

  async checkCreate(context: EnforcementContext, lease: LeaseSubject): Promise<void> {
    await this.post('check-create', JSON.stringify({ context, lease: lease.document }));
  }

  async checkUpdate(context: EnforcementContext, current: LeaseSubject, next: LeaseSubject): Promise<void> {
    await this.post('check-update', JSON.stringify({ context, current_lease: current.document, lease: next.document }));
  }

  async onEnd(body: string): Promise<void> {
    await this.post('on-end', body);
  }

  private async post(call: ExternalCall, body: string): Promise<void> {
    const url = this.urlFor(call);
    if (!url) return;
    const seconds = this.options.timeoutMs / 1000;
    let response: Response;
    let text: string;
    try {
      const token = await this.options.token();
      response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-Auth-Token': token },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      // Not `instanceof Error`: the abort reason is a DOMException, which need not be one in every realm.
      const name = (error as { name?: unknown } | null)?.name;
      const why = name === 'TimeoutError' || name === 'AbortError'
        ? `did not answer within ${seconds} seconds` : `could not be reached (${describe(error)})`;
      throw new ExternalServiceUnavailable(`External service enforcement filter ${why}: ${call} at ${url}`, { cause: error });
    }
    if (response.status === 204) return;
    if (response.status === 403) {
      const message = messageOf(text);
      if (message === null) {
        throw new ExternalServiceBadResponse(`External service enforcement filter returned a 403 HTTP response ${JSON.stringify(text.slice(0, 200))} `
          + 'without a valid JSON dictionary containing a "message" key.');
      }
      throw new EnforcementRefused(message);
    }
    throw new ExternalServiceBadResponse(`External service enforcement filter returned a ${response.status} HTTP response. `
      + 'Only 204 and 403 responses are supported.');
  }
}

/** The "message" of a JSON object body, as text; null when the body is no such object. */
function messageOf(text: string): string | null {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.hasOwn(parsed, 'message')) return null;
    const message = (parsed as { message: unknown }).message;
    return typeof message === 'string' ? message : JSON.stringify(message);
  } catch {
    return null;
  }
}

/** fetch's errors say "fetch failed"; the reason (ECONNREFUSED ...) is in the cause. */
function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
