/** Who is asking and what they may do. */
export { type RequestContext, serviceContext, loggableContext } from './context';
export { noauthContext, type NoauthIdentity } from './noauth';
export { Policy, PolicyFileError, renderPolicySample, POLICY_SAMPLE_PATH, DEFAULT_RULES, type PolicyTarget } from './policy/index';
export { type LeaseTrusts, KeystoneLeaseTrusts, TrustRefused } from './trusts';
export { buildKeystoneAuth, type KeystoneAuth } from './keystone';
