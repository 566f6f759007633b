import type { RequestHandler, Response } from 'express';
import type { Logger } from '../../common';
import type { RequestContext } from '../context';
import { TokenRefused } from './errors';
import type { TokenIdentity, TokenValidator } from './validator';

export interface KeystoneAuthOptions {
  /** Where clients get tokens, sent in the WWW-Authenticate header of 401 answers. */
  wwwAuthenticateUri: string;
  logger: Logger;
}

function contextFor(identity: TokenIdentity, res: Response, token: string): RequestContext {
  const globalRequestId = res.locals.globalRequestId as string | undefined;
  return { ...identity, requestId: String(res.locals.requestId), ...(globalRequestId ? { globalRequestId } : {}), authToken: token };
}

/**
 * Authenticates each request by its X-Auth-Token and puts the caller's RequestContext in res.locals.context.
 * A refused token gets 401 with `WWW-Authenticate: Keystone uri="..."`; Keystone being unreachable reaches the
 * error handler as a 503.
 */
export function keystoneAuthMiddleware(validator: TokenValidator, options: KeystoneAuthOptions): RequestHandler {
  const challenge = `Keystone uri="${options.wwwAuthenticateUri}"`;
  const refuse = (res: Response, message: string) => {
    options.logger.debug(`request refused: ${message}`);
    res.status(401).set('WWW-Authenticate', challenge).json({ error_code: 401, error_message: message, error_name: 401 });
  };
  return (req, res, next) => {
    const header = req.headers['x-auth-token'];
    const token = typeof header === 'string' ? header.trim() : '';
    if (!token) {
      refuse(res, 'Authentication required: send a Keystone token in the X-Auth-Token header');
      return;
    }
    const found = validator.lookup(token);
    if ('identity' in found) {
      res.locals.context = contextFor(found.identity, res, token);
      next();
      return;
    }
    if ('refused' in found) {
      refuse(res, found.refused);
      return;
    }
    validator.validate(token, found.key).then(
      (identity) => {
        res.locals.context = contextFor(identity, res, token);
        next();
      },
      (error: unknown) => {
        if (error instanceof TokenRefused) refuse(res, error.message);
        else next(error);
      },
    );
  };
}
