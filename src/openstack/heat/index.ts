/** Heat's orchestration API. */
export { HeatClient, heatRoot, stackTags, type HeatStack, type NewStack, type HeatCallOptions } from './client';
export { buildHeatClient } from './build';
