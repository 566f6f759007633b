/**
 * Shared helpers for the API behaviour tests: identities, request builders, and assertions on Blazar's error
 * body and on the OpenAPI response shapes.
 */
import type { Express } from 'express';
import request from 'supertest';
import { createAjv } from '../../src/api/validation/validator';
import { loadOpenApiDocument } from '../../src/api/validation';

/** Identity headers in noauth mode. No headers at all means the configured default: admin of project "admin". */
export const ADMIN = { 'X-User-Id': 'admin-user', 'X-Project-Id': 'admin', 'X-Roles': 'admin' } as const;
export function member(project: string, user = `user-of-${project}`): Record<string, string> {
  return { 'X-User-Id': user, 'X-Project-Id': project, 'X-Roles': 'member' };
}

/** A physical:host reservation as the CLI sends it. */
export function hostReservation(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { resource_type: 'physical:host', min: 1, max: 1, hypervisor_properties: '', resource_properties: '', ...overrides };
}

/** Body of a lease create with a fixed future window. */
export function leaseBody(name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, start_date: '2030-01-01 12:00', end_date: '2030-01-02 12:00', reservations: [], events: [], ...overrides };
}

export async function createHost(app: Express, body: Record<string, unknown>): Promise<Record<string, string>> {
  const res = await request(app).post('/v1/os-hosts').send(body);
  if (res.status !== 201) throw new Error(`host ${JSON.stringify(body).slice(0, 500)}: ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
  return res.body.host;
}

export async function createLease(app: Express, body: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await request(app).post('/v1/leases').set(headers).send(body);
  if (res.status !== 201) throw new Error(`lease ${JSON.stringify(body).slice(0, 500)}: ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
  return res.body.lease as Lease;
}

export interface Lease {
  id: string;
  name: string;
  start_date: string;
  end_date: string;
  status: string;
  project_id: string;
  reservations: (Record<string, unknown> & { id: string })[];
  events: { event_type: string; time: string; status: string }[];
  [field: string]: unknown;
}

/** Host ids (as strings, sorted) allocated to a lease, through the API. */
export async function hostsOfLease(app: Express, leaseId: string): Promise<string[]> {
  const res = await request(app).get('/v1/os-hosts/allocations').query({ lease_id: leaseId });
  if (res.status !== 200) throw new Error(`allocations: ${res.status} ${JSON.stringify(res.body)}`);
  // Every host is listed, those the lease does not hold with no reservations (as Blazar lists them).
  return (res.body.allocations as { resource_id: string; reservations: unknown[] }[]).filter((a) => a.reservations.length)
    .map((a) => a.resource_id).sort((a, b) => Number(a) - Number(b));
}

/** The allocation entries (host, window) of a lease, through the API. */
export async function allocationsOfLease(app: Express, leaseId: string) {
  const res = await request(app).get('/v1/os-hosts/allocations').query({ lease_id: leaseId });
  return (res.body.allocations as { resource_id: string; reservations: { id: string; lease_id: string; start_date: string; end_date: string }[] }[])
    .flatMap((a) => a.reservations.map((r) => ({ host: a.resource_id, ...r })))
    .sort((a, b) => Number(a.host) - Number(b.host));
}

/** Asserts Blazar's error body with the given status (and message, exact or matching). */
export function expectError(res: request.Response, status: number, message?: string | RegExp): void {
  const summary = { status: res.status, body: res.body };
  expect(summary).toEqual({ status, body: { error_code: status, error_message: expect.any(String), error_name: status } });
  expect(res.body.error_message.length).toBeGreaterThan(0);
  if (typeof message === 'string') expect(res.body.error_message).toBe(message);
  else if (message) expect(res.body.error_message).toMatch(message);
}

/** Dates as the wire renders them. */
export const LEASE_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$/;
export const TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
export const REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let ajv: ReturnType<typeof createAjv> | undefined;

/** Asserts that `body` matches a component schema of openapi.yaml (e.g. "LeaseEnvelope"). */
export function expectSchema(body: unknown, schema: string): void {
  ajv ??= createAjv(loadOpenApiDocument());
  const validate = ajv.getSchema(`urn:climate:openapi:components#/$defs/${schema}`);
  if (!validate) throw new Error(`no schema ${schema}`);
  const ok = validate(body);
  expect(ok ? [] : validate.errors).toEqual([]);
}
