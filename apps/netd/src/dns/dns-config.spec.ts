import { loadConfig } from '../config/cli-args';
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
    ['a name as host-gateway-ip', { 'host-gateway-ip': 'gw.example' }, '"host-gateway-ip" must be an IP address'],
  ])('rejects %s', (_name, file, message) => {
    expect(() => resolveConfig(file, {})).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message: expect.stringContaining(message) }));
  });
  it('reads host-gateway-ip (no default: the default bridge gateway is used)', () => {
    expect(DEFAULTS.hostGatewayIp).toBeUndefined();
    expect(String(resolveConfig({ 'host-gateway-ip': '192.0.2.1' }, {}).hostGatewayIp)).toBe('192.0.2.1');
  });

  it('takes the DNS settings from flags too, over daemon.json', () => {
    const file = () => JSON.stringify({ 'dns-ttl': 30, 'host-gateway-ip': '192.0.2.1' });
    const c = loadConfig(['--dns-ttl', '0', '--embedded-dns-default-bridge', 'false', '--host-gateway-ip', '198.51.100.1'], file);
    expect([c.dnsTtl, c.embeddedDnsDefaultBridge, String(c.hostGatewayIp)]).toEqual([0, false, '198.51.100.1']);
    expect(() => loadConfig(['--embedded-dns-default-bridge', 'maybe'], file)).toThrow('"embedded-dns-default-bridge" must be true or false');
  });
});
