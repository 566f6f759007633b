/** Usage enforcement: Blazar's admission filters on lease create and update, and the on-end call. */
export { UsageEnforcement, ON_END, type UsageEnforcementOptions } from './enforcement';
export { buildEnforcement, type EnforcementDeps } from './setup';
export { OnEndSender, type OnEndSenderOptions } from './on-end-sender';
export { MaxLeaseDurationFilter, type MaxLeaseDurationOptions } from './max-lease-duration';
export { ExternalServiceFilter, type ExternalServiceOptions, type ExternalCall } from './external-service';
export { EnforcementRefused, ExternalServiceBadResponse, ExternalServiceUnavailable } from './errors';
export type { EnforcementContext, LeaseDocument, LeaseSubject, ReservationDocument, UsageFilter } from './types';
