/** Reading Climate's notifications as the provisioner receives them. */

export const BEFORE_START_EVENT = 'lease.event.before_start_lease';
export const END_EVENT = 'lease.event.end_lease';
const HOST_RESOURCE = 'physical:host';

export interface ReceivedNotification {
  message_id: string;
  event_type: string;
  publisher_id: string;
  priority: string;
  timestamp: string;
  payload: Record<string, unknown>;
}

/** One host of a host reservation, with its fields and extra capabilities, as the heads-up payload lists it. */
export interface HostTarget {
  reservationId: string;
  host: Record<string, unknown>;
}

/**
 * A message body: the oslo.messaging v2 envelope (`{"oslo.version": "2.0", "oslo.message": "<json>"}`) or a
 * bare notification. Throws when it is neither.
 */
export function parseNotificationBody(body: string): ReceivedNotification {
  let outer: unknown = JSON.parse(body);
  if (isObject(outer) && typeof outer['oslo.message'] === 'string') outer = JSON.parse(outer['oslo.message']);
  if (!isObject(outer) || typeof outer.event_type !== 'string' || !isObject(outer.payload)) {
    throw new Error('not an OpenStack notification (no event_type and payload)');
  }
  return {
    message_id: String(outer.message_id ?? ''),
    event_type: outer.event_type,
    publisher_id: String(outer.publisher_id ?? ''),
    priority: String(outer.priority ?? ''),
    timestamp: String(outer.timestamp ?? ''),
    payload: outer.payload,
  };
}

/**
 * The hosts of the payload's host reservations (`resources[]` of type physical:host), or null when the payload
 * lists no resources at all (so the caller can fall back to what it learnt from the heads-up).
 */
export function hostsOf(payload: Record<string, unknown>): HostTarget[] | null {
  if (!Array.isArray(payload.resources)) return null;
  const targets: HostTarget[] = [];
  for (const resource of payload.resources) {
    if (!isObject(resource) || resource.resource_type !== HOST_RESOURCE || !Array.isArray(resource.hosts)) continue;
    for (const host of resource.hosts) {
      if (isObject(host)) targets.push({ reservationId: String(resource.reservation_id ?? ''), host });
    }
  }
  return targets;
}

/** What a command template may use for one host: its fields, then the lease's (which win on a clash). */
export function templateValues(n: ReceivedNotification, target: HostTarget): Record<string, string | number | boolean | null | undefined> {
  const values: Record<string, string | number | boolean | null | undefined> = {};
  for (const [key, value] of Object.entries(target.host)) values[key] = scalar(value);
  const p = n.payload;
  Object.assign(values, {
    lease_id: scalar(p.id),
    lease_name: scalar(p.name),
    project_id: scalar(p.project_id),
    user_id: scalar(p.user_id),
    start_date: scalar(p.start_date),
    end_date: scalar(p.end_date),
    reservation_id: target.reservationId,
    event_type: n.event_type,
  });
  if (p.seconds_until_start !== undefined) values.seconds_until_start = scalar(p.seconds_until_start);
  return values;
}

function scalar(value: unknown): string | number | boolean | null | undefined {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
