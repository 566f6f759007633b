/** A rule Climate knows, with the check it has unless policy.yaml says otherwise. */
export interface RuleDefault {
  name: string;
  check: string;
  description: string;
  /** The API calls the rule guards (none for the base rules other rules refer to). */
  operations?: readonly { method: string; path: string }[];
}

const ADMIN = 'rule:admin';
const READER = 'rule:admin or rule:project_reader';
const MEMBER = 'rule:admin or rule:project_member';

/**
 * Climate's rules. In targets, %(project_id)s is the project that owns the lease (the caller's own project for a
 * list or a create) and %(user_id)s the user who created it.
 */
export const DEFAULT_RULES: readonly RuleDefault[] = [
  {
    name: 'admin',
    check: 'role:admin',
    description: 'Cloud administrators. They manage hosts and floating IPs, and see and manage the leases of every ' +
      'project. Requests for which this rule holds are marked is_admin.',
  },
  {
    name: 'project_reader',
    check: '(role:reader or role:member) and project_id:%(project_id)s',
    description: 'Users who may look at the leases of the project the lease belongs to.',
  },
  {
    name: 'project_member',
    check: 'role:member and project_id:%(project_id)s',
    description: 'Users who may create, change and delete the leases of the project the lease belongs to.',
  },
  {
    name: 'climate:leases:get',
    check: READER,
    description: 'List leases, or show one.',
    operations: [{ method: 'GET', path: '/v1/leases' }, { method: 'GET', path: '/v1/leases/{lease_id}' }],
  },
  {
    name: 'climate:leases:post',
    check: MEMBER,
    description: 'Create a lease in the project of the request.',
    operations: [{ method: 'POST', path: '/v1/leases' }],
  },
  {
    name: 'climate:leases:put',
    check: MEMBER,
    description: 'Change a lease: its name, dates or reservations.',
    operations: [{ method: 'PUT', path: '/v1/leases/{lease_id}' }],
  },
  {
    name: 'climate:leases:delete',
    check: MEMBER,
    description: 'Delete a lease, releasing what it reserved.',
    operations: [{ method: 'DELETE', path: '/v1/leases/{lease_id}' }],
  },
  {
    name: 'climate:leases:availability',
    check: MEMBER,
    description: 'Find the windows in which a lease would fit (counts only; no lease or project of others is shown).',
    operations: [{ method: 'POST', path: '/v1/leases/availability' }],
  },
  {
    name: 'climate:leases:availability:hosts',
    check: ADMIN,
    description: 'See which hosts an availability answer would allocate (their names), besides the counts.',
  },
  {
    name: 'climate:oshosts:get',
    check: ADMIN,
    description: 'List the hosts that can be reserved, or show one.',
    operations: [{ method: 'GET', path: '/v1/os-hosts' }, { method: 'GET', path: '/v1/os-hosts/{host_id}' }],
  },
  {
    name: 'climate:oshosts:post',
    check: ADMIN,
    description: 'Make a host reservable.',
    operations: [{ method: 'POST', path: '/v1/os-hosts' }],
  },
  {
    name: 'climate:oshosts:put',
    check: ADMIN,
    description: 'Change the extra capabilities of a host.',
    operations: [{ method: 'PUT', path: '/v1/os-hosts/{host_id}' }],
  },
  {
    name: 'climate:oshosts:delete',
    check: ADMIN,
    description: 'Stop a host from being reservable.',
    operations: [{ method: 'DELETE', path: '/v1/os-hosts/{host_id}' }],
  },
  {
    name: 'climate:oshosts:get_allocations',
    check: ADMIN,
    description: 'Show which leases hold which hosts.',
    operations: [{ method: 'GET', path: '/v1/os-hosts/allocations' }, { method: 'GET', path: '/v1/os-hosts/{host_id}/allocation' }],
  },
  {
    name: 'climate:oshosts:get_capacity',
    check: ADMIN,
    description: 'Show how many hosts are reservable, allocated, holding instance slots and free over a time range.',
    operations: [{ method: 'GET', path: '/v1/os-hosts/capacity' }],
  },
  {
    name: 'climate:oshosts:get_calendar',
    check: READER,
    description: 'Show the host calendar (the dashboard\'s): every host\'s bookings over a time range, the caller\'s own '
      + 'project\'s leases named, other projects\' anonymous unless admin; host names only with climate:oshosts:get.',
    operations: [{ method: 'GET', path: '/v1/os-hosts/calendar' }],
  },
  {
    name: 'climate:oshosts:get_resource_properties',
    check: ADMIN,
    description: 'List the properties hosts are described by.',
    operations: [{ method: 'GET', path: '/v1/os-hosts/properties' }],
  },
  {
    name: 'climate:oshosts:update_resource_properties',
    check: ADMIN,
    description: 'Make a host property private (hidden from property lists) or public.',
    operations: [{ method: 'PATCH', path: '/v1/os-hosts/properties/{property_name}' }],
  },
  {
    name: 'climate:usage:get',
    check: READER,
    description: 'Show the host-hours and instance-slot-hours the leases of a project held in a time range (admins: of '
      + 'any project, or all).',
    operations: [{ method: 'GET', path: '/v1/usage' }],
  },
  {
    name: 'climate:quotas:list',
    check: ADMIN,
    description: 'Show the default quotas and every project that has quotas of its own.',
    operations: [{ method: 'GET', path: '/v1/quotas' }],
  },
  {
    name: 'climate:quotas:get',
    check: READER,
    description: 'Show the quotas in effect for a project (its users see their own project\'s).',
    operations: [{ method: 'GET', path: '/v1/quotas/{project_id}' }],
  },
  {
    name: 'climate:quotas:update',
    check: ADMIN,
    description: 'Set quotas of a project.',
    operations: [{ method: 'PUT', path: '/v1/quotas/{project_id}' }, { method: 'PATCH', path: '/v1/quotas/{project_id}' }],
  },
  {
    name: 'climate:quotas:delete',
    check: ADMIN,
    description: 'Put every quota of a project back to the configured defaults.',
    operations: [{ method: 'DELETE', path: '/v1/quotas/{project_id}' }],
  },
  {
    name: 'climate:floatingips:get',
    check: ADMIN,
    description: 'List the floating IPs that can be reserved, or show one.',
    operations: [{ method: 'GET', path: '/v1/floatingips' }, { method: 'GET', path: '/v1/floatingips/{floatingip_id}' }],
  },
  {
    name: 'climate:floatingips:post',
    check: ADMIN,
    description: 'Make a floating IP reservable.',
    operations: [{ method: 'POST', path: '/v1/floatingips' }],
  },
  {
    name: 'climate:floatingips:delete',
    check: ADMIN,
    description: 'Stop a floating IP from being reservable.',
    operations: [{ method: 'DELETE', path: '/v1/floatingips/{floatingip_id}' }],
  },
  {
    name: 'climate:volumepools:get',
    check: ADMIN,
    description: 'List the volume pools virtual:volume reservations use, or show one.',
    operations: [{ method: 'GET', path: '/v1/volume-pools' }, { method: 'GET', path: '/v1/volume-pools/{pool_id}' }],
  },
  {
    name: 'climate:volumepools:post',
    check: ADMIN,
    description: 'Register a volume pool and its capacity.',
    operations: [{ method: 'POST', path: '/v1/volume-pools' }],
  },
  {
    name: 'climate:volumepools:put',
    check: ADMIN,
    description: 'Change the capacity of a volume pool.',
    operations: [{ method: 'PUT', path: '/v1/volume-pools/{pool_id}' }],
  },
  {
    name: 'climate:volumepools:delete',
    check: ADMIN,
    description: 'Remove a volume pool.',
    operations: [{ method: 'DELETE', path: '/v1/volume-pools/{pool_id}' }],
  },
];
