import { IpAddr, Prefix } from '@app/common';
import { DefaultIpam, DefaultIpamOptions } from './ipam';
import type { PoolRequest } from './ipam.contract';
import { ulaPrefix } from './default-pools';
import { MemoryIpamStore } from './store/memory-ipam-store';

const ip = IpAddr.parse;
const net = Prefix.parse;
const local = (subnet?: string, extra: Partial<PoolRequest> = {}): PoolRequest => ({
  addressSpace: 'local',
  ...(subnet && { subnet: net(subnet) }),
  ...extra,
});

function setup(opts: Partial<DefaultIpamOptions> = {}) {
  const store = new MemoryIpamStore();
  return { store, ipam: new DefaultIpam({ store, ...opts }) };
}

describe(DefaultIpam.name, () => {
  describe('requestPool', () => {
    it("hands out Docker's 31 local default pools in order, then reports exhaustion", () => {
      const { ipam } = setup();
      const got = Array.from({ length: 31 }, (_, i) => ipam.requestPool(`n${i}`, local()).subnet.toString());
      expect(got.slice(0, 3)).toEqual(['172.17.0.0/16', '172.18.0.0/16', '172.19.0.0/16']);
      expect(got.slice(14, 17)).toEqual(['172.31.0.0/16', '192.168.0.0/20', '192.168.16.0/20']);
      expect(got[30]).toBe('192.168.240.0/20');
      expect(() => ipam.requestPool('n31', local())).toThrow(
        expect.objectContaining({
          kind: 'unavailable',
          message: 'all predefined address pools have been fully subnetted: no free IPv4 pool in the local address space',
        }),
      );
    });

    it('gives overlays 10.0.0.0/8 in /24s, skipping what local pools use', () => {
      const { ipam } = setup();
      ipam.requestPool('l', local('10.0.0.0/23'));
      const a = ipam.requestPool('g1', { addressSpace: 'global' });
      const b = ipam.requestPool('g2', { addressSpace: 'global' });
      expect([a.subnet.toString(), b.subnet.toString()]).toEqual(['10.0.2.0/24', '10.0.3.0/24']);
      expect(a.poolId).toBe('global/10.0.2.0/24');
    });

    it('uses configured default-address-pools', () => {
      const { ipam } = setup({ localPools: [{ base: Prefix.parse('10.99.0.0/16'), size: 24 }] });
      expect(ipam.requestPool('a', local()).subnet.toString()).toBe('10.99.0.0/24');
      expect(ipam.requestPool('b', local()).subnet.toString()).toBe('10.99.1.0/24');
    });

    it('takes new default-address-pools while running, for new networks only', () => {
      const { ipam } = setup({ localPools: [{ base: Prefix.parse('10.99.0.0/16'), size: 24 }] });
      expect(ipam.requestPool('a', local()).subnet.toString()).toBe('10.99.0.0/24');
      ipam.setLocalPools([{ base: Prefix.parse('10.98.0.0/16'), size: 24 }]);
      expect(ipam.requestPool('b', local()).subnet.toString()).toBe('10.98.0.0/24');
      // the pool handed out before stays taken
      expect(() => ipam.requestPool('a2', local('10.99.0.0/24'))).toThrow(/overlap/);
      ipam.setLocalPools(undefined);
      expect(ipam.requestPool('c', local()).subnet.toString()).toBe('172.17.0.0/16');
    });

    it('splits the defaults into the asked prefix length', () => {
      const { ipam } = setup();
      expect(ipam.requestPool('a', local(undefined, { prefixLength: 24 })).subnet.toString()).toBe('172.17.0.0/24');
      expect(ipam.requestPool('b', local(undefined, { prefixLength: 24 })).subnet.toString()).toBe('172.17.1.0/24');
      expect(ipam.requestPool('c', local()).subnet.toString()).toBe('172.18.0.0/16');
    });

    it('rejects a next-free size that no default pool can hold', () => {
      const { ipam } = setup();
      expect(() => ipam.requestPool('a', local(undefined, { prefixLength: 12 }))).toThrow(
        expect.objectContaining({
          kind: 'invalid-parameter',
          message: 'no predefined IPv4 address pool of the local address space can hold a /12 subnet',
        }),
      );
    });

    it('sets the gateway to the first usable address unless given or not wanted', () => {
      const { ipam } = setup();
      expect(ipam.requestPool('a', local('10.1.0.0/24')).gateway?.toString()).toBe('10.1.0.1');
      expect(ipam.requestPool('b', local('10.2.0.0/24', { gateway: ip('10.2.0.254') })).gateway?.toString()).toBe('10.2.0.254');
      expect(ipam.requestPool('c', local('10.3.0.0/24', { noGateway: true })).gateway).toBeUndefined();
    });

    it('gives one network several pools, one request per subnet', () => {
      const { ipam } = setup({ hostId: 'h' });
      ipam.requestPool('ov', { addressSpace: 'global', subnet: net('10.10.0.0/24') });
      ipam.requestPool('ov', { addressSpace: 'global', subnet: net('10.10.1.0/24') });
      ipam.requestPool('ov', { addressSpace: 'global', family: 6 });
      const pools = ipam.listPools();
      expect(pools.map((p) => p.networkId)).toEqual(['ov', 'ov', 'ov']);
      expect(pools.map((p) => p.subnet.family)).toEqual([4, 4, 6]);
    });

    describe('IPv6', () => {
      it('gives /64s of the ULA /48 derived from the host id', () => {
        const { ipam } = setup({ hostId: 'host-1' });
        const ula = ulaPrefix('host-1');
        const a = ipam.requestPool('a', local(undefined, { family: 6 }));
        const b = ipam.requestPool('b', local(undefined, { family: 6 }));
        expect(a.subnet.toString()).toBe(Prefix.of(ula.address, 64).toString());
        expect(b.subnet.toString()).toBe(Prefix.of(ula.address.add(1n << 64n), 64).toString());
        expect(a.gateway?.toString()).toBe(ula.address.add(1n).toString());
      });

      it('prefers a configured IPv6 base over the ULA', () => {
        const localPools = [{ base: Prefix.parse('fd11:2233::/48'), size: 64 }];
        const { ipam } = setup({ hostId: 'h', localPools });
        expect(ipam.requestPool('a', local(undefined, { family: 6 })).subnet.toString()).toBe('fd11:2233::/64');
      });

      it('says how to get an IPv6 pool when there is neither base nor host id', () => {
        const { ipam } = setup();
        expect(() => ipam.requestPool('a', local(undefined, { family: 6 }))).toThrow(
          expect.objectContaining({
            kind: 'unavailable',
            message: 'no IPv6 address pool: give default-address-pools an IPv6 base, or a host id to derive a ULA prefix from',
          }),
        );
      });
    });

    describe('overlap', () => {
      it.each([
        { name: 'a smaller subnet inside', first: '10.1.0.0/24', second: '10.1.0.0/25' },
        { name: 'the identical subnet', first: '10.1.0.0/24', second: '10.1.0.0/24' },
        { name: 'a larger subnet around', first: '10.1.0.0/24', second: '10.0.0.0/8' },
        { name: 'an IPv6 subnet inside', first: 'fd00::/48', second: 'fd00:0:0:5::/64' },
      ])('rejects $name, naming the pool and its network', ({ first, second }) => {
        const { ipam, store } = setup();
        ipam.requestPool('net-a', local(first));
        const before = store.load();
        expect(() => ipam.requestPool('net-b', local(second))).toThrow(
          expect.objectContaining({
            kind: 'conflict',
            message: `Pool overlaps with other one on this address space: ${second} overlaps ${first} of network net-a`,
          }),
        );
        expect(store.load()).toEqual(before);
      });

      it('checks across address spaces', () => {
        const { ipam } = setup();
        ipam.requestPool('ov', { addressSpace: 'global', subnet: net('10.7.0.0/24') });
        expect(() => ipam.requestPool('br', local('10.7.0.0/16'))).toThrow(
          expect.objectContaining({ kind: 'conflict', message: expect.stringContaining('overlaps 10.7.0.0/24 of network ov') }),
        );
      });

      it('rejects a subnet that overlaps a host route', () => {
        const { ipam } = setup();
        ipam.setHostRoutes([net('0.0.0.0/0'), net('10.1.0.0/16'), net('fe80::/64')]);
        expect(() => ipam.requestPool('a', local('10.1.0.0/25'))).toThrow(
          expect.objectContaining({
            kind: 'conflict',
            message: 'Pool overlaps with other one on this address space: 10.1.0.0/25 overlaps host route 10.1.0.0/16',
          }),
        );
        expect(ipam.requestPool('b', local('10.2.0.0/24')).subnet.toString()).toBe('10.2.0.0/24');
      });

      it('takes an IPv6 link-local subnet although every interface routes fe80::/64 (dockerd does)', () => {
        const { ipam } = setup();
        ipam.setHostRoutes([net('fe80::/64')]);
        ipam.addHostRoute(net('fe80::/64'));
        expect(ipam.requestPool('a', local('fe80::/64')).subnet.toString()).toBe('fe80::/64');
      });

      it('skips defaults that overlap host routes or explicit pools', () => {
        const { ipam } = setup();
        ipam.setHostRoutes([net('172.17.3.0/24'), net('172.18.0.0/15')]);
        ipam.requestPool('x', local('172.20.128.0/17'));
        expect(ipam.requestPool('a', local()).subnet.toString()).toBe('172.21.0.0/16');
      });

      it('follows host routes one at a time, as setHostRoutes with the same list would', () => {
        const { ipam } = setup();
        ipam.addHostRoute(net('172.17.0.0/16'));
        ipam.addHostRoute(net('172.18.0.0/16'));
        ipam.addHostRoute(net('0.0.0.0/0'));
        ipam.removeHostRoute(net('172.17.0.0/16'));
        expect(ipam.requestPool('a', local()).subnet.toString()).toBe('172.17.0.0/16');
        expect(ipam.requestPool('b', local()).subnet.toString()).toBe('172.19.0.0/16');
        expect(() => ipam.requestPool('c', local('172.18.1.0/24'))).toThrow(
          expect.objectContaining({ kind: 'conflict', message: expect.stringContaining('overlaps host route 172.18.0.0/16') }),
        );
      });

      it("treats a pool's own route as the pool while it exists, and as a route after its release", () => {
        const { ipam } = setup();
        const a = ipam.requestPool('a', local('10.7.0.0/24'));
        ipam.addHostRoute(net('10.7.0.0/24'));
        expect(() => ipam.requestPool('x', local('10.7.0.0/25'))).toThrow(
          expect.objectContaining({ kind: 'conflict', message: expect.stringContaining('10.7.0.0/24') }),
        );
        ipam.releasePool(a.poolId);
        // The bridge is not gone yet: its route still holds the subnet.
        expect(() => ipam.requestPool('b', local('10.7.0.0/24'))).toThrow(
          expect.objectContaining({ kind: 'conflict', message: expect.stringContaining('overlaps host route 10.7.0.0/24') }),
        );
        ipam.removeHostRoute(net('10.7.0.0/24'));
        expect(ipam.requestPool('b', local('10.7.0.0/24')).subnet.toString()).toBe('10.7.0.0/24');
      });

      it('finds a pool by its subnet in either address space', () => {
        const { ipam } = setup();
        const l = ipam.requestPool('a', local('10.8.0.0/24'));
        const g = ipam.requestPool('b', { addressSpace: 'global', subnet: net('10.9.0.0/24') });
        expect(ipam.poolWithSubnet(net('10.8.0.0/24'))?.poolId).toBe(l.poolId);
        expect(ipam.poolWithSubnet(net('10.9.0.0/24'))?.poolId).toBe(g.poolId);
        expect(ipam.poolWithSubnet(net('10.8.0.0/25'))).toBeUndefined();
      });

      it('takes new host routes into account and forgets old ones', () => {
        const { ipam } = setup();
        ipam.setHostRoutes([net('172.17.0.0/16')]);
        ipam.setHostRoutes([net('172.18.0.0/16')]);
        expect(ipam.requestPool('a', local()).subnet.toString()).toBe('172.17.0.0/16');
        expect(ipam.requestPool('b', local()).subnet.toString()).toBe('172.19.0.0/16');
      });
    });

    it.each<{ name: string; networkId: string; req: PoolRequest; kind: string; message: string }>([
      { name: 'a subnet with host bits', networkId: 'n', req: local('10.1.0.5/24'), kind: 'invalid-parameter', message: 'Invalid subnet 10.1.0.5/24 : host bits set (did you mean 10.1.0.0/24?)' },
      { name: 'a gateway outside the subnet', networkId: 'n', req: local('10.1.0.0/24', { gateway: ip('10.2.0.1') }), kind: 'invalid-parameter', message: 'no matching subnet for gateway 10.2.0.1: not inside 10.1.0.0/24' },
      { name: 'an unknown address space', networkId: 'n', req: { addressSpace: 'galaxy' as 'local' }, kind: 'invalid-parameter', message: 'unknown address space galaxy (local or global)' },
      { name: 'an empty network id', networkId: '', req: local('10.1.0.0/24'), kind: 'invalid-parameter', message: 'network id must not be empty' },
    ])('rejects $name and changes nothing', ({ networkId, req, kind, message }) => {
      const { ipam, store } = setup();
      expect(() => ipam.requestPool(networkId, req)).toThrow(expect.objectContaining({ kind, message }));
      expect(store.load()).toEqual({ pools: [], addresses: {} });
      expect(ipam.listPools()).toEqual([]);
    });
  });

  describe('releasePool', () => {
    it('frees the subnet and every address in it', () => {
      const { ipam, store } = setup();
      const p = ipam.requestPool('a', local());
      ipam.requestAddress(p.poolId);
      ipam.releasePool(p.poolId);
      expect(store.load()).toEqual({ pools: [], addresses: {} });
      expect(ipam.getPool(p.poolId)).toBeUndefined();
      expect(ipam.requestPool('b', local()).subnet.toString()).toBe('172.17.0.0/16');
    });

    it('keeps a span occupied while another pool or route still covers it', () => {
      const { ipam } = setup();
      const inner = ipam.requestPool('a', local('10.5.1.0/24'));
      ipam.setHostRoutes([net('10.5.0.0/16')]);
      ipam.releasePool(inner.poolId);
      expect(() => ipam.requestPool('b', local('10.5.1.0/24'))).toThrow(
        expect.objectContaining({ kind: 'conflict', message: expect.stringContaining('overlaps host route 10.5.0.0/16') }),
      );
    });

    it('fails with NotFound for an unknown pool', () => {
      const { ipam } = setup();
      expect(() => ipam.releasePool('local/10.9.0.0/24')).toThrow(
        expect.objectContaining({ kind: 'not-found', message: 'IPAM pool local/10.9.0.0/24 not found' }),
      );
    });
  });

  describe('requestAddress', () => {
    it('starts after the gateway and goes round-robin', () => {
      const { ipam } = setup();
      const p = ipam.requestPool('a', local('10.1.0.0/24'));
      const [a, b, c] = [0, 1, 2].map(() => ipam.requestAddress(p.poolId).toString());
      expect([a, b, c]).toEqual(['10.1.0.2', '10.1.0.3', '10.1.0.4']);
      ipam.releaseAddress(p.poolId, ip(a));
      expect(ipam.requestAddress(p.poolId).toString()).toBe('10.1.0.5');
    });

    it('reuses a released address only after the range wraps', () => {
      const { ipam } = setup();
      const p = ipam.requestPool('a', local('10.1.0.0/29'));
      const all = Array.from({ length: 5 }, () => ipam.requestAddress(p.poolId).toString());
      expect(all).toEqual(['10.1.0.2', '10.1.0.3', '10.1.0.4', '10.1.0.5', '10.1.0.6']);
      ipam.releaseAddress(p.poolId, ip('10.1.0.3'));
      ipam.releaseAddress(p.poolId, ip('10.1.0.5'));
      expect(ipam.requestAddress(p.poolId).toString()).toBe('10.1.0.3');
      expect(ipam.requestAddress(p.poolId).toString()).toBe('10.1.0.5');
    });

    it('reports exhaustion naming the pool and its range', () => {
      const { ipam } = setup();
      const p = ipam.requestPool('a', local('10.1.0.0/30'));
      expect(ipam.requestAddress(p.poolId).toString()).toBe('10.1.0.2');
      expect(() => ipam.requestAddress(p.poolId)).toThrow(
        expect.objectContaining({ kind: 'unavailable', message: 'no available addresses in pool 10.1.0.0/30' }),
      );
      const r = ipam.requestPool('b', local('10.2.0.0/24', { ipRange: net('10.2.0.8/31') }));
      ipam.requestAddress(r.poolId);
      ipam.requestAddress(r.poolId);
      expect(() => ipam.requestAddress(r.poolId)).toThrow(
        expect.objectContaining({ kind: 'unavailable', message: 'no available addresses in pool 10.2.0.0/24 (ip-range 10.2.0.8/31)' }),
      );
    });

    it('accepts a static address outside the ip-range but inside the subnet', () => {
      const { ipam } = setup();
      const p = ipam.requestPool('a', local('10.1.0.0/24', { ipRange: net('10.1.0.128/25') }));
      expect(ipam.requestAddress(p.poolId, ip('10.1.0.20')).toString()).toBe('10.1.0.20');
      expect(ipam.requestAddress(p.poolId).toString()).toBe('10.1.0.128');
    });

    it('lets a static address take the first address of a pool without gateway', () => {
      const { ipam } = setup();
      const p = ipam.requestPool('a', local('10.1.0.0/24', { noGateway: true }));
      expect(ipam.requestAddress(p.poolId, ip('10.1.0.1')).toString()).toBe('10.1.0.1');
    });

    it.each([
      { name: 'outside the subnet', addr: '10.240.0.5', kind: 'invalid-parameter', message: "Invalid address 10.240.0.5: It does not belong to any of this network's subnets." },
      { name: 'of the other family', addr: 'fd00::5', kind: 'invalid-parameter', message: "Invalid address fd00::5: It does not belong to any of this network's subnets." },
      { name: 'the network address', addr: '10.1.0.0', kind: 'invalid-parameter', message: 'Invalid address 10.1.0.0: it is the network address of 10.1.0.0/24' },
      { name: 'the broadcast address', addr: '10.1.0.255', kind: 'invalid-parameter', message: 'Invalid address 10.1.0.255: it is the broadcast address of 10.1.0.0/24' },
      { name: 'the gateway', addr: '10.1.0.1', kind: 'conflict', message: 'Address already in use: 10.1.0.1 is the gateway of 10.1.0.0/24' },
      { name: 'an aux address', addr: '10.1.0.9', kind: 'conflict', message: 'Address already in use: 10.1.0.9 is reserved as aux-address router of 10.1.0.0/24' },
      { name: 'already allocated', addr: '10.1.0.2', kind: 'conflict', message: 'Address already in use: 10.1.0.2 is already allocated in 10.1.0.0/24' },
    ])('rejects a static address $name and changes nothing', ({ addr, kind, message }) => {
      const { ipam, store } = setup();
      const p = ipam.requestPool('a', local('10.1.0.0/24', { auxAddresses: { router: ip('10.1.0.9') } }));
      ipam.requestAddress(p.poolId);
      const before = store.load();
      expect(() => ipam.requestAddress(p.poolId, ip(addr))).toThrow(expect.objectContaining({ kind, message }));
      expect(store.load()).toEqual(before);
      expect(ipam.requestAddress(p.poolId).toString()).toBe('10.1.0.3');
    });

    it('fails with NotFound for an unknown pool', () => {
      const { ipam } = setup();
      expect(() => ipam.requestAddress('local/10.9.0.0/24')).toThrow(
        expect.objectContaining({ kind: 'not-found', message: 'IPAM pool local/10.9.0.0/24 not found' }),
      );
    });

    it('allocates in an IPv6 /64 and stores canonical text', () => {
      const { ipam, store } = setup();
      const p = ipam.requestPool('a', local('fd00:0:0:7::/64'));
      expect(ipam.requestAddress(p.poolId).toString()).toBe('fd00:0:0:7::2');
      expect(ipam.requestAddress(p.poolId, ip('FD00:0:0:7:0:0:0:ABCD')).toString()).toBe('fd00:0:0:7::abcd');
      expect(store.load().addresses[p.poolId]).toEqual(['fd00:0:0:7::2', 'fd00:0:0:7::abcd']);
    });
  });

  describe('releaseAddress', () => {
    it.each([
      { name: 'an address that is not allocated', addr: '10.1.0.7', kind: 'not-found', message: 'address 10.1.0.7 is not allocated in 10.1.0.0/24' },
      { name: 'an address outside the subnet', addr: '10.2.0.7', kind: 'invalid-parameter', message: "Invalid address 10.2.0.7: It does not belong to any of this network's subnets." },
      { name: 'the gateway', addr: '10.1.0.1', kind: 'invalid-parameter', message: 'address 10.1.0.1 is the gateway address of 10.1.0.0/24: it is released with the pool, not on its own' },
      { name: 'an aux address', addr: '10.1.0.9', kind: 'invalid-parameter', message: 'address 10.1.0.9 is the aux-address router of 10.1.0.0/24: it is released with the pool, not on its own' },
      { name: 'the network address', addr: '10.1.0.0', kind: 'invalid-parameter', message: 'address 10.1.0.0 is the network address of 10.1.0.0/24: it is released with the pool, not on its own' },
    ])('rejects $name and changes nothing', ({ addr, kind, message }) => {
      const { ipam, store } = setup();
      const p = ipam.requestPool('a', local('10.1.0.0/24', { auxAddresses: { router: ip('10.1.0.9') } }));
      ipam.requestAddress(p.poolId);
      const before = store.load();
      expect(() => ipam.releaseAddress(p.poolId, ip(addr))).toThrow(expect.objectContaining({ kind, message }));
      expect(store.load()).toEqual(before);
    });

    it('removes the address from the store', () => {
      const { ipam, store } = setup();
      const p = ipam.requestPool('a', local('10.1.0.0/24'));
      const a = ipam.requestAddress(p.poolId);
      ipam.releaseAddress(p.poolId, a);
      expect(store.load().addresses).toEqual({});
    });
  });

  describe('usage', () => {
    it.each([
      { name: 'a fresh /24', req: local('10.1.0.0/24'), statics: [], dynamic: 0, want: [3n, 253n] },
      { name: 'a /24 with addresses', req: local('10.1.0.0/24'), statics: ['10.1.0.100'], dynamic: 2, want: [6n, 250n] },
      { name: 'a /24 with an ip-range and a static outside it', req: local('10.1.0.0/24', { ipRange: net('10.1.0.128/25') }), statics: ['10.1.0.5'], dynamic: 1, want: [5n, 126n] },
      { name: 'a /24 with aux addresses', req: local('10.1.0.0/24', { auxAddresses: { a: ip('10.1.0.2'), b: ip('10.1.0.3') } }), statics: [], dynamic: 0, want: [5n, 251n] },
      { name: 'an IPv6 /64', req: local('fd00::/64'), statics: [], dynamic: 1, want: [3n, 2n ** 64n - 3n] },
    ])('reports $name like Docker', ({ req, statics, dynamic, want }) => {
      const { ipam } = setup();
      const p = ipam.requestPool('a', req);
      for (const s of statics) ipam.requestAddress(p.poolId, ip(s));
      for (let i = 0; i < dynamic; i++) ipam.requestAddress(p.poolId);
      const u = ipam.usage(p.poolId);
      expect([u.ipsInUse, u.dynamicIpsAvailable]).toEqual(want);
    });
  });

  describe('listPools', () => {
    it('lists every pool of both spaces', () => {
      const { ipam } = setup();
      ipam.requestPool('a', local());
      ipam.requestPool('b', { addressSpace: 'global' });
      expect(ipam.listPools().map((p) => p.poolId)).toEqual(['local/172.17.0.0/16', 'global/10.0.0.0/24']);
    });
  });
});
