/** Plain objects the repositories read and write. Dates are Date, flags boolean, ids strings except host ids. */

export type LeaseStatus = 'PENDING' | 'ACTIVE' | 'TERMINATED' | 'ERROR' | 'CREATING' | 'STARTING' | 'UPDATING'
  | 'TERMINATING' | 'DELETING';
export type ReservationStatus = 'pending' | 'active' | 'deleted' | 'error';
export type EventStatus = 'UNDONE' | 'IN_PROGRESS' | 'DONE' | 'ERROR';

export interface LeaseRecord {
  id: string;
  name: string;
  userId: string | null;
  projectId: string;
  trustId: string | null;
  startDate: Date;
  endDate: Date;
  beforeEndDate: Date | null;
  beforeStartDate: Date | null;
  status: LeaseStatus;
  statusReason: string | null;
  degraded: boolean;
  createdAt: Date;
  updatedAt: Date | null;
}

export interface ReservationRecord {
  id: string;
  leaseId: string;
  resourceType: string;
  resourceId: string | null;
  status: ReservationStatus;
  missingResources: boolean;
  resourcesChanged: boolean;
  /** The resource type's own parameters (min, max, hypervisor_properties, ...), as the plugin stored them. */
  params: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date | null;
}

export interface EventRecord {
  id: string;
  leaseId: string;
  eventType: string;
  sequence: number;
  time: Date;
  status: EventStatus;
  claimedBy: string | null;
  claimExpiresAt: Date | null;
  attempts: number;
  lastError: string | null;
  createdAt: Date;
  updatedAt: Date | null;
}

export interface HostRecord {
  id: number;
  hypervisorHostname: string;
  hypervisorType: string | null;
  hypervisorVersion: number | null;
  vcpus: number;
  cpuInfo: string | null;
  memoryMb: number;
  localGb: number;
  serviceName: string | null;
  availabilityZone: string | null;
  status: string | null;
  reservable: boolean;
  trustId: string | null;
  createdAt: Date;
  updatedAt: Date | null;
  /** Extra capabilities by name. */
  extras: Record<string, string>;
}

export interface AllocationRecord {
  hostId: number;
  reservationId: string;
  leaseId: string;
  startDate: Date;
  endDate: Date;
}

export interface PropertyRecord {
  id: number;
  resourceType: string;
  name: string;
  private: boolean;
}

export interface FloatingIpRecord {
  id: string;
  floatingNetworkId: string;
  subnetId: string | null;
  floatingIpAddress: string;
  reservable: boolean;
  createdAt: Date;
  updatedAt: Date | null;
}

export interface OutboxRecord {
  id: number;
  messageId: string;
  leaseId: string | null;
  eventType: string;
  priority: string;
  payload: string;
  createdAt: Date;
  attempts: number;
  nextAttemptAt: Date | null;
}

/** A time window [start, end). */
export interface Window {
  start: Date;
  end: Date;
}
