import { loadConfig } from './cli-args';
import { DEFAULTS, resolveConfig } from './netd-config';

describe('resolveConfig', () => {
  it('uses the defaults', () => {
    expect(resolveConfig({}, {})).toEqual(DEFAULTS);
  });

  it('takes sockets from the service manager as fd://, fd://N and fd://NAME', () => {
    expect(resolveConfig({ hosts: ['fd://', 'fd://3', 'fd://netd.socket'] }, {}).hosts).toEqual([
      { kind: 'fd', spec: '' }, { kind: 'fd', spec: '3' }, { kind: 'fd', spec: 'netd.socket' },
    ]);
  });

  it('lets flags override the config file', () => {
    const c = resolveConfig({ 'data-root': '/a', mtu: 1400 }, { 'data-root': '/b' });
    expect(c.dataRoot).toBe('/b');
    expect(c.mtu).toBe(1400);
  });

  it.each([
    ['unknown key', { bogus: 1 }, 'daemon.json: unknown key "bogus"'],
    ['bad mtu', { mtu: 'big' }, '"mtu" must be an integer between 68 and 65535'],
    ['relative data root', { 'data-root': 'var/lib' }, '"data-root" must be an absolute path'],
    ['bad bip', { bip: '172.17.0.0/16' }, '"bip" must be an IPv4 address with prefix length'],
    ['bad pool', { 'default-address-pools': [{ base: '10.0.0.0/8', size: 4 }] }, '[0].size must be an integer between 8 and 32'],
    ['bad host', { hosts: ['http://x'] }, 'expected unix://PATH, tcp://HOST:PORT or fd://'],
    ['bad fd host', { hosts: ['fd://a/b'] }, 'expected fd://, fd://N or fd://NAME'],
    ['bad log level', { 'log-level': 'loud' }, '"log-level" must be one of'],
    ['long bridge name', { bridge: 'a-very-long-bridge-name' }, '"bridge" must be an interface name'],
    ['plaintext tcp', { hosts: ['tcp://127.0.0.1:2375'] }, 'plaintext TCP is refused'],
    ['insecure tcp off loopback', { hosts: ['tcp://0.0.0.0:2375'], 'insecure-tcp': true }, '--insecure-tcp is allowed only on a loopback address'],
    ['tlsverify without files', { hosts: ['tcp://0.0.0.0:2376'], tlsverify: true }, '--tlsverify needs "tlscacert"'],
    ['metrics-addr without a port', { 'metrics-addr': '127.0.0.1' }, '"metrics-addr" must be HOST:PORT'],
    ['metrics-addr with a host name', { 'metrics-addr': 'example.com:9323' }, '"metrics-addr" must be HOST:PORT with an IP address'],
    ['metrics-addr port 0', { 'metrics-addr': '127.0.0.1:0' }, 'a port from 1 to 65535'],
    ['metrics-addr v6 without brackets', { 'metrics-addr': '::1:9323' }, '"metrics-addr" must be HOST:PORT'],
    ['ui-addr off loopback', { 'ui-addr': '0.0.0.0:8080' }, '"ui-addr" must be a loopback address'],
    ['ui-addr not a string', { 'ui-addr': 8080 }, '"ui-addr" must be HOST:PORT'],
  ])('rejects %s', (_name, file, message) => {
    expect(() => resolveConfig(file, {})).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message: expect.stringContaining(message) }));
  });

  it('lists every bad key at once', () => {
    try {
      resolveConfig({ mtu: 1, bogus: true }, { 'log-level': 'x' });
      throw new Error('no error');
    } catch (e) {
      expect((e as Error).message.split('\n')).toHaveLength(4);
    }
  });

  it('accepts plaintext TCP on loopback with --insecure-tcp', () => {
    expect(resolveConfig({}, { hosts: ['tcp://127.0.0.1:2375'], 'insecure-tcp': true }).hosts).toEqual([
      { kind: 'tcp', host: '127.0.0.1', port: 2375 },
    ]);
  });
});

describe('loadConfig', () => {
  const noFile = () => {
    throw Object.assign(new Error('missing'), { code: 'ENOENT' });
  };

  it('parses repeatable -H flags and dockerd-style pools', () => {
    const c = loadConfig(['-H', 'unix:///tmp/a.sock', '-H', 'unix:///tmp/b.sock', '--default-address-pool', 'base=10.10.0.0/16,size=24'], noFile);
    expect(c.hosts).toEqual([
      { kind: 'unix', path: '/tmp/a.sock' },
      { kind: 'unix', path: '/tmp/b.sock' },
    ]);
    expect(c.defaultAddressPools.map((p) => `${p.base}:${p.size}`)).toEqual(['10.10.0.0/16:24']);
  });

  it('ignores a missing default config file but not an explicit one', () => {
    expect(() => loadConfig([], noFile)).not.toThrow();
    expect(() => loadConfig(['--config-file', '/nope.json'], noFile)).toThrow('cannot read config file /nope.json');
  });

  it('reads the config file', () => {
    const c = loadConfig(['--config-file', '/x.json'], () => JSON.stringify({ bridge: 'nd1', 'host-netns': '/run/netns/h' }));
    expect(c.bridge).toBe('nd1');
    expect(c.hostNetns).toBe('/run/netns/h');
  });

  it('takes --metrics-addr and --ui-addr (both off by default)', () => {
    const off = loadConfig([], noFile);
    expect([off.metricsAddr, off.uiAddr]).toEqual([undefined, undefined]);
    const c = loadConfig(['--metrics-addr', '0.0.0.0:9323', '--ui-addr', '[::1]:8080'], noFile);
    expect([c.metricsAddr, c.uiAddr]).toEqual([{ host: '0.0.0.0', port: 9323 }, { host: '::1', port: 8080 }]);
    expect(loadConfig(['--config-file', '/x.json'], () => JSON.stringify({ 'metrics-addr': 'localhost:9323' })).metricsAddr).toEqual({ host: 'localhost', port: 9323 });
  });

  it('rejects a config file that is not a JSON object', () => {
    expect(() => loadConfig(['--config-file', '/x.json'], () => '[1]')).toThrow('must hold a JSON object');
  });
});
