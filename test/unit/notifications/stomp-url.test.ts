import { configWith, redactConfig } from '../../../src/config';
import { parseStompUrls, TransportUrlError } from '../../../src/notifications/stomp/url';

describe('parseStompUrls ([notifications] transport_url)', () => {
  it('reads host, port, credentials and virtual host', () => {
    expect(parseStompUrls('stomp://climate:s3cret@broker:61614/')).toEqual([{
      host: 'broker', port: 61614, login: 'climate', passcode: 's3cret', vhost: '/', tls: false, heartbeatMs: undefined, label: 'broker:61614',
    }]);
    expect(parseStompUrls('stomp://broker')[0]).toMatchObject({ port: 61613, login: '', passcode: '', vhost: '/' });
    expect(parseStompUrls('stomp+ssl://u:p@broker/openstack')[0]).toMatchObject({ tls: true, vhost: 'openstack', label: 'broker:61613 (vhost openstack)' });
  });

  it('decodes percent-encoded user, password and vhost', () => {
    expect(parseStompUrls('stomp://us%40er:p%40ss%2Cword@b:1/v%2Fh')[0]).toMatchObject({ login: 'us@er', passcode: 'p@ss,word', vhost: 'v/h' });
  });

  it('takes several comma-separated URLs for failover, in order', () => {
    const brokers = parseStompUrls('stomp://u:p@b1:61613/, stomp://u:p@b2:61613/ ,');
    expect(brokers.map((b) => b.host)).toEqual(['b1', 'b2']);
  });

  it('reads the heart-beat interval in seconds', () => {
    expect(parseStompUrls('stomp://b/?heartbeat=2.5')[0].heartbeatMs).toBe(2500);
    expect(parseStompUrls('stomp://b/?heartbeat=0')[0].heartbeatMs).toBe(0);
  });

  it.each([
    ['', 'is empty'],
    ['http://b:61613', 'scheme "http"'],
    ['broker:61613', 'scheme "broker"'],
    ['not a url', 'is not a URL'],
    ['stomp://b/?heartbeat=soon', 'heartbeat'],
    ['stomp://b/?hb=1', 'unknown parameter "hb"'],
    ['stomp://u:p@b1/,ftp://b2', 'URL 2 of 2 has scheme "ftp"'],
  ])('rejects %j', (text, message) => {
    expect(() => parseStompUrls(text)).toThrow(TransportUrlError);
    expect(() => parseStompUrls(text)).toThrow(message);
  });

  it('never puts the password in an error or a label', () => {
    let error: Error | undefined;
    try { parseStompUrls('stomp://u:TOPSECRET@b/?x=1'); } catch (e) { error = e as Error; }
    expect(error?.message).not.toContain('TOPSECRET');
    expect(JSON.stringify(parseStompUrls('stomp://u:TOPSECRET@b/').map((b) => b.label))).not.toContain('TOPSECRET');
  });
});

describe('redactConfig with failover lists', () => {
  it('hides the password of every broker of [notifications] and [provisioner] transport_url', () => {
    const list = 'stomp://a:PASS1@b1:61613/,stomp://a:PASS2@b2:61613/';
    const redacted = redactConfig(configWith({ notifications: { transportUrl: list }, provisioner: { transportUrl: list } }));
    expect(redacted.notifications.transportUrl).toBe('stomp://a:***@b1:61613/,stomp://a:***@b2:61613/');
    expect(redacted.provisioner.transportUrl).toBe('stomp://a:***@b1:61613/,stomp://a:***@b2:61613/');
  });
});
