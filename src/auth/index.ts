/** Who is asking and what they may do. */
export { type RequestContext, serviceContext } from './context';
export { noauthContext, type NoauthIdentity } from './noauth';
export { Policy } from './policy';
