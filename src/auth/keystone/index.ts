/** Keystone authentication: token validation (JWS checked locally, everything resolved by Keystone), middleware. */
export { buildKeystoneAuth, TOKEN_CACHE_SIZE, KEYSTONE_TIMEOUT_MS, type KeystoneAuth, type KeystoneAuthDeps } from './setup';
export { TokenValidator, identityOf, looksLikeFernet, MAX_TOKEN_LENGTH, type TokenIdentity, type TokenSource, type TokenValidatorOptions } from './validator';
export { JwsKeyRing, looksLikeJws, type JwsClaims } from './jws';
export { keystoneAuthMiddleware, type KeystoneAuthOptions } from './middleware';
export { TtlCache, tokenKey } from './token-cache';
export { TokenRefused } from './errors';
