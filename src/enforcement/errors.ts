import { ClimateError } from '../common';

/**
 * 403: a filter refused the lease; the message says why (the external service's own message, or the limit).
 * Blazar answers a refused create with 403 "Not authorized" carrying that message; Climate does so for updates too.
 */
export class EnforcementRefused extends ClimateError {
  constructor(message: string) {
    super(403, 'enforcement_refused', message);
  }
}

/** 400: the external service answered something its contract does not allow (Blazar's code for this). */
export class ExternalServiceBadResponse extends ClimateError {
  constructor(message: string) {
    super(400, 'external_service_bad_response', message);
  }
}

/** 503: the external service did not answer (unreachable, or not within the timeout): the lease cannot be checked. */
export class ExternalServiceUnavailable extends ClimateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(503, 'external_service_unavailable', message, options);
  }
}
