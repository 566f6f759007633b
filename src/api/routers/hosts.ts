import { Router } from 'express';
import type { Policy } from '../../auth';
import { checkRange, countSteps, InvalidInput, parseStepSeconds, renderLeaseDate } from '../../common';
import { parseLeaseDate, parseQueryDate } from '../../leases';
import { parseHostId, type AllocationFilter, type HostCalendar, type HostCapacity, type HostInventory } from '../../plugins/physical-host';
import { contextOf, pathParam } from '../middleware/context';
import { validateRequest, validatedRequest, type RequestValidator } from '../validation';

/** Query flags arrive as "True"/"true"/"1" from the CLI and browsers alike. */
const flag = (value: unknown) => typeof value === 'string' && ['true', '1', 'yes'].includes(value.toLowerCase());

/**
 * The filters of the allocation listings. `start`/`end` take the lease date formats; `now` is left for the
 * inventory to read from its clock. A bad date is a 400 naming the parameter.
 */
function allocationFilter(query: { lease_id?: string; reservation_id?: string; start?: string; end?: string }): AllocationFilter {
  const date = (name: string, value: string | undefined): Date | 'now' | undefined => {
    if (value === undefined) return undefined;
    if (value.trim().toLowerCase() === 'now') return 'now';
    try {
      return parseLeaseDate(value, new Date());
    } catch (error) {
      if (error instanceof InvalidInput) throw new InvalidInput(`Invalid query parameter ${name}: ${error.message}`);
      throw error;
    }
  };
  return { leaseId: query.lease_id, reservationId: query.reservation_id, start: date('start', query.start), end: date('end', query.end) };
}

/** /v1/os-hosts: host inventory, allocations, capacity over time and properties (admin by default policy). */
export function hostsRouter(hosts: HostInventory, policy: Policy, validator: RequestValidator, capacity?: HostCapacity,
  calendar?: HostCalendar): Router {
  const router = Router();

  router.get('/', validateRequest('listHosts', validator), async (_req, res) => {
    policy.enforce(contextOf(res), 'climate:oshosts:get');
    res.json({ hosts: await hosts.list() });
  });

  router.post('/', validateRequest('createHost', validator), async (_req, res) => {
    policy.enforce(contextOf(res), 'climate:oshosts:post');
    const { body } = validatedRequest(res, 'createHost');
    res.status(201).json({ host: await hosts.create(body as Record<string, unknown>) });
  });

  router.get('/allocations', validateRequest('listHostAllocations', validator), async (_req, res) => {
    policy.enforce(contextOf(res), 'climate:oshosts:get_allocations');
    const { query } = validatedRequest(res, 'listHostAllocations');
    res.json({ allocations: await hosts.allocations(allocationFilter(query)) });
  });

  if (capacity) {
    router.get('/capacity', validateRequest('showHostCapacity', validator), async (_req, res) => {
      policy.enforce(contextOf(res), 'climate:oshosts:get_capacity');
      const { query } = validatedRequest(res, 'showHostCapacity');
      const now = capacity.now();
      const start = parseQueryDate('start', query.start ?? 'now', now);
      const end = parseQueryDate('end', query.end, now);
      checkRange(start, end);
      const stepSeconds = parseStepSeconds(query.step ?? '3600');
      const steps = await capacity.over({
        start, end, stepSeconds, hypervisorProperties: query.hypervisor_properties, resourceProperties: query.resource_properties,
      }, countSteps(start, end, stepSeconds));
      res.json({
        capacity: {
          start_date: renderLeaseDate(start), end_date: renderLeaseDate(end), step: stepSeconds,
          steps: steps.map((s) => ({
            start_date: renderLeaseDate(s.start), end_date: renderLeaseDate(s.end), total: s.total, reservable: s.reservable,
            allocated: s.allocated, with_instances: s.withInstances, free: s.free,
          })),
        },
      });
    });
  }

  if (calendar) {
    router.get('/calendar', validateRequest('showHostCalendar', validator), async (_req, res) => {
      const ctx = contextOf(res);
      policy.enforce(ctx, 'climate:oshosts:get_calendar');
      const { query } = validatedRequest(res, 'showHostCalendar');
      const now = calendar.now();
      const start = parseQueryDate('start', query.start ?? 'now', now);
      const end = parseQueryDate('end', query.end, now);
      checkRange(start, end);
      const limit = query.limit === undefined ? undefined : Number(query.limit);
      if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1 && limit <= 10_000)) {
        throw new InvalidInput('Invalid query parameter limit: a whole number of hosts from 1 to 10000');
      }
      if (query.marker !== undefined && !/^\d{1,15}$/.test(query.marker)) throw new InvalidInput('Invalid query parameter marker: a host id');
      const marker = query.marker === undefined ? undefined : Number(query.marker);
      const { hosts: rows, bookings } = await calendar.read({
        start, end, hypervisorProperties: query.hypervisor_properties, resourceProperties: query.resource_properties, limit, marker,
      });
      // Host names are what climate:oshosts:get shows; a lease of another project is only a busy span, as the
      // availability answers show members counts and never other projects' leases.
      const namesHosts = policy.check(ctx, 'climate:oshosts:get');
      const byHost = new Map<number, Record<string, unknown>[]>(rows.map((h) => [h.id, []]));
      for (const b of bookings) {
        const own = b.projectId === ctx.projectId;
        byHost.get(b.hostId)?.push({
          start_date: renderLeaseDate(new Date(b.start)), end_date: renderLeaseDate(new Date(b.end)), kind: b.kind, own,
          ...(own || ctx.isAdmin ? { lease_id: b.leaseId, lease_name: b.leaseName, project_id: b.projectId } : {}),
        });
      }
      res.json({
        calendar: {
          start_date: renderLeaseDate(start), end_date: renderLeaseDate(end),
          hosts: rows.map((h) => ({
            id: String(h.id), name: namesHosts ? h.name : null, reservable: h.reservable, status: h.status, bookings: byHost.get(h.id),
          })),
        },
      });
    });
  }

  router.get('/properties', validateRequest('listHostProperties', validator), async (_req, res) => {
    const ctx = contextOf(res);
    policy.enforce(ctx, 'climate:oshosts:get_resource_properties');
    const { query } = validatedRequest(res, 'listHostProperties');
    const all = flag(query.all) && ctx.isAdmin;
    res.json({ resource_properties: await hosts.properties({ detail: flag(query.detail), all }) });
  });

  router.patch('/properties/:propertyName', validateRequest('updateHostProperty', validator), async (req, res) => {
    policy.enforce(contextOf(res), 'climate:oshosts:update_resource_properties');
    const { body } = validatedRequest(res, 'updateHostProperty');
    res.json({ resource_property: await hosts.setPropertyPrivate(pathParam(req, 'propertyName'), Boolean((body as { private: boolean }).private)) });
  });

  router.get('/:hostId', validateRequest('showHost', validator), async (req, res) => {
    policy.enforce(contextOf(res), 'climate:oshosts:get');
    res.json({ host: await hosts.get(pathParam(req, 'hostId')) });
  });

  router.put('/:hostId', validateRequest('updateHost', validator), async (req, res) => {
    policy.enforce(contextOf(res), 'climate:oshosts:put');
    const { body } = validatedRequest(res, 'updateHost');
    res.json({ host: await hosts.update(pathParam(req, 'hostId'), body as Record<string, unknown>) });
  });

  router.delete('/:hostId', validateRequest('deleteHost', validator), async (req, res) => {
    policy.enforce(contextOf(res), 'climate:oshosts:delete');
    await hosts.delete(pathParam(req, 'hostId'));
    res.status(204).end();
  });

  router.get('/:hostId/allocation', validateRequest('showHostAllocation', validator), async (req, res) => {
    policy.enforce(contextOf(res), 'climate:oshosts:get_allocations');
    parseHostId(pathParam(req, 'hostId'));
    const { query } = validatedRequest(res, 'showHostAllocation');
    res.json({ allocation: await hosts.allocation(pathParam(req, 'hostId'), allocationFilter(query)) });
  });

  return router;
}
