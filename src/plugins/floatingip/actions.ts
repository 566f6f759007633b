import type { HookArgs } from '../types';

/** One floating IP a reservation holds, as the event hooks get it. */
export interface HeldFloatingIp {
  floatingNetworkId: string;
  floatingIpAddress: string;
}

/** What a virtual:floatingip reservation does in the cloud at its lease's events (nothing with [compute] driver = none). */
export interface FloatingIpActions {
  onStart(args: HookArgs & { floatingIps: HeldFloatingIp[] }): Promise<void>;
  onEnd(args: HookArgs & { floatingIps: HeldFloatingIp[] }): Promise<void>;
}

/** [compute] driver = none: the reservation is an address calendar only. */
export const noFloatingIpActions: FloatingIpActions = {
  async onStart() {},
  async onEnd() {},
};
