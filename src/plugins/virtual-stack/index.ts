/** virtual:stack: a Heat stack whose servers are held as virtual:instance slots. */
export { VirtualStackPlugin, VIRTUAL_STACK, type VirtualStackDeps } from './plugin';
export { noStackActions, type StackActions } from './actions';
export { parseStackParams, updateStackParams, type StackReservationParams } from './params';
export {
  HeatStackActions, stackTag, STACK_CREATED, STACK_CREATE_FAILED, STACK_DELETED, STACK_DELETE_FAILED, type HeatStackOptions, type StackTokens,
} from './heat';
export {
  countServers, sizeServers, parseTemplate, parseEnvironment, checkParameters, MAX_TEMPLATE_BYTES,
  RESERVATION_FLAVOR_PARAM, RESERVATION_ID_PARAM, RESERVATION_GROUP_PARAM, type FlavorLookup, type ServerSize, type ServerDemand,
} from './template';
