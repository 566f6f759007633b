import { ClimateError } from '../../common';

/**
 * 503: Keystone could not be reached, answered with a server error, or refused Climate's own service user.
 * The request may succeed later; nothing was changed.
 */
export class KeystoneUnavailable extends ClimateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(503, 'keystone_unavailable', message, options);
  }
}

/** Keystone answered a request with an error status that the caller may want to interpret. */
export class KeystoneRequestError extends Error {
  constructor(readonly status: number, readonly keystoneMessage: string, readonly operation: string) {
    super(`${operation}: Keystone answered ${status}${keystoneMessage ? ` (${keystoneMessage})` : ''}`);
    this.name = 'KeystoneRequestError';
  }
}
