/**
 * The shapes of Blazar's usage enforcement contract: what every filter sees, and what the external service
 * receives as JSON (`{"context": ..., "lease": ...}`, plus `"current_lease"` for check-update).
 */

/** Who the lease belongs to and where their cloud is (Blazar's `context` object). */
export interface EnforcementContext {
  user_id: string | null;
  project_id: string;
  /** Keystone's URL, so the service can look the user up. */
  auth_url: string | null;
  region_name: string | null;
}

/** A reservation as the filters see it: its parameters, and the resources it holds (or would hold). */
export interface ReservationDocument {
  id: string;
  resource_type: string;
  status: string;
  allocations: Record<string, unknown>[];
  [param: string]: unknown;
}

/** A lease as the filters see it. Dates are UTC, "YYYY-MM-DD HH:MM:SS" (Python's str() of Blazar's datetimes). */
export interface LeaseDocument {
  id: string;
  name: string;
  user_id: string | null;
  project_id: string;
  start_date: string;
  end_date: string;
  before_end_date: string | null;
  status: string;
  reservations: ReservationDocument[];
}

/** A lease under check: the document, and its window as dates for the rules that compute with them. */
export interface LeaseSubject {
  document: LeaseDocument;
  start: Date;
  end: Date;
}

/**
 * One usage enforcement filter. Checks throw a ClimateError to refuse (nothing of the lease is written then);
 * `onEnd` is told that a lease ended, after the fact, and throws to be tried again later.
 */
export interface UsageFilter {
  /** The name in `[enforcement] enabled_filters`. */
  readonly name: string;
  checkCreate(context: EnforcementContext, lease: LeaseSubject, now: Date): Promise<void>;
  checkUpdate(context: EnforcementContext, current: LeaseSubject, next: LeaseSubject, now: Date): Promise<void>;
  /** Whether the filter wants to hear about ended leases (an on-end call is then queued when one ends). */
  readonly wantsOnEnd: boolean;
  /** Sends the queued on-end body (`{"context", "lease"}` as JSON text). */
  onEnd(body: string): Promise<void>;
}
