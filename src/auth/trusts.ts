import { ClimateError, type Logger } from '../common';
import { KeystoneRequestError, KeystoneUnavailable } from '../openstack/keystone/errors';
import type { KeystoneSession, ScopedToken } from '../openstack/keystone/session';
import type { TrustsClient } from '../openstack/keystone/trusts';
import type { RequestContext } from './context';

/**
 * Delegation for leases: when a lease that acts as its owner (a stack or volume reservation, see
 * leases/owner-trust.ts) is created, its owner lets Climate act for them on the lease's project at event time
 * (a Keystone trust); when the lease is deleted or ends, the delegation is withdrawn.
 */
export interface LeaseTrusts {
  /**
   * Creates the delegation and returns its id, or null when the caller has no token to delegate with (work
   * Climate does on its own). Called before the lease's transaction: it makes an HTTP call.
   * @throws ClimateError with a clear message when the delegation cannot be created
   */
  createForLease(ctx: RequestContext, projectId: string): Promise<string | null>;
  /** Withdraws a delegation. Never throws: a failure is logged (the lease itself is already gone or ended). */
  release(trustId: string, ctx?: RequestContext): Promise<void>;
  /**
   * A token acting as the lease's owner, for plugins at event time (reused until shortly before it expires).
   * `fresh` gets a new one: the service refused the one held (revoked before its expiry).
   */
  tokenFor(trustId: string, options?: { fresh?: boolean }): Promise<ScopedToken>;
}

/** 403/400 when Keystone will not create the trust: says why and what to do. */
export class TrustRefused extends ClimateError {
  constructor(status: number, message: string) {
    super(status, 'trust_refused', message);
  }
}

/**
 * Trusts from the lease owner to Climate's service user: impersonation, the owner's roles on the lease's project,
 * and redelegation allowed: Heat (virtual:stack) makes a trust of its own from the trust-scoped token Climate
 * calls it with, which Keystone refuses unless the trust allows redelegation.
 */
export class KeystoneLeaseTrusts implements LeaseTrusts {
  constructor(
    private readonly session: KeystoneSession,
    private readonly trusts: TrustsClient,
    private readonly logger: Logger,
  ) {}

  async createForLease(ctx: RequestContext, projectId: string): Promise<string | null> {
    if (!ctx.authToken || !ctx.userId) return null;
    const prefix = 'Cannot create the Keystone trust that lets Climate act for you when the lease starts and ends';
    try {
      const service = await this.session.serviceToken();
      const id = await this.trusts.create({
        trustorToken: ctx.authToken, trustorUserId: ctx.userId, trusteeUserId: service.userId, projectId,
        roles: ctx.roles, impersonation: true, allowRedelegation: true,
      });
      this.logger.info(`trust ${id} created for a lease of project ${projectId}`, { trust_id: id, project_id: projectId, user_id: ctx.userId });
      return id;
    } catch (error) {
      if (error instanceof KeystoneUnavailable) throw new KeystoneUnavailable(`${prefix}: ${error.message}`, { cause: error });
      if (error instanceof KeystoneRequestError) {
        const why = error.keystoneMessage || 'no reason given';
        if (error.status === 401 || error.status === 403) {
          throw new TrustRefused(403, `${prefix}: Keystone refused (${error.status}: ${why}). Tokens that are ` +
            'themselves scoped to a trust or come from an application credential cannot delegate; use a token from a password login.');
        }
        throw new TrustRefused(400, `${prefix}: Keystone answered ${error.status} (${why})`);
      }
      throw error;
    }
  }

  async release(trustId: string, ctx?: RequestContext): Promise<void> {
    const ownToken = ctx?.authToken && ctx.trustId == null ? ctx.authToken : undefined;
    try {
      const outcome = await this.trusts.delete(trustId, ownToken);
      this.logger.info(outcome === 'deleted' ? `trust ${trustId} deleted` : `trust ${trustId} was already gone`, { trust_id: trustId });
    } catch (error) {
      this.logger.warning(`trust ${trustId} could not be deleted: ${(error as Error).message}`, { trust_id: trustId });
    }
  }

  tokenFor(trustId: string, options: { fresh?: boolean } = {}): Promise<ScopedToken> {
    if (options.fresh) this.session.forgetTrust(trustId);
    return this.session.trustScopedToken(trustId);
  }
}
