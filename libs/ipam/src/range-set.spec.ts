import { RangeSet } from './range-set';

/** A tiny deterministic PRNG so that random tests replay the same way. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe(RangeSet.name, () => {
  describe('add', () => {
    it.each([
      { name: 'merges touching intervals', adds: [[1, 3], [4, 6]], want: [[1, 6]], size: 6 },
      { name: 'keeps a gap of one apart', adds: [[1, 3], [5, 6]], want: [[1, 3], [5, 6]], size: 5 },
      { name: 'swallows covered intervals', adds: [[2, 2], [5, 5], [8, 9], [1, 10]], want: [[1, 10]], size: 10 },
      { name: 'counts overlap once', adds: [[1, 5], [3, 8]], want: [[1, 8]], size: 8 },
      { name: 'inserts before the first', adds: [[10, 12], [1, 2]], want: [[1, 2], [10, 12]], size: 5 },
      { name: 'bridges two intervals', adds: [[1, 2], [6, 7], [3, 5]], want: [[1, 7]], size: 7 },
    ])('$name', ({ adds, want, size }) => {
      const s = new RangeSet();
      for (const [a, b] of adds) s.add(BigInt(a), BigInt(b));
      expect(s.intervals()).toEqual(want.map(([a, b]) => [BigInt(a), BigInt(b)]));
      expect(s.size).toBe(BigInt(size));
    });
  });

  describe('remove', () => {
    it('splits an interval and keeps the count', () => {
      const s = new RangeSet();
      s.add(0n, 9n);
      s.remove(3n, 5n);
      expect(s.intervals()).toEqual([[0n, 2n], [6n, 9n]]);
      expect(s.size).toBe(7n);
    });

    it('removes across several intervals and ignores absent values', () => {
      const s = new RangeSet();
      s.add(0n, 2n);
      s.add(5n, 7n);
      s.add(10n, 12n);
      s.remove(1n, 11n);
      expect(s.intervals()).toEqual([[0n, 0n], [12n, 12n]]);
      expect(s.size).toBe(2n);
      s.remove(20n, 30n);
      expect(s.size).toBe(2n);
    });
  });

  describe('firstAbsent', () => {
    it('finds the value after a run, or nothing past the bound', () => {
      const s = new RangeSet();
      s.add(1n, 5n);
      expect(s.firstAbsent(0n, 10n)).toBe(0n);
      expect(s.firstAbsent(1n, 10n)).toBe(6n);
      expect(s.firstAbsent(3n, 5n)).toBeUndefined();
      expect(s.firstAbsent(7n, 6n)).toBeUndefined();
    });
  });

  describe('firstIntersecting and countIn', () => {
    it('answers for spans inside, across and outside the intervals', () => {
      const s = new RangeSet();
      s.add(10n, 19n);
      s.add(30n, 39n);
      expect(s.firstIntersecting(0n, 9n)).toBeUndefined();
      expect(s.firstIntersecting(0n, 10n)).toEqual({ first: 10n, last: 19n });
      expect(s.firstIntersecting(20n, 35n)).toEqual({ first: 30n, last: 39n });
      expect(s.countIn(15n, 34n)).toBe(10n);
      expect(s.countIn(40n, 50n)).toBe(0n);
    });
  });

  it('agrees with a plain Set over 20,000 random operations', () => {
    const rand = rng(42);
    const s = new RangeSet();
    const model = new Set<number>();
    for (let i = 0; i < 20_000; i++) {
      const a = Math.floor(rand() * 200);
      const b = a + Math.floor(rand() * 5);
      if (rand() < 0.6) {
        s.add(BigInt(a), BigInt(b));
        for (let v = a; v <= b; v++) model.add(v);
      } else {
        s.remove(BigInt(a), BigInt(b));
        for (let v = a; v <= b; v++) model.delete(v);
      }
      const probe = Math.floor(rand() * 210);
      expect(s.has(BigInt(probe))).toBe(model.has(probe));
      let absent = probe;
      while (model.has(absent)) absent++;
      expect(s.firstAbsent(BigInt(probe), 1000n)).toBe(BigInt(absent));
    }
    expect(s.size).toBe(BigInt(model.size));
    const flat = s.intervals().flatMap(([a, b]) => Array.from({ length: Number(b - a + 1n) }, (_, k) => Number(a) + k));
    expect(flat).toEqual([...model].sort((x, y) => x - y));
  });
});
