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
 * Development mode without Keystone: identity comes from X-User-Id / X-Project-Id / X-Roles, or from the
 * configured defaults (admin) when a client such as `openstack --os-auth-type none` sends none.
 */
export function noauthContext(headers: Headers, defaults: NoauthIdentity, requestId: string): RequestContext {
  const rolesHeader = header(headers, 'x-roles');
  const roles = rolesHeader ? rolesHeader.split(',').map((r) => r.trim()).filter(Boolean) : [...defaults.roles];
  return {
    userId: header(headers, 'x-user-id') ?? defaults.userId,
    projectId: header(headers, 'x-project-id') ?? header(headers, 'x-tenant-id') ?? defaults.projectId,
    roles,
    isAdmin: roles.includes('admin'),
    requestId,
  };
}
