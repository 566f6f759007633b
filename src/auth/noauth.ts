import type { RequestContext } from './context';

export interface NoauthIdentity {
  userId: string;
  projectId: string;
  roles: readonly string[];
}

type Headers = Record<string, string | string[] | undefined>;

const header = (headers: Headers, name: string): string | undefined => {
  const value = headers[name.toLowerCase()];
  const text = Array.isArray(value) ? value[0] : value;
  return text && text.trim() ? text.trim() : undefined;
};

/**
 * The user of a request that names a project but no user. Not the configured default user (the admin): a
 * request that says which project it acts for is not the admin's, and leases it creates must not be recorded
 * as the admin's (issue 12, item 17).
 */
export function noauthProjectUser(projectId: string): string {
  return `user-of-${projectId}`;
}

/**
 * Development mode without Keystone: identity comes from X-User-Id / X-Project-Id / X-Roles, or from the
 * configured defaults (admin) when a client such as `openstack --os-auth-type none` sends none. A request with a
 * project but no user is `user-of-<project>` (see noauthProjectUser).
 */
export function noauthContext(headers: Headers, defaults: NoauthIdentity, requestId: string): RequestContext {
  const rolesHeader = header(headers, 'x-roles');
  const roles = rolesHeader ? rolesHeader.split(',').map((r) => r.trim()).filter(Boolean) : [...defaults.roles];
  const project = header(headers, 'x-project-id') ?? header(headers, 'x-tenant-id');
  return {
    userId: header(headers, 'x-user-id') ?? (project ? noauthProjectUser(project) : defaults.userId),
    projectId: project ?? defaults.projectId,
    roles,
    isAdmin: roles.includes('admin'),
    requestId,
  };
}
