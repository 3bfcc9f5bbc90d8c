import { Prefix, SystemError, generateId } from '@app/common';
import type { PoolRequest } from '@app/ipam/ipam.contract';
import type { NetworkRecord } from '../store/state-store';
import { FakeDaemon, startFakeDaemon } from '../testing/fake-daemon';
import { NetworkLifecycle } from './network-lifecycle';

/** A network record as NetworksService and ClusterService start one: no pools yet, state creating. */
const record = (name: string, driver: string, scope = 'local'): NetworkRecord => ({
  id: generateId(), name, driver, scope, created: new Date().toISOString(), internal: false, attachable: false, ingress: false,
  enableIpv4: true, enableIpv6: false, predefined: false, options: {}, labels: {}, ipam: { driver: 'default', options: {}, config: [] },
  userSubnet: true, poolIds: [], state: 'creating',
});

const CASES: [string, string, string, PoolRequest][] = [
  ['bridge', 'local', '10.71.0.0/24', { addressSpace: 'local', subnet: Prefix.parse('10.71.0.0/24') }],
  ['overlay', 'swarm', '10.72.0.0/16', { addressSpace: 'global', subnet: Prefix.parse('10.72.0.0/16'), ipRange: Prefix.parse('10.72.3.0/24') }],
];

describe(NetworkLifecycle.name, () => {
  let d: FakeDaemon;
  beforeEach(async () => {
    d = await startFakeDaemon();
  });
  afterEach(async () => {
    await d.close();
  });

  const lifecycle = () => new NetworkLifecycle({ store: d.rt.store, ipam: d.rt.ipam });

  it.each(CASES)('leaves nothing of a %s network after a crash between reserve and finish', async (driver, scope, subnet, request) => {
    const r = record('crashed', driver, scope);
    const [pool] = lifecycle().reserve(r, [request]);
    expect(d.rt.store.getNetwork(r.id)).toMatchObject({ state: 'creating', poolIds: [pool.poolId] });
    // the crash: the driver never ran, nothing else happened
    d = await d.restart();
    expect(d.rt.store.getNetwork(r.id)).toBeUndefined();
    expect(d.rt.store.networkByName('crashed')).toBeUndefined();
    expect(d.rt.ipam.getPool(pool.poolId)).toBeUndefined();
    expect(d.rt.ipam.poolWithSubnet(Prefix.parse(subnet))).toBeUndefined();
    // and the name and subnet are free again
    expect((await d.request('POST', '/networks/create', { Name: 'crashed', IPAM: { Config: [{ Subnet: subnet }] } })).status).toBe(201);
  });

  it('removes the kernel objects of a bridge network a crash left creating after its driver ran, or deleting', async () => {
    const made = [record('half', 'bridge'), record('going', 'bridge')];
    for (const [i, r] of made.entries()) {
      const request = { addressSpace: 'local' as const, subnet: Prefix.parse(`10.73.${i}.0/24`) };
      const [pool] = lifecycle().reserve(r, [request]);
      await d.rt.drivers.get('bridge')!.createNetwork({
        networkId: r.id, name: r.name, options: {}, internal: false, enableIpv6: false, ipv4: [{ subnet: pool.subnet, gateway: pool.gateway }], ipv6: [],
      });
    }
    d.rt.store.setNetworkState(made[1].id, 'deleting');
    const bridges = () => d.netlink.linksIn(d.hostNs).map((l: { name: string }) => l.name).filter((n: string) => made.some((r) => n === `br-${r.id.slice(0, 12)}`));
    expect(bridges()).toHaveLength(2);
    d = await d.restart();
    expect(bridges()).toEqual([]);
    for (const r of made) expect(d.rt.store.getNetwork(r.id)).toBeUndefined();
    expect(d.rt.ipam.listPools().filter((p) => p.subnet.toString().startsWith('10.73.'))).toEqual([]);
  });

  it.each(CASES)('undoes a %s network whose driver fails: no record, no pool, no driver state', async (driver, scope, subnet, request) => {
    const r = record('failing', driver, scope);
    const calls: string[] = [];
    const failing = {
      createNetwork: async () => {
        calls.push('create');
        throw new SystemError('link add failed');
      },
      deleteNetwork: async (id: string) => void calls.push(`delete ${id}`),
    };
    await expect(lifecycle().create(r, [request], failing, {})).rejects.toThrow('link add failed');
    expect(calls).toEqual(['create', `delete ${r.id}`]);
    expect(d.rt.store.getNetwork(r.id)).toBeUndefined();
    expect(d.rt.ipam.poolWithSubnet(Prefix.parse(subnet))).toBeUndefined();
  });

  it('refuses a taken name in the reserving transaction, keeping no pool', async () => {
    expect((await d.request('POST', '/networks/create', { Name: 'taken' })).status).toBe(201);
    const r = record('taken', 'overlay', 'swarm');
    expect(() => lifecycle().reserve(r, [CASES[1][3]])).toThrow(expect.objectContaining({ kind: 'conflict', message: 'network with name taken already exists' }));
    expect(d.rt.ipam.poolWithSubnet(Prefix.parse('10.72.0.0/16'))).toBeUndefined();
    expect(d.rt.store.getNetwork(r.id)).toBeUndefined();
  });

  it('finishes a network: active, with its pools and IPAM config on the record', async () => {
    const r = record('done', 'bridge');
    const created: unknown[] = [];
    await lifecycle().create(r, [CASES[0][3]], { createNetwork: async (req) => void created.push(req), deleteNetwork: async () => undefined }, {});
    expect(d.rt.store.getNetwork(r.id)).toMatchObject({ state: 'active', ipam: { config: [{ Subnet: '10.71.0.0/24', Gateway: '10.71.0.1' }] } });
    expect(created).toEqual([expect.objectContaining({ networkId: r.id, ipv4: [expect.objectContaining({ subnet: Prefix.parse('10.71.0.0/24') })] })]);
  });
});
