import { createClusterKey, encodeToken } from '@app/overlay';
import { parseClusterConfig } from './cluster-config';

const token = encodeToken({ key: createClusterKey(), bootstrap: [{ host: '192.0.2.1', port: 7946 }] });

describe(parseClusterConfig.name, () => {
  it('reads every key into the boot configuration', () => {
    expect(parseClusterConfig({ token, 'advertise-addr': '192.0.2.2', 'listen-port': 7000, bootstrap: ['192.0.2.254:49737'], name: 'h2' })).toEqual({
      token,
      advertiseAddr: '192.0.2.2',
      listenPort: 7000,
      bootstrap: ['192.0.2.254:49737'],
      name: 'h2',
    });
  });

  it('needs only the token and the advertise address', () => {
    expect(parseClusterConfig({ token, 'advertise-addr': '192.0.2.2' })).toMatchObject({ token, advertiseAddr: '192.0.2.2', listenPort: undefined, bootstrap: undefined });
  });

  it('accepts the timeouts alone, in seconds, for a membership made later through the API', () => {
    expect(parseClusterConfig({ 'node-timeout': 2.5, 'reclaim-timeout': 30 })).toEqual({ nodeTimeoutMs: 2500, reclaimTimeoutMs: 30_000 });
    expect(parseClusterConfig({ token, 'advertise-addr': '192.0.2.2', 'node-timeout': 3 })).toMatchObject({ token, nodeTimeoutMs: 3000, reclaimTimeoutMs: undefined });
  });

  it.each([
    { name: 'an empty object', value: {}, message: 'needs "token" (from `netctl cluster init`)' },
    { name: 'a zero node timeout', value: { 'node-timeout': 0 }, message: '"node-timeout" must be a number of seconds above 0 and at most 86400' },
    { name: 'a string reclaim timeout', value: { 'reclaim-timeout': '5m' }, message: '"reclaim-timeout" must be a number of seconds above 0 and at most 86400' },
    { name: 'a reclaim shorter than the node timeout', value: { 'node-timeout': 10, 'reclaim-timeout': 5 }, message: '"reclaim-timeout" must not be shorter than "node-timeout"' },
    { name: 'a non-object', value: 'x', message: 'must be an object' },
    { name: 'an unknown key', value: { token, 'advertise-addr': '192.0.2.2', peers: [] }, message: 'has unknown keys: peers' },
    { name: 'no token', value: { 'advertise-addr': '192.0.2.2' }, message: 'needs "token" (from `netctl cluster init`)' },
    { name: 'a garbage token', value: { token: 'nope', 'advertise-addr': '192.0.2.2' }, message: /^"token" is invalid: / },
    { name: 'an unspecified address', value: { token, 'advertise-addr': '0.0.0.0' }, message: 'needs "advertise-addr", a specific IPv4 address' },
    { name: 'an IPv6 address', value: { token, 'advertise-addr': '2001:db8::1' }, message: 'needs "advertise-addr", a specific IPv4 address' },
    { name: 'a bad port', value: { token, 'advertise-addr': '192.0.2.2', 'listen-port': 0 }, message: '"listen-port" must be an integer between 1 and 65535' },
    { name: 'a bad bootstrap entry', value: { token, 'advertise-addr': '192.0.2.2', bootstrap: ['example.org'] }, message: '"bootstrap" holds an invalid address "example.org": expected ip:port' },
    { name: 'a bad name', value: { token, 'advertise-addr': '192.0.2.2', name: '-x' }, message: '"name" must be a host-name-like string' },
  ])('rejects $name', ({ value, message }) => {
    expect(() => parseClusterConfig(value)).toThrow(message);
  });
});
