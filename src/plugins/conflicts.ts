import { Conflict } from '../common';
import type { HostBooking } from '../db';

/** Another lease a refusal mentions. */
export interface LeaseMention {
  id: string;
  projectId: string;
}

/** How a message names another lease. */
export type LeaseNamer = (lease: LeaseMention) => string;

const unnamed: LeaseNamer = () => "another project's lease";

/**
 * 409 that explains a refusal by other leases (e.g. "host h1 is reserved from ... by lease X"). A plugin does not
 * know who is asking, so the message it builds names no lease; the lease service, which does, asks for the message
 * again with `revealedTo`, naming the leases the caller may see (their own project's, or any for an admin).
 */
export class ConflictNamingLeases extends Conflict {
  constructor(code: string, private readonly compose: (name: LeaseNamer) => string, private readonly namer: LeaseNamer = unnamed) {
    super(code, compose(namer));
  }

  /** The same refusal, said in another plugin's terms (`prefix` goes before the message). */
  prefixed(prefix: string): ConflictNamingLeases {
    return new ConflictNamingLeases(this.code, (name) => `${prefix}${this.compose(name)}`, this.namer);
  }

  /** The same refusal, naming by id the leases of the projects `canSee` accepts. */
  revealedTo(canSee: (projectId: string) => boolean): ConflictNamingLeases {
    return new ConflictNamingLeases(this.code, this.compose, (lease) => (canSee(lease.projectId) ? `lease ${lease.id}` : unnamed(lease)));
  }
}

/**
 * What holds a host, in words: `host h1 is reserved from <date> by lease X` when the earliest hold is the whole
 * host, `host h1 has instance slots reserved from <date> by lease X, lease Y` when it is instance slots (several
 * leases may fill a host between them). `bookings` are the host's, earliest first (see HostAllocationRepository.bookings).
 */
export function bookingWords(hostName: string, bookings: readonly HostBooking[]): (name: LeaseNamer) => string {
  const [first] = bookings;
  if (first.kind === 'host') {
    return (name) => `host ${hostName} is reserved from ${first.startDate.toISOString()} by ${name({ id: first.leaseId, projectId: first.projectId })}`;
  }
  const slots = bookings.filter((b) => b.kind === 'instance');
  return (name) => {
    const leases = [...new Set(slots.map((b) => name({ id: b.leaseId, projectId: b.projectId })))];
    return `host ${hostName} has instance slots reserved from ${first.startDate.toISOString()} by ${leases.join(', ')}`;
  };
}
