import { ClimateError } from '../../common';

/** Where a failed call went: service, method and path, and the request id Nova/Placement logged it under. */
export interface CallInfo {
  service: string;
  method: string;
  path: string;
  /** The id the remote service answered with (x-openstack-request-id / x-compute-request-id), if any. */
  requestId: string | null;
}

function describe(call: CallInfo): string {
  return `${call.service} ${call.method} ${call.path}${call.requestId ? ` (request ${call.requestId})` : ''}`;
}

/**
 * The remote service answered with an error status. `remoteMessage` is what it said (Nova's
 * `{"itemNotFound": {"message": ...}}`, Placement's `{"errors": [{"detail": ...}]}`); `remoteCode` is
 * Placement's error code (e.g. "placement.concurrent_update") when it sends one. Shown to API users as 502
 * unless a subclass says otherwise: Climate asked for something the cloud refused.
 */
export class OpenStackHttpError extends ClimateError {
  readonly remoteStatus: number;
  readonly remoteMessage: string;
  readonly remoteCode: string | null;
  readonly call: CallInfo;

  constructor(remoteStatus: number, remoteMessage: string, call: CallInfo, remoteCode: string | null = null, code = 'openstack_error') {
    super(502, code, `${describe(call)} answered ${remoteStatus}${remoteMessage ? `: ${remoteMessage}` : ''}`);
    this.remoteStatus = remoteStatus;
    this.remoteMessage = remoteMessage;
    this.remoteCode = remoteCode;
    this.call = call;
  }
}

/** 404 from the remote service. */
export class OpenStackNotFound extends OpenStackHttpError {
  constructor(message: string, call: CallInfo, remoteCode: string | null = null) {
    super(404, message, call, remoteCode, 'openstack_not_found');
  }
}

/** 409 from the remote service (duplicate name, already a member, generation conflict, in use). */
export class OpenStackConflict extends OpenStackHttpError {
  constructor(message: string, call: CallInfo, remoteCode: string | null = null) {
    super(409, message, call, remoteCode, 'openstack_conflict');
  }
}

/**
 * The remote service did not answer (connection refused or reset, timeout) or answered 5xx, and retries (if
 * the call was safe to retry) did not help. Shown as 503: it may work later.
 */
export class OpenStackUnavailable extends ClimateError {
  readonly call: CallInfo;
  readonly remoteStatus: number | null;

  constructor(message: string, call: CallInfo, remoteStatus: number | null, options?: { cause?: unknown }) {
    super(503, 'openstack_unavailable', `${describe(call)} failed: ${message}`, options);
    this.call = call;
    this.remoteStatus = remoteStatus;
  }
}

/** Whether `error` is an OpenStack answer with this status. */
export function isStatus(error: unknown, status: number): boolean {
  return error instanceof OpenStackHttpError && error.remoteStatus === status;
}
