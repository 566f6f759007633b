/** Keystone mode against a real Keystone issuing JWS tokens (ES256), checked locally with its public keys. */
import { keystoneScenario } from './scenario';

describe('keystone auth, jws token provider', () => keystoneScenario('jws'));
