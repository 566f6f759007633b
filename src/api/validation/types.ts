/**
 * Friendly names for the types generated from openapi.yaml (src/api/generated/openapi.ts), so that handlers and
 * views never spell `components["schemas"][...]` and the document stays the single definition of each shape.
 */
import type { components, operations } from '../generated/openapi';

type Schemas = components['schemas'];

// ---- Request bodies (as returned by the validator: defaults such as `reservations: []` are filled in) ----
export type LeaseCreateBody = Schemas['LeaseCreate'];
export type LeaseUpdateBody = Schemas['LeaseUpdate'];
export type ReservationCreateBody = Schemas['ReservationCreate'];
export type ReservationUpdateBody = Schemas['ReservationUpdate'];
export type LeaseEventCreateBody = Schemas['LeaseEventCreate'];
export type HostCreateBody = Schemas['HostCreate'];
export type HostUpdateBody = Schemas['HostUpdate'];
export type PropertyUpdateBody = Schemas['PropertyUpdate'];
export type FloatingIPCreateBody = Schemas['FloatingIPCreate'];
export type ExtraCapabilityValue = Schemas['ExtraCapabilityValue'];

// ---- Response objects ----
export type Lease = Schemas['Lease'];
export type LeaseStatus = Schemas['LeaseStatus'];
export type Reservation = Schemas['Reservation'];
export type ReservationStatus = Schemas['ReservationStatus'];
export type LeaseEvent = Schemas['Event'];
export type EventStatus = Schemas['EventStatus'];
export type LeaseList = Schemas['LeaseList'];
/**
 * A host as rendered, extra capabilities included. The document types extras as strings; here the index
 * signature also admits the known fields' types (the `extra_capability` map among them), because TypeScript
 * checks every property against it.
 */
export type Host = Schemas['Host'] & { [capability: string]: string | number | boolean | null | Record<string, string> };
export type FloatingIP = Schemas['FloatingIP'];
export type Allocation = Schemas['Allocation'];
export type AllocationReservation = Schemas['AllocationReservation'];
export type ResourceProperty = Schemas['ResourceProperty'];
export type Link = Schemas['Link'];
export type Version = Schemas['Version'];
export type VersionsDocument = Schemas['VersionsDocument'];
export type VersionDocument = Schemas['VersionDocument'];
/** Blazar's error body. */
export type ErrorBody = Schemas['Error'];

// ---- Per-operation helpers ----
/** Every operationId of the document. */
export type OperationId = keyof operations;

type JsonContent<T> = T extends { content: { 'application/json': infer B } } ? B : never;

/** The validated JSON body of an operation (`never` for operations without a body). */
export type RequestBody<K extends OperationId> = JsonContent<NonNullable<operations[K]['requestBody']>>;

type DeclaredQuery<K extends OperationId> = NonNullable<operations[K]['parameters']['query']>;

/** The validated query of an operation: its declared parameters only, integers already converted. */
export type RequestQuery<K extends OperationId> = [DeclaredQuery<K>] extends [never] ? Record<string, never> : DeclaredQuery<K>;

/** Operations that take a JSON request body. */
export type BodyOperationId = { [K in OperationId]: [RequestBody<K>] extends [never] ? never : K }[OperationId];

/** What `validateRequest` leaves in `res.locals` for the handler. */
export interface ValidatedRequest<K extends OperationId> {
  operationId: K;
  /** Undefined for operations without a request body. */
  body: RequestBody<K>;
  query: RequestQuery<K>;
}
