/** virtual:volume: Cinder volumes on registered pools, counted in GiB per pool. */
export { VirtualVolumePlugin, VIRTUAL_VOLUME } from './plugin';
export { noVolumeActions, type VolumeActions, type VolumeHookArgs } from './actions';
export { parseVolumeParams, updateVolumeParams, type VolumeReservationParams } from './params';
export { CinderVolumeActions, VOLUME_RESERVATION_KEY, reservationVolumeName, type CinderVolumeOptions, type OwnerTokens } from './cinder';
export { VolumePoolInventory } from './inventory';
