import type { EventRecord, LeaseRecord, ReservationRecord } from '../db';
import type { PluginRegistry } from '../plugins';
import { renderLeaseDate, renderTimestamp } from './dates';

/** The lease as the API and notifications show it (Blazar's shape plus Climate's extra fields). */
export type LeaseView = Record<string, unknown> & { id: string; reservations: Record<string, unknown>[]; events: Record<string, unknown>[] };

export function renderReservation(r: ReservationRecord, plugins: PluginRegistry): Record<string, unknown> {
  const extra = plugins.get(r.resourceType)?.describe?.(r) ?? {};
  return {
    ...r.params,
    ...extra,
    id: r.id,
    lease_id: r.leaseId,
    resource_id: r.resourceId,
    resource_type: r.resourceType,
    status: r.status,
    missing_resources: r.missingResources,
    resources_changed: r.resourcesChanged,
    created_at: renderTimestamp(r.createdAt),
    updated_at: renderTimestamp(r.updatedAt),
  };
}

export function renderEvent(e: EventRecord): Record<string, unknown> {
  return {
    id: e.id,
    lease_id: e.leaseId,
    event_type: e.eventType,
    time: renderLeaseDate(e.time),
    status: e.status,
    created_at: renderTimestamp(e.createdAt),
    updated_at: renderTimestamp(e.updatedAt),
  };
}

export function renderLease(
  lease: LeaseRecord, reservations: readonly ReservationRecord[], events: readonly EventRecord[], plugins: PluginRegistry,
): LeaseView {
  return {
    id: lease.id,
    name: lease.name,
    user_id: lease.userId,
    project_id: lease.projectId,
    trust_id: lease.trustId,
    start_date: renderLeaseDate(lease.startDate),
    end_date: renderLeaseDate(lease.endDate),
    before_end_date: renderLeaseDate(lease.beforeEndDate),
    before_start_date: renderLeaseDate(lease.beforeStartDate),
    status: lease.status,
    status_reason: lease.statusReason,
    degraded: lease.degraded,
    created_at: renderTimestamp(lease.createdAt),
    updated_at: renderTimestamp(lease.updatedAt),
    reservations: reservations.map((r) => renderReservation(r, plugins)),
    events: events.map(renderEvent),
  };
}
