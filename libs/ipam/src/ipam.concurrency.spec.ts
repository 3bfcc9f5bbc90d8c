import { Prefix } from '@app/common';
import { DefaultIpam } from './ipam';
import { MemoryIpamStore } from './store/memory-ipam-store';

/**
 * In the spirit of CNI host-local's parallel_test.go: many interleaved async callers on one pool.
 * Each takes an address, holds it across random awaits, and gives it back; the pool is smaller
 * than the number of callers, so some meet exhaustion and retry.
 */
describe('DefaultIpam under interleaved async callers', () => {
  it('never hands out an address that is held, and ends with everything released', async () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const pause = () =>
      new Promise<void>((resolve) => (rand() < 0.5 ? setImmediate(resolve) : queueMicrotask(resolve)));
    const store = new MemoryIpamStore();
    const ipam = new DefaultIpam({ store });
    const pool = ipam.requestPool('n', { addressSpace: 'local', subnet: Prefix.parse('10.1.0.0/24') });
    const held = new Set<string>();
    let duplicates = 0;
    let exhausted = 0;
    let served = 0;

    const caller = async () => {
      await pause();
      for (;;) {
        let addr;
        try {
          addr = ipam.requestAddress(pool.poolId);
        } catch (e) {
          expect(e).toMatchObject({ kind: 'unavailable', message: 'no available addresses in pool 10.1.0.0/24' });
          exhausted++;
          await pause();
          continue;
        }
        const key = addr.toString();
        if (held.has(key)) duplicates++;
        held.add(key);
        served++;
        for (let i = Math.floor(rand() * 4); i >= 0; i--) await pause();
        held.delete(key);
        ipam.releaseAddress(pool.poolId, addr);
        return;
      }
    };

    await Promise.all(Array.from({ length: 2000 }, caller));
    expect(duplicates).toBe(0);
    expect(served).toBe(2000);
    expect(exhausted).toBeGreaterThan(0);
    expect(store.addressCount(pool.poolId)).toBe(0);
    expect(ipam.usage(pool.poolId)).toEqual({ ipsInUse: 3n, dynamicIpsAvailable: 253n });
    // 2,000 callers take about a second alone and over 4 s beside the other suites on two cores
  }, 30_000);
});
