/** The v1 HTTP API. Nothing imports this module but the entry points. */
export { createApp, type ApiDeps, type ApiOptions } from './app';
export { dashboardAssets, keystoneV3 } from './routers/dashboard';
