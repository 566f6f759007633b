/** Who is asking: set by the auth middleware, read by policy, the lease service and logs. */
export interface RequestContext {
  userId: string | null;
  projectId: string | null;
  roles: readonly string[];
  isAdmin: boolean;
  requestId: string;
}

/** The context of work the service does on its own (the manager's events). */
export function serviceContext(requestId = 'req-manager'): RequestContext {
  return { userId: null, projectId: null, roles: ['admin'], isAdmin: true, requestId };
}
