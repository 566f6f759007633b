/**
 * Hand-picked cases with known answers, each run through both the SQL compiler (on SQLite) and
 * evaluateFilter, so a wrong rule fails here even if both sides agree on it.
 */
import { parseFilter } from '../../../src/plugins/filter';
import type { TestHost } from './sqlite-harness';
import { FilterDb } from './sqlite-harness';

const HOSTS: TestHost[] = [
  { id: 1, hypervisor_hostname: 'alpha', vcpus: 4, memory_mb: 8192, availability_zone: 'az1', reservable: true, extras: { ram: '16', gpu: 'True', score: '2.5', ver: '1a' } },
  { id: 2, hypervisor_hostname: 'beta', vcpus: 16, memory_mb: 4096, availability_zone: 'AZ1', reservable: false, extras: { ram: '4', gpu: 'false', score: '-3', ver: '2.0.1' } },
  { id: 3, hypervisor_hostname: 'gamma', vcpus: 2, memory_mb: null, availability_zone: null, reservable: true, extras: { ram: 'lots', score: '10' } },
  { id: 4, hypervisor_hostname: '16', vcpus: null, memory_mb: 1024, availability_zone: 'az2', reservable: true, extras: { gpu: 'TRUE', score: 'abc' } },
];

let db: FilterDb;
beforeAll(async () => {
  db = await FilterDb.open(HOSTS);
});
afterAll(() => db.close());

/** Ids matched by `filter`, after checking that SQL and JS agree. */
async function matching(filter: unknown): Promise<number[]> {
  const expr = parseFilter(typeof filter === 'string' ? filter : JSON.stringify(filter), 'resource_properties');
  const sql = await db.sqlMatches(expr);
  expect(db.jsMatches(expr)).toEqual(sql);
  return sql;
}

describe('filter semantics (SQL and JS)', () => {
  it.each<[string, unknown, number[]]>([
    ['no filter matches every host', '', [1, 2, 3, 4]],
    ['numeric column, numeric string literal', ['>=', '$vcpus', '4'], [1, 2]],
    // Host 3's "lots" is not a number, so it is compared as text with "4" ("l" sorts after "4").
    ['numeric strings compare as numbers ("16" >= "4")', ['>=', '$ram', '4'], [1, 2, 3]],
    ['numeric strings compare as numbers ("4" < "16")', ['<', '$ram', '16'], [2]],
    ['typed number literal', ['>', '$ram', 4], [1, 3]],
    ['non-numeric capability compares as text with the literal', ['>', '$ram', '5'], [1, 3]],
    ['decimals and negatives', ['<', '$score', 2.6], [1, 2]],
    ['non-numeric literal compares as text', ['==', '$score', 'abc'], [4]],
    // "1a" is not a number, so it is compared with the literal's own spelling "1e3", not with "1000".
    ['text comparison uses the literal as written', ['<', '$ver', '1e3'], [1]],
    ['missing capability never matches, even !=', ['!=', '$gpu', 'True'], [2, 4]],
    ['not negates the whole expression, so hosts without the key match', ['not', ['==', '$gpu', 'True']], [2, 3, 4]],
    ['boolean literal matches case-insensitively', ['==', '$gpu', true], [1, 4]],
    ['boolean false literal', ['==', '$gpu', false], [2]],
    ['string literal "true" matches exactly', ['==', '$gpu', 'True'], [1]],
    ['NULL column matches nothing, even !=', ['!=', '$memory_mb', 1024], [1, 2]],
    ['not over a NULL column matches it', ['not', ['==', '$memory_mb', 1024]], [1, 2, 3]],
    ['text columns are case-sensitive', ['==', '$availability_zone', 'az1'], [1]],
    ['number literal against a text column compares its text', ['==', '$hypervisor_hostname', 16], [4]],
    ['non-integer bound on an integer column (>)', ['>', '$vcpus', 2.5], [1, 2]],
    ['non-integer bound on an integer column (>=)', ['>=', '$vcpus', 2.5], [1, 2]],
    ['non-integer bound on an integer column (<)', ['<', '$vcpus', 2.5], [3]],
    ['non-integer bound on an integer column (<=)', ['<=', '$vcpus', '3.9'], [3]],
    ['huge bound on an integer column', ['<', '$vcpus', 1e300], [1, 2, 3]],
    ['!= a non-integer holds for every integer present', ['!=', '$vcpus', 2.5], [1, 2, 3]],
    ['equality with a non-integer never holds for integers', ['==', '$vcpus', 4.0000001], []],
    ['"=" is "=="', ['=', '$vcpus', 16], [2]],
    ['in over a column', ['in', '$hypervisor_hostname', 'alpha', 'gamma', 'zeta'], [1, 3]],
    ['in over a capability mixing numbers and text', ['in', '$ram', 16, 'lots'], [1, 3]],
    ['reservable with a boolean', ['==', '$reservable', true], [1, 3, 4]],
    ['reservable with "False"', ['==', '$reservable', 'False'], [2]],
    ['or', ['or', ['<', '$vcpus', 3], ['==', '$gpu', 'false']], [2, 3]],
    ['and', ['and', ['>=', '$memory_mb', 2000], ['==', '$reservable', true]], [1]],
    ['unknown capability matches nothing', ['==', '$nothing', 'x'], []],
    ['not of an unknown capability matches everything', ['not', ['==', '$nothing', 'x']], [1, 2, 3, 4]],
  ])('%s', async (_name, filter, expected) => {
    expect(await matching(filter)).toEqual(expected);
  });

  it('a capability named like an Object.prototype member is just a missing key', async () => {
    expect(await matching(['not', ['==', '$constructor', 'x']])).toEqual([1, 2, 3, 4]);
  });
});
