import { Prefix, IpAddr, NotFoundError } from '@app/common';
import type { Ipam } from '@app/ipam/ipam.contract';
import type { NetworkRecord } from '../store/state-store';
import { decodeNetworking, HOST_PORTS_DISCARDED, parseLink, parsePortKey, type RequestContext } from './container-request';
import { linkEnv } from './link-env';

const net = (name: string, extra: Partial<NetworkRecord> = {}): NetworkRecord => ({
  id: `${name}-id`, name, driver: 'bridge', scope: 'local', created: '', internal: false, attachable: false, ingress: false,
  enableIpv4: true, enableIpv6: false, predefined: false, options: {}, labels: {}, ipam: { driver: 'default', options: null, config: [] },
  userSubnet: true, poolIds: [`${name}-pool`], state: 'active', ...extra,
});

const networks = [net('bridge', { predefined: true, userSubnet: false }), net('n1'), net('host', { driver: 'host', predefined: true }), net('none', { driver: 'null', predefined: true })];
const pool = { subnet: Prefix.parse('10.1.0.0/24'), gateway: IpAddr.parse('10.1.0.1') };

const ctx: RequestContext = {
  findNetwork: (t) => {
    const n = networks.find((x) => x.name === t || x.id === t);
    if (!n) throw new NotFoundError(`network ${t} not found`);
    return n;
  },
  findContainer: (t) => {
    if (t !== 'db' && t !== 'db-id') throw new NotFoundError(`No such container: ${t}`);
    return { id: 'db-id', name: '/db', running: true };
  },
  ipam: { getPool: () => pool } as unknown as Ipam,
  freeHostPort: () => 49999,
};

describe('decodeNetworking', () => {
  it('defaults to the bridge network, with the docker CLI\'s `default` endpoint key', () => {
    const d = decodeNetworking({ Image: 'x', NetworkingConfig: { EndpointsConfig: { default: {} } } }, [], ctx);
    expect(d.net).toMatchObject({ kind: 'networks', mode: 'bridge', networks: [{ networkId: 'bridge-id' }] });
  });

  it('keeps default-bridge links as legacy links and user-network links on the endpoint', () => {
    const legacy = decodeNetworking({ HostConfig: { Links: ['db:web'] } }, [], ctx);
    expect(legacy.net.legacyLinks).toEqual([{ container: 'db-id', alias: 'web' }]);
    const user = decodeNetworking({ HostConfig: { NetworkMode: 'n1', Links: ['db:web'] } }, [], ctx);
    expect(user.net.legacyLinks).toEqual([]);
    expect(user.net.networks[0].links).toEqual([{ container: 'db-id', alias: 'web' }]);
  });

  it('publishes ports and picks a host port for -P', () => {
    const d = decodeNetworking({ ExposedPorts: { '53/udp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] }, PublishAllPorts: true } }, [], ctx);
    expect(d.net.ports).toEqual([
      { proto: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostPort: 8080 },
      { proto: 'udp', containerPort: 53, hostPort: 49999 },
    ]);
  });

  it('discards ports on the host network with Docker\'s warning', () => {
    const d = decodeNetworking({ HostConfig: { NetworkMode: 'host', PortBindings: { '80/tcp': [{ HostPort: '80' }] } } }, [], ctx);
    expect(d.net.kind).toBe('host');
    expect(d.warnings).toEqual([HOST_PORTS_DISCARDED]);
  });

  it.each([
    { name: 'address outside the subnet', ip: '10.9.0.5', network: 'n1', message: "Invalid address 10.9.0.5: It does not belong to any of this network's subnets." },
    { name: 'address = gateway', ip: '10.1.0.1', network: 'n1', message: 'Address already in use.' },
    { name: 'no user subnet', ip: '10.1.0.5', network: 'bridge', message: 'user specified IP address is supported only when connecting to networks with user configured subnets' },
  ])('rejects a static address: $name', ({ ip, network, message }) => {
    const req = { HostConfig: { NetworkMode: network }, NetworkingConfig: { EndpointsConfig: { [network]: { IPAMConfig: { IPv4Address: ip } } } } };
    expect(() => decodeNetworking(req, [], ctx)).toThrow(message);
  });

  it.each([
    { name: 'a missing link target', req: { HostConfig: { Links: ['nope:x'] } }, message: 'could not get container for nope' },
    { name: '--rm with a restart policy', req: { HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } }, message: "can't create 'AutoRemove' container with restart policy" },
    { name: 'links with host networking', req: { HostConfig: { NetworkMode: 'host', Links: ['db:x'] } }, message: "conflicting options: host type networking can't be used with links" },
    { name: 'a bad port', req: { HostConfig: { PortBindings: { '99999/tcp': [] } } }, message: 'invalid port specification: "99999/tcp"' },
  ])('rejects $name', ({ req, message }) => {
    expect(() => decodeNetworking(req, [], ctx)).toThrow(message);
  });
});

describe('parseLink / parsePortKey', () => {
  it('parses name[:alias] and port[/proto]', () => {
    expect(parseLink('/db:web')).toEqual({ name: 'db', alias: 'web' });
    expect(parseLink('db')).toEqual({ name: 'db', alias: 'db' });
    expect(parsePortKey('80')).toEqual({ port: 80, proto: 'tcp' });
    expect(() => parseLink('a:b:c')).toThrow('invalid link format: a:b:c');
  });
});

describe('linkEnv', () => {
  it('produces Docker\'s link variables', () => {
    const env = linkEnv('my-web', '/me', { name: 'db', ip: '172.17.0.2', exposed: ['8080/tcp', '80/tcp'], env: ['PATH=/bin', 'SECRET=s', 'HOME=/'] });
    expect(env).toEqual([
      'MY_WEB_PORT=tcp://172.17.0.2:80',
      'MY_WEB_PORT_80_TCP=tcp://172.17.0.2:80', 'MY_WEB_PORT_80_TCP_ADDR=172.17.0.2', 'MY_WEB_PORT_80_TCP_PORT=80', 'MY_WEB_PORT_80_TCP_PROTO=tcp',
      'MY_WEB_PORT_8080_TCP=tcp://172.17.0.2:8080', 'MY_WEB_PORT_8080_TCP_ADDR=172.17.0.2', 'MY_WEB_PORT_8080_TCP_PORT=8080', 'MY_WEB_PORT_8080_TCP_PROTO=tcp',
      'MY_WEB_NAME=/me/my-web',
      'MY_WEB_ENV_SECRET=s',
    ]);
  });
});
