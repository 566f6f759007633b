/** Placement's API. */
export { PlacementClient, PLACEMENT_MICROVERSION, type ResourceProvider, type Inventory } from './client';
