import { Bitmap } from './bitmap';

describe(Bitmap.name, () => {
  describe('nextClear', () => {
    it.each([
      { name: 'an empty map gives the start', size: 100, set: [], from: 5, to: 99, want: 5 },
      { name: 'skips set bits inside a word', size: 100, set: [5, 6, 7], from: 5, to: 99, want: 8 },
      { name: 'skips full words', size: 2048, set: Array.from({ length: 1500 }, (_, i) => i), from: 0, to: 2047, want: 1500 },
      { name: 'stops at the upper bound', size: 100, set: [5, 6], from: 5, to: 6, want: -1 },
      { name: 'never returns padding past the size', size: 33, set: [32], from: 32, to: 40, want: -1 },
      { name: 'handles bit 31 of a word', size: 64, set: [], from: 31, to: 63, want: 31 },
      { name: 'crosses summary words', size: 5000, set: Array.from({ length: 4100 }, (_, i) => i), from: 10, to: 4999, want: 4100 },
    ])('$name', ({ size, set, from, to, want }) => {
      const b = new Bitmap(size);
      for (const i of set) b.set(i);
      expect(b.nextClear(from, to)).toBe(want);
    });

    it('finds a cleared bit again after the word was full', () => {
      const b = new Bitmap(1024);
      for (let i = 0; i < 1024; i++) b.set(i);
      expect(b.nextClear(0, 1023)).toBe(-1);
      b.clear(700);
      expect(b.nextClear(0, 1023)).toBe(700);
      expect(b.count).toBe(1023);
    });
  });

  it('set and clear report whether they changed anything', () => {
    const b = new Bitmap(10);
    expect(b.set(3)).toBe(true);
    expect(b.set(3)).toBe(false);
    expect(b.has(3)).toBe(true);
    expect(b.clear(3)).toBe(true);
    expect(b.clear(3)).toBe(false);
    expect(b.count).toBe(0);
  });

  it('rejects sizes it cannot hold', () => {
    expect(() => new Bitmap(0)).toThrow(RangeError);
    expect(() => new Bitmap(2 ** 31)).toThrow(RangeError);
  });
});
