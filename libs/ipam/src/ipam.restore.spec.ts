import { IpAddr, Prefix } from '@app/common';
import { DefaultIpam } from './ipam';
import { MemoryIpamStore } from './store/memory-ipam-store';
import type { IpamState, PoolRecord } from './store/ipam-store.port';

/** A fixed mix of pools, static and dynamic allocations and releases. */
function history(ipam: DefaultIpam): string[] {
  const v4 = ipam.requestPool('net-a', { addressSpace: 'local', subnet: Prefix.parse('10.1.0.0/28'), auxAddresses: { r: IpAddr.parse('10.1.0.7') } });
  const v6 = ipam.requestPool('net-a', { addressSpace: 'local', family: 6 });
  const ov = ipam.requestPool('net-b', { addressSpace: 'global', ipRange: undefined });
  const got: string[] = [];
  for (let i = 0; i < 6; i++) got.push(ipam.requestAddress(v4.poolId).toString());
  ipam.requestAddress(v4.poolId, IpAddr.parse('10.1.0.13'));
  ipam.releaseAddress(v4.poolId, IpAddr.parse('10.1.0.3'));
  ipam.releaseAddress(v4.poolId, IpAddr.parse('10.1.0.5'));
  for (let i = 0; i < 3; i++) got.push(ipam.requestAddress(v6.poolId).toString());
  ipam.releaseAddress(v6.poolId, IpAddr.parse(got[got.length - 2]));
  got.push(ipam.requestAddress(ov.poolId).toString());
  return got;
}

/** What comes next: enough allocations to wrap the v4 pool. */
function future(ipam: DefaultIpam): string[] {
  const got: string[] = [];
  for (const p of ipam.listPools()) {
    for (let i = 0; i < 8; i++) {
      try {
        got.push(ipam.requestAddress(p.poolId).toString());
      } catch (e) {
        got.push(`error: ${(e as Error).message}`);
      }
    }
  }
  got.push(ipam.requestPool('net-c', { addressSpace: 'local' }).subnet.toString());
  return got;
}

describe('DefaultIpam restart', () => {
  it('a new instance over the same store continues exactly like an uninterrupted one', () => {
    const straight = new DefaultIpam({ store: new MemoryIpamStore(), hostId: 'h' });
    history(straight);
    const expected = future(straight);

    const store = new MemoryIpamStore();
    history(new DefaultIpam({ store, hostId: 'h' }));
    const restarted = new DefaultIpam({ store, hostId: 'h' });
    expect(future(restarted)).toEqual(expected);
    expect(expected.slice(0, 8)).toEqual(['10.1.0.9', '10.1.0.10', '10.1.0.11', '10.1.0.12', '10.1.0.14', '10.1.0.3', '10.1.0.5', 'error: no available addresses in pool 10.1.0.0/28']);
    expect(expected).toContain('error: no available addresses in pool 10.1.0.0/28');
  });

  it('restores from a state that went through JSON', () => {
    const store = new MemoryIpamStore();
    const first = new DefaultIpam({ store, hostId: 'h' });
    history(first);
    const copy = new MemoryIpamStore(JSON.parse(JSON.stringify(store.load())) as IpamState);
    const second = new DefaultIpam({ store: copy, hostId: 'h' });
    expect(second.listPools()).toEqual(first.listPools());
    for (const p of first.listPools()) expect(second.usage(p.poolId)).toEqual(first.usage(p.poolId));
    expect(future(second)).toEqual(future(first));
  });

  it('keeps restored pools and addresses taken', () => {
    const store = new MemoryIpamStore();
    const first = new DefaultIpam({ store });
    const p = first.requestPool('a', { addressSpace: 'local', subnet: Prefix.parse('10.1.0.0/24') });
    first.requestAddress(p.poolId, IpAddr.parse('10.1.0.50'));
    const second = new DefaultIpam({ store });
    expect(() => second.requestPool('b', { addressSpace: 'local', subnet: Prefix.parse('10.1.0.0/25') })).toThrow(
      expect.objectContaining({ kind: 'conflict' }),
    );
    expect(() => second.requestAddress(p.poolId, IpAddr.parse('10.1.0.50'))).toThrow(
      expect.objectContaining({ kind: 'conflict', message: 'Address already in use: 10.1.0.50 is already allocated in 10.1.0.0/24' }),
    );
  });

  describe('corrupt state', () => {
    const good: PoolRecord = {
      poolId: 'local/10.1.0.0/24',
      networkId: 'n',
      addressSpace: 'local',
      subnet: '10.1.0.0/24',
      gateway: '10.1.0.1',
      auxAddresses: {},
      cursor: '0',
    };
    it.each<{ name: string; state: IpamState; message: string }>([
      { name: 'an unparsable subnet', state: { pools: [{ ...good, subnet: 'x' }], addresses: {} }, message: 'corrupt IPAM state: pool local/10.1.0.0/24' },
      { name: 'a pool id that does not match', state: { pools: [{ ...good, poolId: 'global/10.1.0.0/24' }], addresses: {} }, message: 'corrupt IPAM state: pool global/10.1.0.0/24' },
      { name: 'a cursor outside the range', state: { pools: [{ ...good, cursor: '300' }], addresses: {} }, message: 'corrupt IPAM state: pool local/10.1.0.0/24' },
      { name: 'overlapping pools', state: { pools: [good, { ...good, poolId: 'global/10.1.0.0/25', addressSpace: 'global', subnet: '10.1.0.0/25' }], addresses: {} }, message: 'corrupt IPAM state: pool global/10.1.0.0/25 overlaps 10.1.0.0/24' },
      { name: 'an address outside its pool', state: { pools: [good], addresses: { [good.poolId]: ['10.2.0.5'] } }, message: 'corrupt IPAM state: address 10.2.0.5 of pool local/10.1.0.0/24' },
      { name: 'an address on the gateway', state: { pools: [good], addresses: { [good.poolId]: ['10.1.0.1'] } }, message: 'corrupt IPAM state: address 10.1.0.1 of pool local/10.1.0.0/24' },
      { name: 'an address in non-canonical form', state: { pools: [{ ...good, poolId: 'local/fd00::/64', subnet: 'fd00::/64', gateway: 'fd00::1' }], addresses: { 'local/fd00::/64': ['FD00::5'] } }, message: 'corrupt IPAM state: address FD00::5 of pool local/fd00::/64' },
    ])('refuses to start from $name', ({ state, message }) => {
      const store = new MemoryIpamStore();
      for (const p of state.pools) store.putPool(p);
      for (const [id, list] of Object.entries(state.addresses)) for (const a of list) store.addAddress(id, a);
      expect(() => new DefaultIpam({ store })).toThrow(expect.objectContaining({ kind: 'system', message }));
    });
  });
});
