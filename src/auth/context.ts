import type { CatalogEntry } from '../openstack/keystone/catalog';

/**
 * Who is asking: set by the auth middleware (keystone or noauth), read by handlers, policy, the lease service,
 * plugins and logs. The optional fields are only known in keystone mode.
 */
export interface RequestContext {
  userId: string | null;
  projectId: string | null;
  roles: readonly string[];
  /** The caller is an administrator (policy rule "admin"): sees every project's leases. */
  isAdmin: boolean;
  requestId: string;
  /** The caller's X-OpenStack-Request-ID (oslo.context's global_request_id), when it sent a valid one. */
  globalRequestId?: string | null;
  userName?: string | null;
  userDomainId?: string | null;
  projectName?: string | null;
  projectDomainId?: string | null;
  /** Set for domain-scoped tokens. */
  domainId?: string | null;
  /** The service catalog of the caller's token. */
  catalog?: readonly CatalogEntry[];
  /** When the caller's token expires (ms since the epoch). */
  expiresAt?: number;
  /** Set when the caller's token is itself scoped to a trust. */
  trustId?: string | null;
  /** The caller's own token (for trusts). A secret: never log it. */
  authToken?: string;
}

/** The context of work the service does on its own (the manager's events). */
export function serviceContext(requestId = 'req-manager'): RequestContext {
  return { userId: null, projectId: null, roles: ['admin'], isAdmin: true, requestId };
}

/** The parts of a context that are safe to log (no token, no catalog). */
export function loggableContext(ctx: RequestContext): Record<string, unknown> {
  return { user_id: ctx.userId, project_id: ctx.projectId, roles: ctx.roles, is_admin: ctx.isAdmin, request_id: ctx.requestId,
    ...(ctx.globalRequestId ? { global_request_id: ctx.globalRequestId } : {}) };
}
