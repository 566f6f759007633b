/** Cinder's block storage API. */
export { CinderClient, cinderRoot, type CinderVolume, type NewVolume } from './client';
export { buildCinderClient, type CinderClientDeps } from './build';
