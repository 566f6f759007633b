/** The v1 HTTP API. Nothing imports this module but the entry points. */
export { createApp, type ApiDeps, type ApiOptions } from './app';
