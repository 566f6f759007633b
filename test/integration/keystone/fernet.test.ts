/** Keystone mode against a real Keystone issuing Fernet tokens (only Keystone can read them). */
import { keystoneScenario } from './scenario';

describe('keystone auth, fernet token provider', () => keystoneScenario('fernet'));
