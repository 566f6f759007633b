import { KeystoneRequestError } from './errors';
import { keystoneMessage } from './http';
import type { KeystoneSession } from './session';

export interface TrustRequest {
  /** The trustor's own token: Keystone only lets a user delegate their own roles. */
  trustorToken: string;
  trustorUserId: string;
  trusteeUserId: string;
  projectId: string;
  /** Role names delegated on projectId. */
  roles: readonly string[];
  /** The trustee's trust-scoped tokens act as the trustor. */
  impersonation: boolean;
  /** The trustee's trust-scoped tokens may make trusts of their own (as Heat does with the token it is given). */
  allowRedelegation?: boolean;
}

/** Keystone's OS-TRUST API: create and delete trusts. */
export class TrustsClient {
  constructor(private readonly session: KeystoneSession) {}

  /**
   * Creates a trust and returns its id.
   * @throws KeystoneRequestError when Keystone refuses (e.g. 403 for a token that may not delegate)
   * @throws KeystoneUnavailable when Keystone cannot answer
   */
  async create(request: TrustRequest): Promise<string> {
    const body = {
      trust: {
        trustor_user_id: request.trustorUserId,
        trustee_user_id: request.trusteeUserId,
        project_id: request.projectId,
        impersonation: request.impersonation,
        roles: request.roles.map((name) => ({ name })),
        ...(request.allowRedelegation ? { allow_redelegation: true } : {}),
      },
    };
    const res = await this.session.http.request('create_trust', 'POST', '/OS-TRUST/trusts', { token: request.trustorToken, body });
    const id = (res.body as { trust?: { id?: string } } | null)?.trust?.id;
    if (res.status !== 201 || !id) throw new KeystoneRequestError(res.status, keystoneMessage(res.body), 'creating a trust');
    return id;
  }

  /**
   * Deletes a trust, acting through the trust itself (an impersonating trust-scoped token is the trustor's,
   * who may delete it), or with `trustorToken` when that fails. Returns "absent" when the trust no longer exists.
   * @throws KeystoneRequestError / KeystoneUnavailable when it could not be deleted
   */
  async delete(trustId: string, trustorToken?: string): Promise<'deleted' | 'absent'> {
    let token: string | undefined;
    try {
      token = (await this.session.trustScopedToken(trustId)).token;
    } catch (error) {
      // 401/404: the trust is gone (deleted, expired, or its trustor deleted) unless the trustor can still say otherwise.
      if (!(error instanceof KeystoneRequestError)) throw error;
      if (!trustorToken) return 'absent';
    }
    this.session.forgetTrust(trustId);
    const res = await this.session.http.request('delete_trust', 'DELETE', `/OS-TRUST/trusts/${encodeURIComponent(trustId)}`, { token: token ?? trustorToken });
    if (res.status === 204 || res.status === 200) return 'deleted';
    if (res.status === 404) return 'absent';
    throw new KeystoneRequestError(res.status, keystoneMessage(res.body), `deleting trust ${trustId}`);
  }
}
