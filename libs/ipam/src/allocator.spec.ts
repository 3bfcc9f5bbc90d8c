import { IpAddr, Prefix } from '@app/common';
import { AddressAllocator, AllocatorKind, BitmapAllocator, createAllocator, RangeSetAllocator } from './allocator';
import { LayoutSpec, PoolLayout } from './range';

const ip = IpAddr.parse;

function make(kind: AllocatorKind, subnet: string, spec: LayoutSpec = {}): AddressAllocator {
  return createAllocator(new PoolLayout(Prefix.parse(subnet), spec), kind);
}

/** Take the next `n` dynamic addresses, as text. */
function takeNext(a: AddressAllocator, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const slot = a.findNext();
    if (slot === undefined) break;
    a.take(slot, true);
    out.push(a.textAt(slot));
  }
  return out;
}

describe('AddressAllocator', () => {
  describe.each<AllocatorKind>(['bitmap', 'ranges'])('%s', (kind) => {
    it('skips network, gateway and broadcast', () => {
      const a = make(kind, '10.1.0.0/29', { gateway: ip('10.1.0.1') });
      expect(takeNext(a, 10)).toEqual(['10.1.0.2', '10.1.0.3', '10.1.0.4', '10.1.0.5', '10.1.0.6']);
      expect(a.findNext()).toBeUndefined();
    });

    it('skips aux addresses', () => {
      const a = make(kind, '10.1.0.0/29', { gateway: ip('10.1.0.1'), auxAddresses: { h: ip('10.1.0.3') } });
      expect(takeNext(a, 2)).toEqual(['10.1.0.2', '10.1.0.4']);
    });

    it('hands out a released address only after the range wraps', () => {
      const a = make(kind, '10.1.0.0/29', { gateway: ip('10.1.0.1') });
      takeNext(a, 2);
      a.release(a.slotOf(ip('10.1.0.2')));
      expect(takeNext(a, 4)).toEqual(['10.1.0.4', '10.1.0.5', '10.1.0.6', '10.1.0.2']);
    });

    it('keeps dynamic allocation inside the ip-range', () => {
      const a = make(kind, '10.1.0.0/24', { gateway: ip('10.1.0.1'), ipRange: Prefix.parse('10.1.0.128/30') });
      expect(takeNext(a, 9)).toEqual(['10.1.0.128', '10.1.0.129', '10.1.0.130', '10.1.0.131']);
    });

    it('does not move the cursor for static addresses', () => {
      const a = make(kind, '10.1.0.0/24', { gateway: ip('10.1.0.1') });
      a.take(a.slotOf(ip('10.1.0.50')), false);
      expect(takeNext(a, 1)).toEqual(['10.1.0.2']);
      expect(a.cursorText).toBe('2');
    });

    it('counts reservations in use and dynamic addresses left', () => {
      const a = make(kind, '10.1.0.0/24', { gateway: ip('10.1.0.1') });
      expect([a.inUse(), a.dynamicAvailable()]).toEqual([3n, 253n]);
      takeNext(a, 3);
      a.take(a.slotOf(ip('10.1.0.200')), false);
      expect([a.inUse(), a.dynamicAvailable()]).toEqual([7n, 249n]);
    });

    it('restores a cursor and rejects one outside the range', () => {
      const a = make(kind, '10.1.0.0/24', { gateway: ip('10.1.0.1') });
      a.restoreCursor('100');
      expect(takeNext(a, 1)).toEqual(['10.1.0.101']);
      expect(() => a.restoreCursor('255')).toThrow(RangeError);
      expect(() => a.restoreCursor('x')).toThrow(RangeError);
    });

    it('starts again at the bottom after the last usable address', () => {
      const a = make(kind, '10.1.0.0/24', { gateway: ip('10.1.0.1') });
      a.restoreCursor('254');
      expect(takeNext(a, 1)).toEqual(['10.1.0.2']);
    });
  });

  describe(createAllocator.name, () => {
    it.each([
      { subnet: '10.0.0.0/16', want: BitmapAllocator },
      { subnet: '10.0.0.0/8', want: BitmapAllocator },
      { subnet: '10.0.0.0/7', want: RangeSetAllocator },
      { subnet: 'fd00::/120', want: RangeSetAllocator },
      { subnet: 'fd00::/64', want: RangeSetAllocator },
    ])('picks $want.name for $subnet', ({ subnet, want }) => {
      expect(createAllocator(new PoolLayout(Prefix.parse(subnet)))).toBeInstanceOf(want);
    });
  });

  describe(RangeSetAllocator.name, () => {
    it('allocates in a /64 without its memory growing with the range', () => {
      const a = make('ranges', 'fd00:1:2:3::/64', { gateway: ip('fd00:1:2:3::1') }) as RangeSetAllocator;
      const got = takeNext(a, 10_000);
      expect(got[0]).toBe('fd00:1:2:3::2');
      expect(got[9_999]).toBe('fd00:1:2:3::2711');
      expect(a.intervalCount).toBe(1);
      expect(a.dynamicAvailable()).toBe(2n ** 64n - 1n - 10_001n);
    });

    it('uses the last address of an IPv6 subnet (no broadcast)', () => {
      const a = make('ranges', 'fd00::/126', { gateway: ip('fd00::1') });
      expect(takeNext(a, 5)).toEqual(['fd00::2', 'fd00::3']);
    });
  });
});
