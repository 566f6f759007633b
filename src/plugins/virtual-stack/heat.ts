import type { Logger } from '../../common';
import type { LeaseRecord, Repositories } from '../../db';
import type { Notifier, Priority } from '../../notifications';
import { isStatus, OpenStackHttpError, stackTags, type HeatCallOptions, type HeatClient, type HeatStack } from '../../openstack';
import type { HookArgs } from '../types';
import type { StackActions } from './actions';
import type { StackReservationParams } from './params';
import { declaredParameters, parseTemplate, RESERVATION_FLAVOR_PARAM, RESERVATION_GROUP_PARAM, RESERVATION_ID_PARAM } from './template';

/** The tag that marks a stack as made for a reservation: a retried start finds it, and never takes a stranger's stack. */
export const stackTag = (reservationId: string) => `climate-reservation-${reservationId}`;

/** Notifications about a reservation's stack, sent with the change of `stack_status` they announce. */
export const STACK_CREATED = 'reservation.stack.created';
export const STACK_CREATE_FAILED = 'reservation.stack.create_failed';
export const STACK_DELETED = 'reservation.stack.deleted';
export const STACK_DELETE_FAILED = 'reservation.stack.delete_failed';

/** Tokens acting as a lease's owner through its Keystone trust (LeaseTrusts in keystone mode); `fresh` after a refusal. */
export interface StackTokens {
  tokenFor(trustId: string, options?: { fresh?: boolean }): Promise<{ token: string }>;
}

export interface HeatStackOptions {
  /** How long a start waits for the stack to be created; also Heat's own timeout (in whole minutes). */
  createTimeoutMs: number;
  /** How long an end waits for the stack to be gone. */
  deleteTimeoutMs: number;
  /** Between two looks at a stack being created or deleted. */
  pollMs: number;
}

/** What every step needs to know about the stack it works on. */
interface Target {
  lease: LeaseRecord;
  reservationId: string;
  name: string;
}

type StackFields = Pick<StackReservationParams, 'stack_id' | 'stack_status' | 'stack_status_reason'>;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const inProgress = (status: string) => status.endsWith('_IN_PROGRESS');
/** A create that did not work: failed, or rolled back (when rollback is on in spite of disable_rollback). */
const createFailed = (status: string) => status === 'CREATE_FAILED' || status.startsWith('ROLLBACK_');
const deleted = (stack: HeatStack | null) => stack === null || stack.stack_status === 'DELETE_COMPLETE';

/** Heat could not delete a stack (DELETE_FAILED): the stack with Heat's reason, for the notification and the event's error. */
class DeleteFailed extends Error {
  constructor(readonly heatStack: HeatStack, reservationId: string) {
    super(`Heat could not delete stack "${heatStack.stack_name}" (${heatStack.id}) of reservation ${reservationId}: `
      + `${heatStack.stack_status_reason || 'no reason given'}`);
  }
}

/**
 * A reservation's Heat stack. At start, the stack is created in the lease owner's project with the owner's
 * trust-scoped token (the service user's token, or none without Keystone, when the lease has no trust: see
 * `call`), named as the reservation says, tagged `climate-reservation-<id>`, with rollback disabled so that a
 * failure stays visible with Heat's reason. The template's parameters `reservation_flavor`,
 * `reservation_id` and `reservation_server_group`, when it declares them, are set to the reservation's
 * flavor, its id (the `reservation` scheduler hint) and its server group. Start then waits (bounded) for
 * CREATE_COMPLETE and records `stack_id` and `stack_status`.
 *
 * Retried starts look the stack up by name and tag before creating one, so an attempt whose answer was lost
 * does not make a second stack; a stack left CREATE_FAILED by an earlier attempt is deleted and made again,
 * while a failure seen by this attempt fails the event with Heat's reason (and when retries run out the lease
 * goes to ERROR with it). A stack of that name the reservation did not make is never touched.
 *
 * At end every stack of the reservation is deleted and waited for (bounded) until gone. `stack_status`
 * changes commit with their notification (`reservation.stack.created`, `.create_failed`, `.deleted`,
 * `.delete_failed`) in one transaction, once per change, so a retried event does not repeat them.
 */
export class HeatStackActions implements StackActions {
  constructor(private readonly heat: HeatClient, private readonly repos: Repositories, private readonly notifier: Notifier,
    private readonly tokens: StackTokens | null, private readonly options: HeatStackOptions, private readonly logger: Logger) {}

  async onStart({ lease, reservation }: HookArgs): Promise<void> {
    // Read again: the start of the instance slots just recorded the flavor and group this stack uses.
    const current = (await this.repos.reservations.get(reservation.id)) ?? reservation;
    const params = current.params as StackReservationParams;
    const target: Target = { lease, reservationId: reservation.id, name: params.stack_name };
    const deadline = Date.now() + this.options.createTimeoutMs;
    // Whether this attempt saw the stack being created: its failure is then news, not an earlier attempt's leftover.
    let watched = false;
    for (;;) {
      let stack = await this.find(target);
      if (!stack) {
        const id = await this.create(target, params);
        if (id === null) {
          if (Date.now() >= deadline) throw new Error(`stack "${target.name}" of reservation ${target.reservationId}: Heat says the name is taken but does not list it`);
          await sleep(this.options.pollMs);
          continue;
        }
        await this.record(target, { stack_id: id, stack_status: 'CREATE_IN_PROGRESS', stack_status_reason: null });
        stack = { id, stack_name: target.name, stack_status: 'CREATE_IN_PROGRESS' };
      }
      if (inProgress(stack.stack_status)) {
        watched ||= stack.stack_status.startsWith('CREATE_');
        stack = await this.settle(target, stack, deadline, this.options.createTimeoutMs);
        if (!stack) continue;
      }
      const status = stack.stack_status;
      const fields: StackFields = { stack_id: stack.id, stack_status: status, stack_status_reason: stack.stack_status_reason ?? null };
      if (createFailed(status)) {
        if (watched) {
          await this.record(target, fields, { eventType: STACK_CREATE_FAILED, priority: 'ERROR' });
          throw new Error(`Heat could not create stack "${target.name}" (${stack.id}) of reservation ${target.reservationId}: `
            + `${stack.stack_status_reason || status}`);
        }
        // Left by an earlier attempt: make it again.
        this.logger.info(`reservation ${target.reservationId}: deleting stack ${stack.id} (${status}) to create it again`, { lease_id: lease.id });
        await this.deleteAndWait(target, [stack], deadline, this.options.createTimeoutMs);
        continue;
      }
      if (status.startsWith('DELETE_')) {
        await this.deleteAndWait(target, [stack], deadline, this.options.createTimeoutMs);
        continue;
      }
      await this.record(target, fields, { eventType: STACK_CREATED, priority: 'INFO' });
      this.logger.info(`reservation ${target.reservationId}: stack "${target.name}" (${stack.id}) is ${status}`, { lease_id: lease.id });
      return;
    }
  }

  async onEnd({ lease, reservation }: HookArgs): Promise<void> {
    const current = (await this.repos.reservations.get(reservation.id)) ?? reservation;
    const params = current.params as StackReservationParams;
    const target: Target = { lease, reservationId: reservation.id, name: params.stack_name };
    const stacks = await this.listOurs(target);
    if (params.stack_id && !stacks.some((s) => s.id === params.stack_id)) {
      const recorded = await this.heat.getStack(lease.projectId, target.name, params.stack_id!, await this.auth(target));
      if (!deleted(recorded)) stacks.push(recorded!);
    }
    if (stacks.length) {
      try {
        await this.deleteAndWait(target, stacks, Date.now() + this.options.deleteTimeoutMs, this.options.deleteTimeoutMs);
      } catch (error) {
        if (!(error instanceof DeleteFailed)) throw error;
        const s = error.heatStack;
        await this.record(target, { stack_id: s.id, stack_status: s.stack_status, stack_status_reason: s.stack_status_reason ?? null },
          { eventType: STACK_DELETE_FAILED, priority: 'ERROR' });
        throw error;
      }
    }
    const id = params.stack_id ?? stacks[0]?.id ?? null;
    // Nothing was ever made (start failed before the create, or on_start = none): nothing to announce.
    if (id === null) return;
    await this.record(target, { stack_id: id, stack_status: 'DELETE_COMPLETE', stack_status_reason: null },
      { eventType: STACK_DELETED, priority: 'INFO' });
    this.logger.info(`reservation ${target.reservationId}: stack "${target.name}" deleted`, { lease_id: lease.id });
  }

  /**
   * How a Heat call acts as the lease's owner: with a token scoped to the lease's trust (a fresh one if Heat
   * refuses the cached one). A lease without a trust (noauth mode) uses the client's own token: the service
   * user's, or none without Keystone (a Heat in noauth mode, or the test fake); Heat then acts for that identity.
   */
  private async auth(target: Target): Promise<HeatCallOptions> {
    const { tokens } = this;
    const trustId = target.lease.trustId;
    if (!trustId || !tokens) return {};
    return {
      token: (await tokens.tokenFor(trustId)).token,
      refreshToken: async () => (await tokens.tokenFor(trustId, { fresh: true })).token,
    };
  }

  /** The stacks of this name carrying the reservation's tag. */
  private async listOurs(target: Target): Promise<HeatStack[]> {
    const listed = await this.heat.listStacks(target.lease.projectId, target.name, await this.auth(target));
    const tag = stackTag(target.reservationId);
    return listed.filter((s) => stackTags(s).includes(tag));
  }

  /** The reservation's stack, if it exists. Throws when the name belongs to a stack the reservation did not make. */
  private async find(target: Target): Promise<HeatStack | null> {
    const listed = await this.heat.listStacks(target.lease.projectId, target.name, await this.auth(target));
    const tag = stackTag(target.reservationId);
    const ours = listed.find((s) => stackTags(s).includes(tag));
    if (ours) return ours;
    if (listed.length) {
      throw new Error(`Project ${target.lease.projectId} already has a Heat stack named "${target.name}" (${listed[0].id}) that reservation `
        + `${target.reservationId} did not make; delete or rename it, or change the reservation's stack_name`);
    }
    return null;
  }

  /** Starts the create; the new stack's id, or null when Heat says the name is taken (look again). */
  private async create(target: Target, params: StackReservationParams): Promise<string | null> {
    const declared = declaredParameters(parseTemplate(params.template));
    const parameters: Record<string, unknown> = { ...params.parameters };
    const set = (name: string, value: string | null) => {
      if (value !== null && Object.hasOwn(declared, name)) parameters[name] = value;
    };
    set(RESERVATION_FLAVOR_PARAM, params.flavor_id);
    set(RESERVATION_ID_PARAM, target.reservationId);
    set(RESERVATION_GROUP_PARAM, params.server_group_id);
    try {
      return await this.heat.createStack(target.lease.projectId, {
        stackName: target.name, template: params.template, parameters, environment: params.environment,
        timeoutMins: Math.max(1, Math.ceil(this.options.createTimeoutMs / 60_000)), disableRollback: true,
        tags: [stackTag(target.reservationId)],
      }, await this.auth(target));
    } catch (error) {
      // Made by an attempt whose answer was lost (or taken meanwhile by someone else): the next look tells.
      if (isStatus(error, 409)) return null;
      if (error instanceof OpenStackHttpError && error.remoteStatus === 400) {
        throw new Error(`Heat refused to create stack "${target.name}" of reservation ${target.reservationId}: ${error.remoteMessage}`, { cause: error });
      }
      throw error;
    }
  }

  /** Waits while the stack is in progress; its settled state, or null once it is gone. */
  private async settle(target: Target, stack: HeatStack, deadline: number, timeoutMs: number): Promise<HeatStack | null> {
    for (;;) {
      const now = await this.heat.getStack(target.lease.projectId, target.name, stack.id, await this.auth(target));
      if (deleted(now)) return null;
      if (!inProgress(now!.stack_status)) return now;
      if (Date.now() >= deadline) {
        throw new Error(`stack "${target.name}" (${stack.id}) of reservation ${target.reservationId} still ${now!.stack_status} after ${timeoutMs / 1000} s`);
      }
      await sleep(this.options.pollMs);
    }
  }

  /** Deletes the stacks (those not being deleted already) and waits until they are gone. Throws DeleteFailed. */
  private async deleteAndWait(target: Target, stacks: HeatStack[], deadline: number, timeoutMs: number): Promise<void> {
    const project = target.lease.projectId;
    for (const s of stacks) {
      if (s.stack_status !== 'DELETE_IN_PROGRESS') await this.heat.deleteStack(project, s.stack_name, s.id, await this.auth(target));
    }
    let left = stacks;
    for (;;) {
      const still: HeatStack[] = [];
      for (const s of left) {
        const now = await this.heat.getStack(project, s.stack_name, s.id, await this.auth(target));
        if (deleted(now)) continue;
        if (now!.stack_status === 'DELETE_FAILED') throw new DeleteFailed(now!, target.reservationId);
        still.push(now!);
      }
      left = still;
      if (!left.length) return;
      if (Date.now() >= deadline) {
        throw new Error(`stack(s) ${left.map((s) => `${s.id} (${s.stack_status})`).join(', ')} of reservation ${target.reservationId} `
          + `still not deleted after ${timeoutMs / 1000} s`);
      }
      await sleep(this.options.pollMs);
    }
  }

  /**
   * Stores the stack's id and status in the reservation's parameters, under the lease's row lock (as a PUT
   * takes), with the notification announcing it in the same transaction; neither when nothing changed.
   */
  private async record(target: Target, fields: StackFields, notification?: { eventType: string; priority: Priority }): Promise<void> {
    const { lease, reservationId } = target;
    await this.repos.db.transaction(async (tx) => {
      await this.repos.leases.getForUpdate(tx, lease.id);
      const current = await this.repos.reservations.get(reservationId, tx);
      if (!current) return;
      const p = current.params;
      if ((Object.keys(fields) as (keyof StackFields)[]).every((k) => p[k] === fields[k])) return;
      await this.repos.reservations.updateParams(tx, reservationId, { ...p, ...fields }, current.updatedAt ?? current.createdAt);
      if (!notification) return;
      await this.notifier.emit(tx, notification.eventType, {
        lease_id: lease.id, reservation_id: reservationId, project_id: lease.projectId, user_id: lease.userId,
        stack_name: target.name, ...fields,
      }, { leaseId: lease.id, priority: notification.priority });
    });
  }
}
