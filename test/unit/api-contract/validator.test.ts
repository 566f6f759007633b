/**
 * Request validation against the bodies real clients send (blazar-v1-wire.md) and the 400 messages users see.
 */
import { InvalidInput } from '../../../src/common/errors';
import { createValidator, loadOpenApiDocument, pyRepr, type OperationId } from '../../../src/api/validation';

const validator = createValidator(loadOpenApiDocument());

/** The message of the InvalidInput the body raises (fails the test if it validates). */
function bodyError(operationId: OperationId, body: unknown): string {
  try {
    validator.validateBody(operationId, body);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInput);
    return (err as InvalidInput).message;
  }
  throw new Error(`expected ${JSON.stringify(body)} to be rejected`);
}

function queryError(operationId: OperationId, query: unknown): string {
  try {
    validator.validateQuery(operationId, query);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidInput);
    return (err as InvalidInput).message;
  }
  throw new Error(`expected ${JSON.stringify(query)} to be rejected`);
}

function without(body: object, key: string): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...body };
  delete copy[key];
  return copy;
}

/** Exactly what `openstack reservation lease create` sends for a host reservation. */
const cliCreateBody = {
  name: 'l1',
  start_date: '2030-01-01 12:00',
  end_date: '2030-01-02 12:00',
  reservations: [
    {
      resource_type: 'physical:host',
      min: 1,
      max: 2,
      hypervisor_properties: '[">=", "$vcpus", "2"]',
      resource_properties: '',
    },
  ],
  events: [],
  before_end_date: null,
};

const instanceReservation = {
  resource_type: 'virtual:instance',
  amount: 2,
  vcpus: 1,
  memory_mb: 1024,
  disk_gb: 10,
  affinity: 'None',
  resource_properties: '',
};

describe('createLease body', () => {
  it('accepts the exact CLI body and returns an equal copy', () => {
    const input = structuredClone(cliCreateBody);
    const body = validator.validateBody('createLease', input);
    expect(body).toEqual(cliCreateBody);
    expect(body).not.toBe(input);
  });

  it('accepts start_date "now" and a lease without reservations, defaulting them to []', () => {
    const input = { name: 'l2', start_date: 'now', end_date: '2030-01-02 12:00' };
    const body = validator.validateBody('createLease', input);
    expect(body.reservations).toEqual([]);
    expect(input).not.toHaveProperty('reservations');
  });

  it('accepts virtual:instance with affinity "None" from the CLI and a JSON boolean from Heat', () => {
    for (const affinity of ['None', 'True', 'False', true, false, null]) {
      const reservations = [{ ...instanceReservation, affinity }];
      expect(validator.validateBody('createLease', { ...cliCreateBody, reservations }).reservations[0].affinity).toBe(affinity);
    }
  });

  it('accepts a floating IP reservation', () => {
    const reservations = [
      {
        resource_type: 'virtual:floatingip',
        network_id: 'f4b9e4a0-5a0c-4c1e-9b8e-0a1b2c3d4e5f',
        amount: 1,
        required_floatingips: ['172.24.4.101'],
      },
    ];
    expect(validator.validateBody('createLease', { ...cliCreateBody, reservations }).reservations).toEqual(reservations);
  });

  it('accepts events dated with event_date (CLI) or time (Heat), and before_start_date', () => {
    const events = [
      { event_type: 'notification', event_date: '2030-01-01 18:00' },
      { event_type: 'notification', time: '2030-01-01 18:00' },
    ];
    const body = { ...cliCreateBody, events, before_end_date: '2030-01-02 11:00', before_start_date: '2030-01-01 11:00' };
    expect(validator.validateBody('createLease', body)).toEqual(body);
  });

  it('leaves date syntax and type-specific parameters to the service', () => {
    const reservations = [{ resource_type: 'physical:host', min: 'one' }];
    expect(() => validator.validateBody('createLease', { ...cliCreateBody, start_date: '2030-13-45', reservations })).not.toThrow();
  });

  it('names a missing required field', () => {
    expect(bodyError('createLease', without(cliCreateBody, 'end_date'))).toBe('Missing parameter end_date');
    expect(bodyError('createLease', without(cliCreateBody, 'name'))).toBe('Missing parameter name');
  });

  it('names a field of the wrong type, showing the value', () => {
    expect(bodyError('createLease', { ...cliCreateBody, end_date: 5 })).toBe(
      "Invalid input for field/attribute end_date. Value: 5. 5 is not of type 'string'",
    );
    expect(bodyError('createLease', { ...cliCreateBody, name: null })).toBe(
      "Invalid input for field/attribute name. Value: None. None is not of type 'string'",
    );
    expect(bodyError('createLease', { ...cliCreateBody, reservations: {} })).toBe(
      "Invalid input for field/attribute reservations. Value: {}. {} is not of type 'array'",
    );
  });

  it('lists every allowed type of a nullable field', () => {
    expect(bodyError('createLease', { ...cliCreateBody, start_date: 5 })).toBe(
      "Invalid input for field/attribute start_date. Value: 5. 5 is not of type 'string', 'null'",
    );
    expect(bodyError('createLease', { ...cliCreateBody, before_end_date: false })).toBe(
      "Invalid input for field/attribute before_end_date. Value: False. False is not of type 'string', 'null'",
    );
  });

  it('rejects unknown top-level keys, naming them', () => {
    expect(bodyError('createLease', { ...cliCreateBody, foo: 1 })).toBe('Unknown attribute foo in the request body');
  });

  it('uses indexed paths for nested fields', () => {
    const reservations = [cliCreateBody.reservations[0], { min: 1, max: 1 }];
    expect(bodyError('createLease', { ...cliCreateBody, reservations })).toBe('Missing parameter reservations[1].resource_type');
    expect(bodyError('createLease', { ...cliCreateBody, reservations: [{ resource_type: 5 }] })).toBe(
      "Invalid input for field/attribute reservations[0].resource_type. Value: 5. 5 is not of type 'string'",
    );
    expect(bodyError('createLease', { ...cliCreateBody, events: [{ event_type: 'notification' }] })).toBe(
      'Missing parameter events[0].event_date',
    );
    expect(bodyError('createLease', { ...cliCreateBody, events: [{ time: '2030-01-01 18:00' }] })).toBe(
      'Missing parameter events[0].event_type',
    );
  });

  it('checks the name length', () => {
    expect(bodyError('createLease', { ...cliCreateBody, name: '' })).toBe(
      "Invalid input for field/attribute name. Value: . '' is too short",
    );
    expect(bodyError('createLease', { ...cliCreateBody, name: 'x'.repeat(81) })).toBe(
      `Invalid input for field/attribute name. Value: ${'x'.repeat(81)}. '${'x'.repeat(81)}' is too long`,
    );
    expect(() => validator.validateBody('createLease', { ...cliCreateBody, name: 'x'.repeat(80) })).not.toThrow();
  });

  it('rejects a body that is not an object, or no body', () => {
    expect(bodyError('createLease', [])).toBe("Invalid input for the request body. Value: []. [] is not of type 'object'");
    expect(bodyError('createLease', 'l1')).toBe("Invalid input for the request body. Value: l1. 'l1' is not of type 'object'");
    expect(bodyError('createLease', undefined)).toBe('Missing request body');
  });

  it('answers 400 with the invalid_input code', () => {
    try {
      validator.validateBody('createLease', {});
      throw new Error('not rejected');
    } catch (err) {
      expect(err).toMatchObject({ status: 400, code: 'invalid_input' });
    }
  });
});

describe('updateLease body', () => {
  it('accepts the CLI update bodies', () => {
    const bodies = [
      { end_date: '2030-01-03 12:00' },
      { name: 'x', start_date: '2030-01-01 13:00' },
      { reservations: [{ id: '2b2b2b2b-0000-4000-8000-000000000001', max: 3, hypervisor_properties: '[">=", "$vcpus", "4"]' }] },
      { before_end_date: null },
      {},
    ];
    for (const body of bodies) expect(validator.validateBody('updateLease', body)).toEqual(body);
  });

  it('requires the id of each reservation to change', () => {
    expect(bodyError('updateLease', { reservations: [{ max: 3 }] })).toBe('Missing parameter reservations[0].id');
  });

  it('rejects relative changes the client is meant to compute', () => {
    expect(bodyError('updateLease', { prolong_for: '1d' })).toBe('Unknown attribute prolong_for in the request body');
  });

  it('does not allow a null end_date', () => {
    expect(bodyError('updateLease', { end_date: null })).toBe(
      "Invalid input for field/attribute end_date. Value: None. None is not of type 'string'",
    );
  });
});

describe('host bodies', () => {
  it('accepts a host with extra capabilities of any scalar type', () => {
    const body = { name: 'compute-1', gpu: 'True', cores: 4, fast: true, gone: null, vcpus: 8, hypervisor_version: 2011000 };
    expect(validator.validateBody('createHost', body)).toEqual(body);
  });

  it('requires the name and checks the known fields', () => {
    expect(bodyError('createHost', { gpu: 'True' })).toBe('Missing parameter name');
    // The CLI sends `--extra vcpus=2` as a string of digits: accepted; anything else is not.
    expect(() => validator.validateBody('createHost', { name: 'c', vcpus: '2' })).not.toThrow();
    expect(bodyError('createHost', { name: 'c', vcpus: 'two' })).toMatch(/^Invalid input for field\/attribute vcpus\./);
    expect(bodyError('createHost', { name: 'c', memory_mb: -1 })).toBe(
      'Invalid input for field/attribute memory_mb. Value: -1. -1 is less than the minimum of 0',
    );
  });

  it('rejects extra capabilities that are not scalars', () => {
    expect(bodyError('createHost', { name: 'c', gpu: { model: 'x' } })).toBe(
      "Invalid input for field/attribute gpu. Value: {'model': 'x'}. {'model': 'x'} is not of type 'string', 'number', 'boolean', 'null'",
    );
    expect(bodyError('updateHost', { gpu: ['a'] })).toBe(
      "Invalid input for field/attribute gpu. Value: ['a']. ['a'] is not of type 'string', 'number', 'boolean', 'null'",
    );
  });

  it('answers Blazar\'s message for capability keys over 64 characters', () => {
    expect(bodyError('createHost', { name: 'c', ['k'.repeat(65)]: 'v' })).toBe('Extra capability key too long');
    expect(bodyError('updateHost', { ['k'.repeat(65)]: 'v' })).toBe('Extra capability key too long');
    expect(() => validator.validateBody('updateHost', { ['k'.repeat(64)]: 'v' })).not.toThrow();
  });

  it('accepts PUT bodies setting and removing capabilities', () => {
    expect(validator.validateBody('updateHost', { gpu: 'False' })).toEqual({ gpu: 'False' });
    expect(validator.validateBody('updateHost', { gpu: null })).toEqual({ gpu: null });
  });

  it('validates property updates', () => {
    expect(validator.validateBody('updateHostProperty', { private: true })).toEqual({ private: true });
    expect(bodyError('updateHostProperty', {})).toBe('Missing parameter private');
    expect(bodyError('updateHostProperty', { private: 'yes' })).toBe(
      "Invalid input for field/attribute private. Value: yes. 'yes' is not of type 'boolean'",
    );
    expect(bodyError('updateHostProperty', { private: true, public: false })).toBe('Unknown attribute public in the request body');
  });
});

describe('createFloatingIP body', () => {
  const network = 'f4b9e4a0-5a0c-4c1e-9b8e-0a1b2c3d4e5f';

  it('accepts IPv4 and IPv6 addresses', () => {
    for (const address of ['172.24.4.101', '2001:db8::10']) {
      const body = { floating_network_id: network, floating_ip_address: address };
      expect(validator.validateBody('createFloatingIP', body)).toEqual(body);
    }
  });

  it('rejects malformed addresses and network ids', () => {
    expect(bodyError('createFloatingIP', { floating_network_id: network, floating_ip_address: '172.24.4' })).toBe(
      "Invalid input for field/attribute floating_ip_address. Value: 172.24.4. '172.24.4' is not a 'ip-address'",
    );
    expect(bodyError('createFloatingIP', { floating_network_id: 'public', floating_ip_address: '172.24.4.1' })).toMatch(
      /^Invalid input for field\/attribute floating_network_id\. Value: public\. 'public' does not match '/,
    );
    expect(bodyError('createFloatingIP', { floating_ip_address: '172.24.4.1' })).toBe('Missing parameter floating_network_id');
  });
});

describe('query validation', () => {
  it('converts integers and keeps only declared parameters', () => {
    const query = validator.validateQuery('listLeases', { limit: '10', marker: 'abc', status: 'ACTIVE', bogus: 'x' });
    expect(query).toEqual({ limit: 10, marker: 'abc', status: 'ACTIVE' });
  });

  it('names bad parameters', () => {
    expect(queryError('listLeases', { limit: '0' })).toBe('Invalid input for field/attribute limit. Value: 0. 0 is less than the minimum of 1');
    expect(queryError('listLeases', { limit: 'ten' })).toBe(
      "Invalid input for field/attribute limit. Value: ten. 'ten' is not of type 'integer'",
    );
    expect(queryError('listLeases', { limit: '1.5' })).toBe(
      "Invalid input for field/attribute limit. Value: 1.5. '1.5' is not of type 'integer'",
    );
    expect(queryError('listLeases', { status: 'RUNNING' })).toMatch(
      /^Invalid input for field\/attribute status\. Value: RUNNING\. 'RUNNING' is not one of \['PENDING', 'ACTIVE', /,
    );
    expect(queryError('listLeases', { name: ['a', 'b'] })).toBe(
      "Invalid input for field/attribute name. Value: ['a', 'b']. ['a', 'b'] is not of type 'string'",
    );
  });

  it('passes the flag strings of the properties list through', () => {
    expect(validator.validateQuery('listHostProperties', { detail: 'True', all: '1' })).toEqual({ detail: 'True', all: '1' });
    expect(validator.validateQuery('listHostAllocations', { lease_id: 'l1' })).toEqual({ lease_id: 'l1' });
  });

  it('returns an empty object for operations without query parameters', () => {
    expect(validator.validateQuery('listHosts', { anything: 'x' })).toEqual({});
    expect(validator.validateQuery('showLease', undefined)).toEqual({});
  });
});

describe('validator misuse', () => {
  it('throws a plain Error (a bug, not a 400) for unknown operations and bodies of body-less operations', () => {
    expect(() => validator.validateBody('nope' as OperationId, {})).toThrow('unknown operationId nope');
    expect(() => validator.validateBody('showLease', {})).toThrow('operation showLease has no request body');
    expect(() => validator.validateBody('showLease', {})).not.toThrow(InvalidInput);
  });

  it('describes operations', () => {
    expect(validator.operation('listLeases')).toEqual({
      operationId: 'listLeases',
      method: 'get',
      path: '/v1/leases',
      hasBody: false,
      queryParameters: ['status', 'name', 'project_id', 'limit', 'marker'],
    });
    expect(validator.operation('nope')).toBeUndefined();
  });
});

describe('pyRepr', () => {
  it('prints JSON values the way Python does', () => {
    expect(pyRepr(null)).toBe('None');
    expect(pyRepr(true)).toBe('True');
    expect(pyRepr('a')).toBe("'a'");
    expect(pyRepr("it's")).toBe('"it\'s"');
    expect(pyRepr('both \' and "')).toBe("'both \\' and \"'");
    expect(pyRepr([1, 'x', { k: null }])).toBe("[1, 'x', {'k': None}]");
  });
});
