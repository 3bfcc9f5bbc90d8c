import { describeIpamStoreContract } from '../testing';
import { MemoryIpamStore } from './memory-ipam-store';
import type { PoolRecord } from './ipam-store.port';

describeIpamStoreContract(MemoryIpamStore.name, () => new MemoryIpamStore());

describe(MemoryIpamStore.name, () => {
  const record: PoolRecord = {
    poolId: 'local/10.1.0.0/24',
    networkId: 'n',
    addressSpace: 'local',
    subnet: '10.1.0.0/24',
    auxAddresses: {},
    cursor: '1',
  };

  describe('constructor', () => {
    it('restores a state that load() returned', () => {
      const a = new MemoryIpamStore();
      a.putPool(record);
      a.addAddress(record.poolId, '10.1.0.2');
      a.setCursor(record.poolId, '2');
      const b = new MemoryIpamStore(JSON.parse(JSON.stringify(a.load())));
      expect(b.load()).toEqual(a.load());
    });
  });

  describe('invariants', () => {
    it.each([
      { name: 'an address in an unknown pool', run: (s: MemoryIpamStore) => s.addAddress('nope', '10.1.0.2'), kind: 'not-found', message: 'store: pool nope not stored' },
      { name: 'the same address twice', run: (s: MemoryIpamStore) => s.addAddress(record.poolId, '10.1.0.5'), kind: 'conflict', message: 'store: address 10.1.0.5 already stored in pool local/10.1.0.0/24' },
      { name: 'deleting an address that is not there', run: (s: MemoryIpamStore) => s.deleteAddress(record.poolId, '10.1.0.6'), kind: 'not-found', message: 'store: address 10.1.0.6 not stored in pool local/10.1.0.0/24' },
      { name: 'deleting an unknown pool', run: (s: MemoryIpamStore) => s.deletePool('nope'), kind: 'not-found', message: 'store: pool nope not stored' },
      { name: 'a cursor for an unknown pool', run: (s: MemoryIpamStore) => s.setCursor('nope', '3'), kind: 'not-found', message: 'store: pool nope not stored' },
    ])('rejects $name and changes nothing', ({ run, kind, message }) => {
      const s = new MemoryIpamStore();
      s.putPool(record);
      s.addAddress(record.poolId, '10.1.0.5');
      const before = s.load();
      expect(() => run(s)).toThrow(expect.objectContaining({ kind, message }));
      expect(s.load()).toEqual(before);
    });
  });

  it('gives back every address text exactly as it was added', () => {
    const s = new MemoryIpamStore();
    s.putPool(record);
    const texts = ['10.1.0.2', '0.0.0.0', '255.255.255.255', '010.1.0.2', '10.1.0', '10.1.0.2.5', '10.1.0.256', 'fd00::1', 'x'];
    for (const t of texts) s.addAddress(record.poolId, t);
    expect(s.load().addresses[record.poolId]).toEqual(texts);
    s.deleteAddress(record.poolId, '10.1.0.2');
    expect(s.load().addresses[record.poolId]).toEqual(texts.slice(1));
  });

  it('does not let a caller change stored records through load()', () => {
    const s = new MemoryIpamStore();
    s.putPool({ ...record, auxAddresses: { a: '10.1.0.9' } });
    (s.load().pools[0].auxAddresses as Record<string, string>).a = 'changed';
    expect(s.load().pools[0].auxAddresses).toEqual({ a: '10.1.0.9' });
  });
});
