import { hostsOf, parseNotificationBody, templateValues } from '../../../src/provisioner';
import { wrapOsloV2 } from '../../../src/notifications';

const headsUp = {
  message_id: 'm1', publisher_id: 'climate.lease', event_type: 'lease.event.before_start_lease', priority: 'INFO' as const,
  timestamp: '2030-01-01 11:50:00.000000',
  payload: {
    id: 'L1', name: 'night', project_id: 'p1', user_id: 'u1', start_date: '2030-01-01T12:00:00.000000', end_date: '2030-01-01T14:00:00.000000',
    seconds_until_start: 600,
    resources: [
      { reservation_id: 'R1', resource_type: 'physical:host', hosts: [{ id: '1', hypervisor_hostname: 'h1', bmc_address: '10.0.0.5', gpus: 2, lease_id: 'spoof' }] },
      { reservation_id: 'R2', resource_type: 'virtual:instance' },
    ],
  },
};

describe('reading notifications in the provisioner', () => {
  it('unwraps the oslo.messaging v2 envelope, or takes a bare notification', () => {
    expect(parseNotificationBody(wrapOsloV2(headsUp))).toMatchObject({ message_id: 'm1', event_type: 'lease.event.before_start_lease' });
    expect(parseNotificationBody(JSON.stringify(headsUp)).payload.id).toBe('L1');
    expect(() => parseNotificationBody('{"hello": 1}')).toThrow(/not an OpenStack notification/);
    expect(() => parseNotificationBody('not json')).toThrow();
  });

  it('lists the hosts of host reservations only, or null without resources', () => {
    expect(hostsOf(headsUp.payload)).toEqual([{ reservationId: 'R1', host: headsUp.payload.resources[0].hosts![0] }]);
    expect(hostsOf({ id: 'L1' })).toBeNull();
  });

  it('gives the template the host fields and the lease fields, the lease winning a clash', () => {
    const n = parseNotificationBody(wrapOsloV2(headsUp));
    const [target] = hostsOf(n.payload)!;
    expect(templateValues(n, target)).toEqual({
      id: '1', hypervisor_hostname: 'h1', bmc_address: '10.0.0.5', gpus: 2, lease_id: 'L1', lease_name: 'night', project_id: 'p1',
      user_id: 'u1', start_date: '2030-01-01T12:00:00.000000', end_date: '2030-01-01T14:00:00.000000', reservation_id: 'R1',
      event_type: 'lease.event.before_start_lease', seconds_until_start: 600,
    });
  });
});
