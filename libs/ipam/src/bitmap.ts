const FULL = 0xffffffff;

/** Index of the lowest set bit of a non-zero 32-bit value. */
function lowestBit(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/**
 * A fixed-size set of small integers [0, size) as a two-level bitmap: one bit per value, and one
 * summary bit per 32-bit word telling whether that word is full. Finding the next clear bit skips
 * 1,024 taken values per summary word, so a nearly full /16 costs about what an empty one does.
 */
export class Bitmap {
  private readonly words: Uint32Array;
  private readonly full: Uint32Array;
  private setCount = 0;

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1 || size > 2 ** 30) throw new RangeError(`bitmap size ${size}`);
    const nWords = Math.ceil(size / 32);
    this.words = new Uint32Array(nWords);
    this.full = new Uint32Array(Math.ceil(nWords / 32));
    // Padding bits past `size` are set, so they are never found clear and a partial word can fill.
    const tail = size % 32;
    if (tail !== 0) this.words[nWords - 1] = (FULL << tail) >>> 0;
    // Likewise summary bits past the last word.
    const sTail = nWords % 32;
    if (sTail !== 0) this.full[this.full.length - 1] = (FULL << sTail) >>> 0;
  }

  /** Number of values in the set. */
  get count(): number {
    return this.setCount;
  }

  has(i: number): boolean {
    return (this.words[i >>> 5] & (1 << (i & 31))) !== 0;
  }

  /** Add `i`; returns false if it was already there. */
  set(i: number): boolean {
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    const word = this.words[w];
    if ((word & bit) !== 0) return false;
    const next = (word | bit) >>> 0;
    this.words[w] = next;
    if (next === FULL) this.full[w >>> 5] |= 1 << (w & 31);
    this.setCount++;
    return true;
  }

  /** Remove `i`; returns false if it was not there. */
  clear(i: number): boolean {
    const w = i >>> 5;
    const bit = 1 << (i & 31);
    const word = this.words[w];
    if ((word & bit) === 0) return false;
    this.words[w] = word & ~bit;
    this.full[w >>> 5] &= ~(1 << (w & 31));
    this.setCount--;
    return true;
  }

  /** The smallest clear value in [from, to], or -1. */
  nextClear(from: number, to: number): number {
    if (from > to) return -1;
    let w = from >>> 5;
    const free = ~(this.words[w] | ((1 << (from & 31)) - 1));
    if (free !== 0) {
      const i = (w << 5) + lowestBit(free);
      return i <= to ? i : -1;
    }
    w = this.nextNonFullWord(w + 1);
    if (w < 0) return -1;
    const i = (w << 5) + lowestBit(~this.words[w]);
    return i <= to ? i : -1;
  }

  /** The first word at or after `w` that has a clear bit, or -1. */
  private nextNonFullWord(w: number): number {
    const nWords = this.words.length;
    if (w >= nWords) return -1;
    let s = w >>> 5;
    let free = ~(this.full[s] | ((1 << (w & 31)) - 1));
    while (free === 0) {
      if (++s >= this.full.length) return -1;
      free = ~this.full[s];
    }
    return (s << 5) + lowestBit(free);
  }
}
