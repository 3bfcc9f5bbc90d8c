import type { IpamStore, PoolRecord } from '../store/ipam-store.port';

/**
 * The behaviour every IpamStore must have, written once and run against MemoryIpamStore here and
 * against the daemon's SqliteIpamStore (apps/netd/src/store/sqlite-ipam-store.spec.ts). Only what DefaultIpam relies on is pinned;
 * calls DefaultIpam never makes (duplicate address, unknown pool) are left to each store.
 */
export function describeIpamStoreContract(name: string, makeStore: () => IpamStore): void {
  const pool = (poolId: string, extra: Partial<PoolRecord> = {}): PoolRecord => ({
    poolId,
    networkId: 'net-1',
    addressSpace: 'local',
    subnet: poolId.slice(poolId.indexOf('/') + 1),
    gateway: '10.1.0.1',
    auxAddresses: { h: '10.1.0.9' },
    cursor: '1',
    ...extra,
  });

  describe(`IpamStore contract: ${name}`, () => {
    let store: IpamStore;
    beforeEach(() => {
      store = makeStore();
    });

    it('starts empty', () => {
      expect(store.load()).toEqual({ pools: [], addresses: {} });
    });

    it('gives back a pool as it was put, optional fields included', () => {
      const p = pool('local/10.1.0.0/24', { ipRange: '10.1.0.128/25' });
      store.putPool(p);
      expect(store.load().pools).toEqual([p]);
    });

    it('replaces a pool put twice', () => {
      store.putPool(pool('local/10.1.0.0/24'));
      store.putPool(pool('local/10.1.0.0/24', { networkId: 'net-2' }));
      expect(store.load().pools.map((p) => p.networkId)).toEqual(['net-2']);
    });

    it('keeps addresses per pool and forgets a deleted one', () => {
      store.putPool(pool('local/10.1.0.0/24'));
      store.putPool(pool('local/10.2.0.0/24', { gateway: '10.2.0.1', auxAddresses: {} }));
      store.addAddress('local/10.1.0.0/24', '10.1.0.2');
      store.addAddress('local/10.1.0.0/24', '10.1.0.3');
      store.addAddress('local/10.2.0.0/24', '10.2.0.2');
      store.deleteAddress('local/10.1.0.0/24', '10.1.0.2');
      const { addresses } = store.load();
      expect(addresses['local/10.1.0.0/24']).toEqual(['10.1.0.3']);
      expect(addresses['local/10.2.0.0/24']).toEqual(['10.2.0.2']);
    });

    it('deletes a pool with its addresses', () => {
      store.putPool(pool('local/10.1.0.0/24'));
      store.addAddress('local/10.1.0.0/24', '10.1.0.2');
      store.deletePool('local/10.1.0.0/24');
      expect(store.load()).toEqual({ pools: [], addresses: {} });
    });

    it('stores the cursor apart from the record', () => {
      store.putPool(pool('local/10.1.0.0/24'));
      store.setCursor('local/10.1.0.0/24', '77');
      expect(store.load().pools[0].cursor).toBe('77');
    });

    it('loads a state that survives a JSON round trip unchanged', () => {
      store.putPool(pool('local/10.1.0.0/24'));
      store.addAddress('local/10.1.0.0/24', '10.1.0.2');
      const state = store.load();
      expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    });
  });
}
