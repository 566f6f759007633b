/** Cinder's block storage API. */
export { CinderClient, cinderRoot, type CinderScope, type CinderVolume, type NewVolume } from './client';
export { buildCinderClient } from './build';
