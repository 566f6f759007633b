/**
 * Errors with stable codes. Every error the API can return is a ClimateError; the error middleware maps it
 * to Blazar's body `{"error_code": N, "error_message": "...", "error_name": N}`. Anything else is a 500 whose
 * details are hidden unless debug is on.
 */
export class ClimateError extends Error {
  /** HTTP status the API answers with. */
  readonly status: number;
  /** Stable machine-readable code (e.g. "lease_not_found"). */
  readonly code: string;

  constructor(status: number, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
  }
}

/** 400: the request is malformed or breaks a rule; nothing was written. */
export class InvalidInput extends ClimateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(400, 'invalid_input', message, options);
  }
}

/** 404, worded as Blazar words it: "Object with {'lease_id': '<id>'} not found". */
export class NotFound extends ClimateError {
  readonly kind: string;
  readonly id: string;
  constructor(kind: string, id: string) {
    super(404, `${kind}_not_found`, `Object with {'${kind}_id': '${id}'} not found`);
    this.kind = kind;
    this.id = id;
  }
}

/** 409: the request is valid but conflicts with the current state (no capacity, wrong status, in use). */
export class Conflict extends ClimateError {
  constructor(code: string, message: string) {
    super(409, code, message);
  }
}

/** 409 for "not enough free resources": says what was asked and what is free. */
export class NotEnoughResources extends Conflict {
  constructor(message: string) {
    super('not_enough_resources', message);
  }
}

/** 409 for a transition the lease state machine does not allow. */
export class InvalidState extends Conflict {
  constructor(message: string) {
    super('invalid_state', message);
  }
}

/**
 * 503: a service Climate must ask before it can decide did not answer (down, 5xx, timed out); nothing was
 * written and the same request may succeed later. The message names the service and what it was asked.
 */
export class ServiceUnavailable extends ClimateError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(503, 'service_unavailable', message, options);
  }
}

/** 403 from the policy engine. */
export class Forbidden extends ClimateError {
  constructor(message: string) {
    super(403, 'forbidden', message);
  }
}

/** 401: no or bad credentials. */
export class Unauthorized extends ClimateError {
  constructor(message: string) {
    super(401, 'unauthorized', message);
  }
}
