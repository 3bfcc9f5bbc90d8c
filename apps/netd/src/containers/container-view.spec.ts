import { INITIAL_STATE, type ContainerRecord, type ContainerSpec } from '@app/container';
import type { ContainerNet } from '../store/sqlite-container-store';
import type { EndpointRecord, NetworkRecord } from '../store/state-store';
import { toInspect, type ViewContext } from './container-view';

const ID = 'c'.repeat(64);
const DB = 'd'.repeat(64);

const network = (name: string, extra: Partial<NetworkRecord> = {}): NetworkRecord => ({
  id: `${name}-id`, name, driver: 'bridge', scope: 'local', created: '', internal: false, attachable: false, ingress: false,
  enableIpv4: true, enableIpv6: false, predefined: false, options: {}, labels: {}, ipam: { driver: 'default', options: null, config: [] },
  userSubnet: true, poolIds: [], state: 'active', ...extra,
});
const nets = [network('bridge', { predefined: true }), network('front')];

const ctx: ViewContext = {
  stateDir: '/x',
  network: (id) => nets.find((n) => n.id === id),
  gateway: () => '10.0.0.1',
  containerName: (id) => (id === DB ? '/db' : undefined),
};

function record(spec: Partial<ContainerSpec> = {}): ContainerRecord {
  return {
    id: ID, name: '/web', created: '2026-01-01T00:00:00Z', hostname: ID.slice(0, 12), state: INITIAL_STATE, restartCount: 0,
    manuallyStopped: false, networkFiles: { addresses: [], links: [], embeddedDns: true },
    spec: { lowers: [], cmd: ['sleep', '1'], network: { kind: 'netns', netnsPath: '/n' }, ...spec },
  };
}

const onFront: ContainerNet = {
  mode: 'front', kind: 'networks', ports: [], exposed: [], legacyLinks: [],
  networks: [{ networkId: 'front-id', aliases: ['www'], links: [{ container: DB, alias: 'database' }, { container: 'later', alias: 'up' }] }],
};
const ep: EndpointRecord = { id: 'e1', networkId: 'front-id', sandboxId: ID, ifname: 'eth0', ipv4: '10.0.0.2/24', mac: '02:42:0a:00:00:02', aliases: ['www'], state: 'active' };

describe('toInspect', () => {
  it('shows user-network links as name:alias (ids resolved to names; a container yet to come by its name)', () => {
    const i = toInspect(record(), onFront, [ep], ctx, '/n');
    expect(i.NetworkSettings.Networks.front.Links).toEqual(['db:database', 'later:up']);
  });

  it('shows default-bridge links as dockerd does: /target:/self/alias', () => {
    const net: ContainerNet = { ...onFront, mode: 'bridge', networks: [{ networkId: 'bridge-id', aliases: [], links: [] }], legacyLinks: [{ container: DB, alias: 'db1' }] };
    expect(toInspect(record(), net, [], ctx, '/n').HostConfig.Links).toEqual(['/db:/web/db1']);
  });

  it('lists DNSNames on a user network in dockerd\'s order, null on the default bridge', () => {
    const i = toInspect(record(), onFront, [ep], ctx, '/n');
    expect(i.NetworkSettings.Networks.front.DNSNames).toEqual(['web', 'www', ID.slice(0, 12)]);
    const onBridge: ContainerNet = { ...onFront, mode: 'bridge', networks: [{ networkId: 'bridge-id', aliases: [], links: [] }] };
    expect(toInspect(record(), onBridge, [], ctx, '/n').NetworkSettings.Networks.bridge.DNSNames).toBeNull();
  });

  it('shows the fields compose reads with dockerd\'s defaults when the client sent none', () => {
    const i = toInspect(record({ asGiven: { attachStdin: false, attachStdout: true, attachStderr: true, ipcMode: 'private', securityOpt: null, isolation: '', runtime: 'runc', dns: null, dnsSearch: null, dnsOptions: null } }), onFront, [ep], ctx, '/n');
    expect(i.HostConfig).toMatchObject({
      LogConfig: { Type: 'json-file', Config: {} }, IpcMode: 'private', PidMode: '', SecurityOpt: null, Privileged: false, Isolation: '', Runtime: 'runc',
      Dns: null, DnsSearch: null, DnsOptions: null,
    });
    expect(i.Config).toMatchObject({ AttachStdin: false, AttachStdout: true, AttachStderr: true });
    expect(i.Config).not.toHaveProperty('Healthcheck');
    expect(i.Config).not.toHaveProperty('MacAddress');
  });

  it('echoes what the client sent: empty DNS lists, security options, the container-wide MAC address', () => {
    const i = toInspect(record({ asGiven: { dns: [], dnsSearch: ['x'], dnsOptions: [], securityOpt: ['no-new-privileges'], macAddress: '02:42:ac:11:00:99' } }), onFront, [ep], ctx, '/n');
    expect(i.HostConfig).toMatchObject({ Dns: [], DnsSearch: ['x'], DnsOptions: [], SecurityOpt: ['no-new-privileges'] });
    expect(i.Config.MacAddress).toBe('02:42:ac:11:00:99');
  });

  it('keeps the lists of records made before netd kept what was sent', () => {
    const i = toInspect(record({ dns: { dns: [], dnsSearch: [], dnsOptions: [] } }), onFront, [ep], ctx, '/n');
    expect(i.HostConfig).toMatchObject({ Dns: [], DnsSearch: [], DnsOptions: [], IpcMode: 'private', Runtime: 'runc' });
  });
});
