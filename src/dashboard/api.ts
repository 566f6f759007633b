/**
 * The dashboard's only way to the server: Climate's API and the dashboard's sign-in calls, with the token of
 * the session. A 401 anywhere means the token expired or was revoked: the session is dropped and the sign-in
 * page shown.
 */
import { clearSession, currentToken } from './session';

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

type Listener = () => void;
const signedOutListeners = new Set<Listener>();
/** Called when the server refuses the token (expired, revoked). */
export function onSignedOut(listener: Listener): () => void {
  signedOutListeners.add(listener);
  return () => signedOutListeners.delete(listener);
}

export async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const token = currentToken();
  if (token) headers['X-Auth-Token'] = token;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
  if (res.status === 401 && token) {
    clearSession();
    for (const listener of signedOutListeners) listener();
    throw new ApiError(401, 'Your session has ended; sign in again.');
  }
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try { json = text ? JSON.parse(text) as Record<string, unknown> : {}; } catch { /* not JSON: the status says it */ }
  if (!res.ok) throw new ApiError(res.status, typeof json.error_message === 'string' ? json.error_message : `${res.status} ${res.statusText}`);
  return json as T;
}

/** A query string from the defined values. */
export function query(params: Record<string, string | number | undefined>): string {
  const entries = Object.entries(params).filter(([, v]) => v !== undefined && v !== '') as [string, string | number][];
  return entries.length ? `?${new URLSearchParams(entries.map(([k, v]) => [k, String(v)])).toString()}` : '';
}

export interface Session {
  user_id: string | null;
  user_name: string | null;
  project_id: string | null;
  project_name: string | null;
  roles: string[];
  is_admin: boolean;
  may: Record<'create' | 'update' | 'delete' | 'availability' | 'calendar' | 'hosts' | 'capacity' | 'properties' | 'usage', boolean>;
}

export interface Reservation {
  id: string;
  resource_type: string;
  status: string;
  min?: number;
  max?: number;
  amount?: number;
  hypervisor_properties?: string;
  resource_properties?: string;
  missing_resources?: boolean;
  resources_changed?: boolean;
}

export interface LeaseEvent {
  id: string;
  event_type: string;
  time: string;
  status: string;
}

export interface Lease {
  id: string;
  name: string;
  project_id: string;
  start_date: string;
  end_date: string;
  status: string;
  status_reason?: string | null;
  degraded?: boolean;
  reservations: Reservation[];
  events: LeaseEvent[];
}
