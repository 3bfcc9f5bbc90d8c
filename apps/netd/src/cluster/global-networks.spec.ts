import type { ClusterService } from './cluster.service';
import { globalNetworks, NOT_IN_CLUSTER } from './global-networks';

/** The two ClusterService calls the adapter makes, recorded; `active` toggles membership. */
function cluster(active = true) {
  const created: unknown[] = [];
  const deleted: string[] = [];
  const c = {
    active: active ? {} : undefined,
    driverType: 'overlay',
    parseOverlayOptions: (raw: Record<string, string>) => {
      if (raw.encrypted !== undefined) throw Object.assign(new Error('encrypted overlay networks are not supported by netd'), { kind: 'invalid-parameter' });
      return raw['com.docker.network.driver.mtu'] ? { mtu: 1400 } : {};
    },
    createNetwork: (input: unknown) => (created.push(input), { Id: 'f'.repeat(64) }),
    deleteNetwork: (id: string) => void deleted.push(id),
  };
  return { c: c as unknown as ClusterService, created, deleted };
}

const input = (over: object = {}) => ({ name: 'ov', ipam: { config: [{ Subnet: '10.80.0.0/16' }] }, attachable: true, ...over });

describe(globalNetworks.name, () => {
  describe('create', () => {
    it('defines the network cluster-wide with its subnet, gateway and flags', async () => {
      const { c, created } = cluster();
      const res = await globalNetworks(c).create('overlay', input({ ipam: { config: [{ Subnet: '10.80.0.0/16', Gateway: '10.80.0.254' }] }, internal: true }));
      expect(res).toEqual({ Id: 'f'.repeat(64), Warning: '' });
      expect(created).toEqual([{ name: 'ov', subnet: '10.80.0.0/16', gateway: '10.80.0.254', internal: true, attachable: true }]);
    });

    it.each([
      { name: 'outside a cluster', active: false, over: {}, kind: 'forbidden', message: NOT_IN_CLUSTER },
      { name: 'without a subnet', active: true, over: { ipam: { config: [] } }, kind: 'invalid-parameter', message: 'an overlay network needs exactly one IPv4 subnet (--subnet)' },
      { name: 'with an ip range', active: true, over: { ipam: { config: [{ Subnet: '10.80.0.0/16', IPRange: '10.80.1.0/24' }] } }, kind: 'invalid-parameter', message: /no --ip-range/ },
      { name: 'with IPv6', active: true, over: { enableIpv6: true }, kind: 'invalid-parameter', message: 'overlay networks are IPv4 only in netd' },
      { name: 'with an MTU option', active: true, over: { options: { 'com.docker.network.driver.mtu': '1400' } }, kind: 'invalid-parameter', message: 'overlay networks take their VNI and MTU from the cluster' },
      { name: 'encrypted', active: true, over: { options: { encrypted: '' } }, kind: 'invalid-parameter', message: 'encrypted overlay networks are not supported by netd' },
    ])('refuses $name and publishes nothing', async ({ active, over, kind, message }) => {
      const { c, created } = cluster(active);
      await expect(globalNetworks(c).create('overlay', input(over))).rejects.toThrow(expect.objectContaining({ kind, message: typeof message === 'string' ? message : expect.stringMatching(message) }));
      expect(created).toEqual([]);
    });

    it('refuses when the daemon has no cluster service at all', async () => {
      await expect(globalNetworks(undefined).create('overlay', input())).rejects.toThrow(NOT_IN_CLUSTER);
    });
  });

  describe('delete', () => {
    it('deletes cluster-wide, and is forbidden outside a cluster', () => {
      const { c, deleted } = cluster();
      globalNetworks(c).delete('abc');
      expect(deleted).toEqual(['abc']);
      expect(() => globalNetworks(cluster(false).c).delete('abc')).toThrow(expect.objectContaining({ kind: 'forbidden' }));
    });
  });
});
