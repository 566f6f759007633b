/**
 * validateRequest wired into express 5 the way the API module uses it: JSON parser, validation, handler, and an
 * error handler rendering ClimateError as Blazar's error body.
 */
import express, { type ErrorRequestHandler } from 'express';
import request from 'supertest';
import { ClimateError } from '../../../src/common/errors';
import {
  createValidator,
  defaultValidator,
  loadOpenApiDocument,
  validatedRequest,
  validateRequest,
} from '../../../src/api/validation';

const validator = createValidator(loadOpenApiDocument());

const renderErrors: ErrorRequestHandler = (err, _req, res, _next) => {
  const status = err instanceof ClimateError ? err.status : 500;
  res.status(status).json({ error_code: status, error_message: err instanceof Error ? err.message : String(err), error_name: status });
};

function app(): express.Express {
  const a = express();
  a.use(express.json());
  a.post('/v1/leases', validateRequest('createLease', validator), (_req, res) => {
    const { body } = validatedRequest(res, 'createLease');
    res.status(201).json({ lease: { name: body.name, reservations: body.reservations } });
  });
  a.get('/v1/leases', validateRequest('listLeases', validator), (_req, res) => {
    const { query } = validatedRequest(res, 'listLeases');
    res.json({ limit: query.limit ?? null, typeofLimit: typeof query.limit });
  });
  a.get('/v1/os-hosts', validateRequest('listHosts', validator), (_req, res) => {
    // Asking for another operation's values is a routing bug and must not pass silently.
    validatedRequest(res, 'createLease');
    res.json({ hosts: [] });
  });
  a.use(renderErrors);
  return a;
}

describe('validateRequest', () => {
  it('hands the validated body, with defaults, to the handler', async () => {
    const res = await request(app()).post('/v1/leases').send({ name: 'l1', end_date: '2030-01-02 12:00' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ lease: { name: 'l1', reservations: [] } });
  });

  it('answers 400 with the Blazar error body', async () => {
    const res = await request(app()).post('/v1/leases').send({ name: 'l1' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error_code: 400, error_message: 'Missing parameter end_date', error_name: 400 });
  });

  it('answers 400 for a request without a JSON body', async () => {
    const res = await request(app()).post('/v1/leases');
    expect(res.status).toBe(400);
    expect(res.body.error_message).toBe('Missing request body');
  });

  it('converts query integers and rejects bad ones', async () => {
    const ok = await request(app()).get('/v1/leases?limit=5&other=1');
    expect(ok.body).toEqual({ limit: 5, typeofLimit: 'number' });
    const bad = await request(app()).get('/v1/leases?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.body.error_message).toBe('Invalid input for field/attribute limit. Value: 0. 0 is less than the minimum of 1');
  });

  it('refuses to read values validated for another operation', async () => {
    const res = await request(app()).get('/v1/os-hosts');
    expect(res.status).toBe(500);
    expect(res.body.error_message).toBe("validateRequest('createLease') did not run for this request");
  });

  it('fails at route registration for an unknown operationId', () => {
    expect(() => validateRequest('nope' as 'listLeases', validator)).toThrow('validateRequest: unknown operationId nope');
  });

  it('loads the document once for the default validator', () => {
    expect(defaultValidator()).toBe(defaultValidator());
    expect(typeof validateRequest('showLease')).toBe('function');
  });
});
