import { compileFilterSql, parseFilter } from '../../../src/plugins/filter';

function compile(text: string, alias = 'h') {
  return compileFilterSql(parseFilter(text, 'hypervisor_properties'), alias);
}

const placeholders = (sql: string): number => (sql.match(/\?/g) ?? []).length;

describe('compileFilterSql', () => {
  it('compiles no filter to a tautology', () => {
    expect(compileFilterSql(null, 'h')).toEqual({ sql: '(1 = 1)', params: [] });
  });

  it('guards host columns against NULL and binds the value', () => {
    expect(compile('[">=", "$vcpus", "2"]')).toEqual({ sql: '(h.vcpus IS NOT NULL AND h.vcpus >= ?)', params: [2] });
    expect(compile('["!=", "$availability_zone", 5]', 'hosts')).toEqual({
      sql: '(hosts.availability_zone IS NOT NULL AND hosts.availability_zone <> ?)',
      params: ['5'],
    });
  });

  it('uses a correlated EXISTS for extra capabilities, numeric-or-text for numbers', () => {
    const { sql, params } = compile('[">=", "$ram", "4"]');
    expect(sql).toBe(
      'EXISTS (SELECT 1 FROM host_extra_capabilities c JOIN resource_properties p ON p.id = c.property_id ' +
        'WHERE c.host_id = h.id AND p.property_name = ? AND ((c.capability_number IS NOT NULL AND c.capability_number >= ?) ' +
        'OR (c.capability_number IS NULL AND c.capability_value >= ?)))',
    );
    expect(params).toEqual(['ram', 4, '4']);
  });

  it('compares booleans case-insensitively through LOWER', () => {
    expect(compile('["==", "$gpu", true]').sql).toContain('LOWER(c.capability_value) = ?');
    expect(compile('["==", "$gpu", true]').params).toEqual(['gpu', 'true']);
  });

  it('binds integers only for integer columns, rounding non-integer bounds', () => {
    expect(compile('[">", "$vcpus", 2.5]').params).toEqual([2]);
    expect(compile('[">=", "$vcpus", "2.5"]').params).toEqual([3]);
    expect(compile('["==", "$vcpus", 2.5]').sql).toBe('(1 = 0)');
    expect(compile('["!=", "$vcpus", 2.5]')).toEqual({ sql: '(h.vcpus IS NOT NULL)', params: [] });
    expect(compile('["<", "$memory_mb", 1e300]')).toEqual({ sql: '(h.memory_mb IS NOT NULL)', params: [] });
    expect(compile('[">", "$memory_mb", 1e300]').sql).toBe('(1 = 0)');
  });

  it('compiles in, not, and, or with parameters in placeholder order', () => {
    const { sql, params } = compile('["and", ["in", "$status", "free", "active"], ["not", ["or", ["==", "$gpu", "x"], ["<", "$vcpus", 8]]]]');
    expect(sql).toBe(
      '((h.status IS NOT NULL AND (h.status = ? OR h.status = ?)) AND (NOT (EXISTS (SELECT 1 FROM host_extra_capabilities c ' +
        'JOIN resource_properties p ON p.id = c.property_id WHERE c.host_id = h.id AND p.property_name = ? AND c.capability_value = ?) ' +
        'OR (h.vcpus IS NOT NULL AND h.vcpus < ?))))',
    );
    expect(params).toEqual(['free', 'active', 'gpu', 'x', 8]);
  });

  it('never puts values or property names into the SQL text', () => {
    const evil = "x' OR '1'='1; DROP TABLE hosts; --";
    const { sql, params } = compile(JSON.stringify(['or', ['==', `$${evil}`, evil], ['in', '$hypervisor_hostname', evil, 'a']]));
    expect(sql).not.toContain("'");
    expect(sql).not.toContain('DROP');
    expect(params).toEqual([evil, evil, evil, 'a']);
    expect(placeholders(sql)).toBe(params.length);
  });

  it('binds a boolean for reservable', () => {
    expect(compile('["==", "$reservable", "True"]')).toEqual({ sql: '(h.reservable IS NOT NULL AND h.reservable = ?)', params: [true] });
  });

  it.each(['h; DROP TABLE x', '1h', '', 'c', 'P', 'a.b'])('rejects the host alias %p', (alias) => {
    expect(() => compileFilterSql(null, alias)).toThrow('unusable host alias');
  });
});
