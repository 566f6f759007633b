import { configError, loadText, tempDir } from './helpers';

const dir = tempDir();

/** The message of the error loading `[section] option = value` gives, without the "(at file:line)" suffix. */
function problem(section: string, option: string, value: string): string {
  const err = configError(() => loadText(dir, `[${section}]\n${option} = ${value}\n`));
  return err.message.replace(/ \(at .*\)$/, '');
}

describe('value conversion', () => {
  describe('int', () => {
    it.each([
      ['8080', 8080],
      [' +42 ', 42],
      ['1', 1],
      ['65535', 65535],
    ])('reads %j', (text, expected) => {
      expect(loadText(dir, `[DEFAULT]\nport = ${text}\n`).default.port).toBe(expected);
    });

    it('rejects a number below the minimum', () => {
      expect(problem('DEFAULT', 'cleaning_time', '-5')).toBe('[DEFAULT] cleaning_time: -5 is less than the minimum 0');
    });

    it.each(['abc', '1.5', '', '12abc', '1e3', '99999999999999999999'])('rejects %j', (text) => {
      expect(problem('DEFAULT', 'port', text)).toBe(`[DEFAULT] port: ${JSON.stringify(text)} is not an integer`);
    });

    it('checks the minimum and maximum', () => {
      expect(problem('DEFAULT', 'port', '0')).toBe('[DEFAULT] port: 0 is less than the minimum 1');
      expect(problem('DEFAULT', 'port', '70000')).toBe('[DEFAULT] port: 70000 is greater than the maximum 65535');
    });
  });

  describe('float', () => {
    it.each([
      ['0.5', 500],
      ['2', 2000],
      ['.25', 250],
      ['1e-1', 100],
    ])('reads %j seconds as milliseconds', (text, ms) => {
      expect(loadText(dir, `[manager]\npoll_interval = ${text}\n`).manager.pollIntervalMs).toBe(ms);
    });

    it.each(['fast', '1,5', '', 'Infinity', 'NaN'])('rejects %j', (text) => {
      expect(problem('manager', 'poll_interval', text)).toBe(`[manager] poll_interval: ${JSON.stringify(text)} is not a number`);
    });

    it('checks the minimum', () => {
      expect(problem('manager', 'poll_interval', '0')).toBe('[manager] poll_interval: 0 is less than the minimum 0.01');
      expect(problem('manager', 'event_retry_delay', '-1')).toBe('[manager] event_retry_delay: -1 is less than the minimum 0');
    });
  });

  describe('bool', () => {
    it.each(['true', 'TRUE', 'Yes', 'on', '1'])('reads %j as true', (text) => {
      expect(loadText(dir, `[DEFAULT]\ndebug = ${text}\n`).default.debug).toBe(true);
    });

    it.each(['false', 'False', 'NO', 'off', '0'])('reads %j as false', (text) => {
      expect(loadText(dir, `[database]\nauto_migrate = ${text}\n`).database.autoMigrate).toBe(false);
    });

    it.each(['maybe', '', 'y', '2'])('rejects %j', (text) => {
      expect(problem('DEFAULT', 'debug', text)).toBe(
        `[DEFAULT] debug: ${JSON.stringify(text)} is not a boolean (use true/false, yes/no, on/off or 1/0)`,
      );
    });
  });

  describe('list', () => {
    it('splits on commas, trims items and drops empty ones', () => {
      expect(loadText(dir, '[DEFAULT]\nnoauth_roles = admin, member ,, reader,\n').default.noauth.roles).toEqual([
        'admin',
        'member',
        'reader',
      ]);
    });

    it('reads an empty value as an empty list', () => {
      expect(loadText(dir, '[notifications]\ntopics =\n').notifications.topics).toEqual([]);
    });

    it('accepts items spread over continuation lines', () => {
      expect(loadText(dir, '[manager]\nplugins =\n  physical:host\n  virtual:instance\n').manager.plugins).toEqual([
        'physical:host',
        'virtual:instance',
      ]);
    });
  });

  describe('enum', () => {
    it('accepts a choice', () => {
      expect(loadText(dir, '[compute]\ndriver = nova\n').compute.driver).toBe('nova');
      expect(loadText(dir, '[DEFAULT]\nlog_format = json\n').default.logFormat).toBe('json');
    });

    it('rejects anything else, listing the choices; matching is case-sensitive', () => {
      expect(problem('compute', 'driver', 'foo')).toBe('[compute] driver: "foo" is not one of none, nova');
      expect(problem('DEFAULT', 'auth_strategy', 'Keystone')).toBe(
        '[DEFAULT] auth_strategy: "Keystone" is not one of noauth, keystone',
      );
    });
  });

  describe('url', () => {
    it('accepts an empty value (not set) and a URL with an allowed scheme', () => {
      expect(loadText(dir, '[keystone_authtoken]\nauth_url =\n').keystoneAuthtoken.authUrl).toBe('');
      expect(loadText(dir, '[keystone_authtoken]\nauth_url = https://ks:5000/v3\n').keystoneAuthtoken.authUrl).toBe(
        'https://ks:5000/v3',
      );
    });

    it('rejects a value that is not a URL', () => {
      expect(problem('keystone_authtoken', 'auth_url', 'keystone:5000')).toBe(
        '[keystone_authtoken] auth_url: "keystone:5000" has scheme "keystone", expected one of http, https',
      );
      expect(problem('keystone_authtoken', 'auth_url', 'not a url')).toBe('[keystone_authtoken] auth_url: "not a url" is not a URL');
    });

    it('never echoes the value of a secret option', () => {
      const message = problem('notifications', 'transport_url', 'hunter2 secret');
      expect(message).toBe('[notifications] transport_url: the value (hidden, secret option) is not a URL');
    });

    it('rejects a database URL it cannot use, without repeating it', () => {
      const message = problem('database', 'connection', 'oracle://scott:tiger@db/orcl');
      expect(message).toBe(
        '[database] connection: Oracle (oracle://) is not supported: Climate runs on SQLite (sqlite:///path/to/file), '
          + 'MySQL/MariaDB (mysql://user:password@host:port/database) or PostgreSQL (postgresql://user:password@host:port/database)',
      );
      expect(message).not.toContain('tiger');
    });
  });

  it('keeps string values as written (trimmed)', () => {
    expect(loadText(dir, '[DEFAULT]\nhost =   ::1  \n').default.host).toBe('::1');
    expect(loadText(dir, '[keystone_authtoken]\npassword = p@ss:w=rd#1\n').keystoneAuthtoken.password).toBe('p@ss:w=rd#1');
  });
});
