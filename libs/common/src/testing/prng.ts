/** A seeded random source (mulberry32), so a failing generated input can be replayed from its seed. */
export class Prng {
  private a: number;

  constructor(readonly seed: number) {
    this.a = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** The seed of a generated suite: `NETD_FUZZ_SEED` to replay one, else the given default. */
export function fuzzSeed(fallback: number): number {
  const s = process.env.NETD_FUZZ_SEED;
  return s && /^\d+$/.test(s) ? Number(s) : fallback;
}

/** The same source as a bare function returning floats in [0, 1). */
export function prng(seed: number): () => number {
  const p = new Prng(seed);
  return () => p.next();
}
