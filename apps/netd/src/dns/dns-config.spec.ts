import { DEFAULTS, resolveConfig } from '../config/netd-config';

describe('DNS settings in daemon.json', () => {
  it('serves the default bridge and answers with a 10 s TTL by default', () => {
    expect([DEFAULTS.embeddedDnsDefaultBridge, DEFAULTS.dnsTtl]).toEqual([true, 10]);
  });

  it('reads embedded-dns-default-bridge, dns-ttl and dns', () => {
    const c = resolveConfig({ 'embedded-dns-default-bridge': false, 'dns-ttl': 0, dns: ['10.0.0.53'] }, {});
    expect([c.embeddedDnsDefaultBridge, c.dnsTtl, c.dns.map(String)]).toEqual([false, 0, ['10.0.0.53']]);
  });

  it.each([
    ['a non-boolean switch', { 'embedded-dns-default-bridge': 'no' }, '"embedded-dns-default-bridge" must be true or false'],
    ['a negative TTL', { 'dns-ttl': -1 }, '"dns-ttl" must be an integer between 0 and 86400'],
    ['a fractional TTL', { 'dns-ttl': 1.5 }, '"dns-ttl" must be an integer between 0 and 86400'],
    ['a name as upstream', { dns: ['dns.example'] }, '"dns" must hold IP addresses'],
  ])('rejects %s', (_name, file, message) => {
    expect(() => resolveConfig(file, {})).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message: expect.stringContaining(message) }));
  });
});
