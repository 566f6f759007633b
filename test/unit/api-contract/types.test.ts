/**
 * The exported types are what handlers and views are written against; these checks fail `tsc` (npm run lint)
 * when a regeneration changes them in a way code relies on. The runtime assertions only keep jest meaningful.
 */
import type {
  BodyOperationId,
  Host,
  HostCreateBody,
  Lease,
  LeaseCreateBody,
  RequestBody,
  RequestQuery,
} from '../../../src/api/validation';

/** Compiles only when A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(value: T): T => value;

describe('exported API types', () => {
  it('map operations to their bodies and queries', () => {
    const checks = [
      assertType<Equal<RequestBody<'createLease'>, LeaseCreateBody>>(true),
      assertType<Equal<RequestBody<'createHost'>, HostCreateBody>>(true),
      assertType<Equal<RequestQuery<'listLeases'>['limit'], number | undefined>>(true),
      assertType<Equal<RequestQuery<'listHosts'>, Record<string, never>>>(true),
      assertType<
        Equal<BodyOperationId, 'createLease' | 'updateLease' | 'createHost' | 'updateHost' | 'updateHostProperty' | 'createFloatingIP'
          | 'createVolumePool' | 'updateVolumePool' | 'findLeaseSlots' | 'updateQuota' | 'patchQuota'>
      >(true),
      // Validated bodies carry their defaults, so handlers need no `?? []`.
      assertType<Equal<LeaseCreateBody['reservations'], Array<LeaseCreateBody['reservations'][number]>>>(true),
    ];
    expect(checks.every(Boolean)).toBe(true);
  });

  it('let views build hosts with extra capabilities and typed known fields', () => {
    const host: Host = {
      id: '1',
      hypervisor_hostname: 'compute-1',
      hypervisor_type: 'QEMU',
      hypervisor_version: 2011000,
      vcpus: 4,
      cpu_info: '{}',
      memory_mb: 8192,
      local_gb: 100,
      service_name: 'compute-1',
      availability_zone: 'nova',
      status: null,
      reservable: true,
      trust_id: null,
      extra_capability: { gpu: 'True' },
      created_at: '2030-01-02 12:00:00',
      updated_at: null,
      gpu: 'True',
    };
    const vcpus: number = host.vcpus;
    expect(vcpus + 1).toBe(5);
    const capabilities: Record<string, string> = host.extra_capability;
    expect(capabilities.gpu).toBe('True');
  });

  it('type lease statuses as the documented enum', () => {
    const status: Lease['status'] = 'ACTIVE';
    // @ts-expect-error lowercase is a reservation status, not a lease status
    const wrong: Lease['status'] = 'active';
    expect([status, wrong]).toEqual(['ACTIVE', 'active']);
  });
});
