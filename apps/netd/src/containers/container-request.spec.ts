import { ContainerCreateDto } from '@app/api/containers';
import { Prefix, IpAddr, NotFoundError } from '@app/common';
import { HostDriver, type NetworkDriver, NullDriver } from '@app/drivers';
import { DefaultIpam, MemoryIpamStore } from '@app/ipam';
import { FakeNetlink } from '@app/kernel/testing';
import { MapDriverSet } from '../networks/driver-set';
import { parseBody } from '../http/parse-body';
import type { NetworkRecord } from '../store/state-store';
import { commandLine, decodeNetworking, HOST_PORTS_DISCARDED, parseLink, parsePortKey, type RequestContext } from './container-request';
import { linkEnv } from './link-env';

const net = (name: string, extra: Partial<NetworkRecord> = {}): NetworkRecord => ({
  id: `${name}-id`, name, driver: 'bridge', scope: 'local', created: '', internal: false, attachable: false, ingress: false,
  enableIpv4: true, enableIpv6: false, predefined: false, options: {}, labels: {}, ipam: { driver: 'default', options: null, config: [] },
  userSubnet: true, poolIds: [`${name}-pool`], state: 'active', ...extra,
});

const networks = [net('bridge', { predefined: true, userSubnet: false }), net('n1'), net('host', { driver: 'host', predefined: true }), net('none', { driver: 'null', predefined: true })];
// a real IPAM: n1's pool is 10.1.0.0/24, and 10.1.0.9 is held by a running container
const ipam = new DefaultIpam({ store: new MemoryIpamStore() });
const pool = ipam.requestPool('n1-id', { addressSpace: 'local', subnet: Prefix.parse('10.1.0.0/24') });
ipam.requestAddress(pool.poolId, IpAddr.parse('10.1.0.9'));
networks[1].poolIds = [pool.poolId];

// the predefined drivers as the daemon offers them; bridge is absent and taken as an ordinary driver
const drivers = new MapDriverSet(new Map<string, NetworkDriver>([['host', new HostDriver()], ['null', new NullDriver({ netlink: new FakeNetlink() })]]));

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
  capabilities: (n) => drivers.capabilitiesOf(n.driver),
  ipam,
  freeHostPort: () => 49999,
};

/** A request body as the daemon sees it after validation. */
const dto = (body: object) => parseBody(ContainerCreateDto, { Image: 'x', ...body });
const decode = (body: object) => decodeNetworking(dto(body), [], ctx);

describe('decodeNetworking', () => {
  it('defaults to the bridge network, with the docker CLI\'s `default` endpoint key', () => {
    const d = decode({ NetworkingConfig: { EndpointsConfig: { default: {} } } });
    expect(d.net).toMatchObject({ kind: 'networks', mode: 'bridge', networks: [{ networkId: 'bridge-id' }] });
  });

  it('keeps default-bridge links as legacy links and user-network links on the endpoint', () => {
    const legacy = decode({ HostConfig: { Links: ['db:web'] } });
    expect(legacy.net.legacyLinks).toEqual([{ container: 'db-id', alias: 'web' }]);
    const user = decode({ HostConfig: { NetworkMode: 'n1', Links: ['db:web'] } });
    expect(user.net.legacyLinks).toEqual([]);
    expect(user.net.networks[0].links).toEqual([{ container: 'db-id', alias: 'web' }]);
  });

  it('accepts a user-network link to a container that does not exist yet, kept by name (dockerd resolves it when it appears)', () => {
    const d = decode({ HostConfig: { NetworkMode: 'n1' }, NetworkingConfig: { EndpointsConfig: { n1: { Links: ['later:up', 'db-id:byid'] } } } });
    expect(d.net.networks[0].links).toEqual([{ container: 'later', alias: 'up' }, { container: 'db-id', alias: 'byid' }]);
  });

  it('publishes ports and picks a host port for -P', () => {
    const d = decode({ ExposedPorts: { '53/udp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: '8080' }] }, PublishAllPorts: true } });
    expect(d.net.ports).toEqual([
      { proto: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostPort: 8080 },
      { proto: 'udp', containerPort: 53, hostPort: 49999 },
    ]);
  });

  it('discards ports on the host network with Docker\'s warning', () => {
    const d = decode({ HostConfig: { NetworkMode: 'host', PortBindings: { '80/tcp': [{ HostPort: '80' }] } } });
    expect(d.net.kind).toBe('host');
    expect(d.warnings).toEqual([HOST_PORTS_DISCARDED]);
  });

  it.each([
    { name: 'address outside the subnet', ip: '10.9.0.5', network: 'n1', message: "Invalid address 10.9.0.5: It does not belong to any of this network's subnets." },
    { name: 'address = gateway', ip: '10.1.0.1', network: 'n1', message: 'Address already in use.' },
    { name: 'no user subnet', ip: '10.1.0.5', network: 'bridge', message: 'user specified IP address is supported only when connecting to networks with user configured subnets' },
    { name: 'the network address', ip: '10.1.0.0', network: 'n1', message: 'Invalid address 10.1.0.0: it is the network address of 10.1.0.0/24' },
    { name: 'the broadcast address', ip: '10.1.0.255', network: 'n1', message: 'Invalid address 10.1.0.255: it is the broadcast address of 10.1.0.0/24' },
    { name: 'an address a running container holds', ip: '10.1.0.9', network: 'n1', message: 'Address already in use: 10.1.0.9 is already allocated in 10.1.0.0/24' },
    { name: 'an IPv6 address as IPv4', ip: '::1', network: 'n1', message: 'NetworkingConfig.EndpointsConfig.n1.IPAMConfig.IPv4Address must be an IPv4 address, got ::1' },
  ])('rejects a static address: $name', ({ ip, network, message }) => {
    const req = { HostConfig: { NetworkMode: network }, NetworkingConfig: { EndpointsConfig: { [network]: { IPAMConfig: { IPv4Address: ip } } } } };
    expect(() => decode(req)).toThrow(new Error(message));
  });

  it.each([
    { name: 'not hex', mac: 'zz', message: 'invalid MAC address: zz' },
    { name: 'too short', mac: '02:42:ac:11:00', message: 'invalid MAC address: 02:42:ac:11:00' },
    { name: 'multicast', mac: '01:00:5e:00:00:01', message: 'invalid MAC address: 01:00:5e:00:00:01 is a multicast address' },
    { name: 'broadcast', mac: 'ff:ff:ff:ff:ff:ff', message: 'invalid MAC address: ff:ff:ff:ff:ff:ff is a multicast address' },
    { name: 'all zeros', mac: '00:00:00:00:00:00', message: 'invalid MAC address: 00:00:00:00:00:00 is all zeros' },
  ])('rejects a MAC address: $name', ({ mac, message }) => {
    expect(() => decode({ HostConfig: { NetworkMode: 'n1' }, NetworkingConfig: { EndpointsConfig: { n1: { MacAddress: mac } } } })).toThrow(new Error(message));
    expect(() => decode({ MacAddress: mac })).toThrow(new Error(message));
  });

  it.each([
    { name: 'LinkLocalIPs', ec: { IPAMConfig: { LinkLocalIPs: ['169.254.1.1'] } }, message: 'EndpointSettings.IPAMConfig.LinkLocalIPs is not supported by netd' },
    { name: 'DriverOpts', ec: { DriverOpts: { a: 'b' } }, message: 'EndpointSettings.DriverOpts is not supported by netd' },
    { name: 'GwPriority', ec: { GwPriority: 5 }, message: 'EndpointSettings.GwPriority is not supported by netd' },
  ])('refuses endpoint settings netd does not apply with 501: $name', ({ ec, message }) => {
    expect(() => decode({ HostConfig: { NetworkMode: 'n1' }, NetworkingConfig: { EndpointsConfig: { n1: ec } } })).toThrow(expect.objectContaining({ kind: 'not-implemented', message }));
  });

  it('moves the pre-1.44 Config.MacAddress onto the first network and refuses two different ones', () => {
    expect(decode({ MacAddress: '02:42:ac:11:00:99' }).net.networks[0].mac).toBe('02:42:ac:11:00:99');
    expect(() => decode({ MacAddress: '02:42:ac:11:00:99', NetworkingConfig: { EndpointsConfig: { bridge: { MacAddress: '02:42:ac:11:00:98' } } } }))
      .toThrow('the container-wide MAC address must match the endpoint-specific MAC address for the main network, or be left empty');
    expect(() => decode({ MacAddress: '02:42:ac:11:00:99', HostConfig: { NetworkMode: 'host' } })).toThrow('conflicting options: mac-address and the network mode');
  });

  it.each([
    { name: 'a missing link target', req: { HostConfig: { Links: ['nope:x'] } }, message: 'could not get container for nope' },
    { name: '--rm with a restart policy', req: { HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } }, message: "can't create 'AutoRemove' container with restart policy" },
    { name: 'links with host networking', req: { HostConfig: { NetworkMode: 'host', Links: ['db:x'] } }, message: "conflicting options: host type networking can't be used with links" },
    { name: 'a bad port', req: { HostConfig: { PortBindings: { '99999/tcp': [] } } }, message: 'invalid port specification: "99999/tcp"' },
  ])('rejects $name', ({ req, message }) => {
    expect(() => decode(req)).toThrow(message);
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

describe('commandLine', () => {
  const image = { Entrypoint: ['/entry.sh'], Cmd: ['serve'] };
  it.each([
    { name: 'nothing given: the image\'s entrypoint and cmd', req: {}, argv: ['/entry.sh', 'serve'] },
    { name: 'null entrypoint, as the docker CLI sends: the same', req: { Entrypoint: null, Cmd: null }, argv: ['/entry.sh', 'serve'] },
    { name: 'a cmd: the image\'s entrypoint with it', req: { Entrypoint: null, Cmd: ['sh'] }, argv: ['/entry.sh', 'sh'] },
    { name: 'a cmd as a string', req: { Cmd: 'sh' }, argv: ['/entry.sh', 'sh'] },
    { name: 'an entrypoint: the image\'s cmd goes', req: { Entrypoint: ['/bin/echo'] }, argv: ['/bin/echo'] },
    { name: 'an entrypoint and a cmd', req: { Entrypoint: '/bin/echo', Cmd: ['hi'] }, argv: ['/bin/echo', 'hi'] },
    { name: 'an empty entrypoint: no entrypoint, the image\'s cmd', req: { Entrypoint: [] }, argv: ['serve'] },
    { name: 'an empty entrypoint and a cmd (build steps)', req: { Entrypoint: [], Cmd: ['/bin/sh', '-c', 'make'] }, argv: ['/bin/sh', '-c', 'make'] },
    { name: '--entrypoint "" with a cmd', req: { Entrypoint: [''], Cmd: ['ls'] }, argv: ['ls'] },
  ])('$name', ({ req, argv }) => {
    expect(commandLine(req, image)).toEqual(argv);
  });
});
