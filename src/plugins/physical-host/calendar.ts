import type { Clock } from '../../common';
import type { CalendarBooking, CalendarHost, Repositories } from '../../db';
import { compileHostQueryFilters } from './query-filters';

export interface CalendarQuery {
  start: Date;
  end: Date;
  /** Filters in the language of a physical:host reservation; empty or absent: every host. */
  hypervisorProperties?: string;
  resourceProperties?: string;
  /** At most this many hosts, after the host `marker` (an id), in id order; absent: every host. */
  limit?: number;
  marker?: number;
}

/**
 * The host calendar (GET /v1/os-hosts/calendar): hosts as rows, every booking in a range as a bar. What a
 * caller may see of other projects' bookings is the router's business; this reads everything in two queries.
 */
export class HostCalendar {
  constructor(private readonly repos: Repositories, private readonly clock: Clock) {}

  /** The time `now` means in a query. */
  now(): Date {
    return this.clock.now();
  }

  async read(q: CalendarQuery): Promise<{ hosts: CalendarHost[]; bookings: CalendarBooking[] }> {
    const page = q.limit !== undefined ? { limit: q.limit, afterId: q.marker } : undefined;
    return this.repos.hostCalendar.read(undefined, await compileHostQueryFilters(this.repos, q), { start: q.start, end: q.end }, page);
  }
}
