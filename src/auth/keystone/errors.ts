import { Unauthorized } from '../../common';

/** 401: the token was refused (missing, malformed, forged, expired, revoked). The message says why, without the token. */
export class TokenRefused extends Unauthorized {
  constructor(reason: string) {
    super(reason);
  }
}
