/**
 * A set of bigint values kept as sorted, disjoint, non-adjacent closed intervals.
 *
 * Memory is proportional to the number of intervals, never to the span they cover: a run of
 * 100,000 consecutive allocations inside an IPv6 /64 is one interval. Used for address offsets of
 * large pools and for the union of occupied prefixes when searching a free subnet.
 */
export class RangeSet {
  private starts: bigint[] = [];
  private ends: bigint[] = [];
  private count = 0n;

  /** Number of values in the set. */
  get size(): bigint {
    return this.count;
  }

  /** Number of intervals (what the memory use is proportional to). */
  get intervalCount(): number {
    return this.starts.length;
  }

  has(value: bigint): boolean {
    const i = this.indexAtOrBefore(value);
    return i >= 0 && value <= this.ends[i];
  }

  /** Add every value of [first, last]. */
  add(first: bigint, last: bigint): void {
    if (first > last) return;
    // Intervals that overlap or touch [first, last] are merged into one.
    let lo = this.indexAtOrBefore(first);
    if (lo < 0 || this.ends[lo] < first - 1n) lo++;
    let hi = lo;
    let covered = 0n;
    let start = first;
    let end = last;
    while (hi < this.starts.length && this.starts[hi] <= last + 1n) {
      if (this.starts[hi] < start) start = this.starts[hi];
      if (this.ends[hi] > end) end = this.ends[hi];
      covered += this.ends[hi] - this.starts[hi] + 1n;
      hi++;
    }
    this.count += end - start + 1n - covered;
    if (hi - lo === 1) {
      this.starts[lo] = start;
      this.ends[lo] = end;
    } else {
      this.starts.splice(lo, hi - lo, start);
      this.ends.splice(lo, hi - lo, end);
    }
  }

  /** Remove every value of [first, last]. */
  remove(first: bigint, last: bigint): void {
    if (first > last) return;
    let lo = this.indexAtOrBefore(first);
    if (lo < 0 || this.ends[lo] < first) lo++;
    let hi = lo;
    const keptStarts: bigint[] = [];
    const keptEnds: bigint[] = [];
    while (hi < this.starts.length && this.starts[hi] <= last) {
      const s = this.starts[hi];
      const e = this.ends[hi];
      const cutFirst = s > first ? s : first;
      const cutLast = e < last ? e : last;
      this.count -= cutLast - cutFirst + 1n;
      if (s < first) {
        keptStarts.push(s);
        keptEnds.push(first - 1n);
      }
      if (e > last) {
        keptStarts.push(last + 1n);
        keptEnds.push(e);
      }
      hi++;
    }
    if (hi === lo) return;
    this.starts.splice(lo, hi - lo, ...keptStarts);
    this.ends.splice(lo, hi - lo, ...keptEnds);
  }

  /** The smallest value in [from, to] that is not in the set, or undefined. */
  firstAbsent(from: bigint, to: bigint): bigint | undefined {
    if (from > to) return undefined;
    const i = this.indexAtOrBefore(from);
    if (i < 0 || this.ends[i] < from) return from;
    // Intervals never touch, so the value right after this one is absent.
    const next = this.ends[i] + 1n;
    return next <= to ? next : undefined;
  }

  /** The first interval that intersects [first, last], or undefined. */
  firstIntersecting(first: bigint, last: bigint): { first: bigint; last: bigint } | undefined {
    const i = this.indexOfFirstIntersecting(first, last);
    return i < 0 ? undefined : { first: this.starts[i], last: this.ends[i] };
  }

  /** The end of the first interval that intersects [first, last]; allocates nothing (hot loops). */
  endOfFirstIntersecting(first: bigint, last: bigint): bigint | undefined {
    const i = this.indexOfFirstIntersecting(first, last);
    return i < 0 ? undefined : this.ends[i];
  }

  /** How many values of [first, last] are in the set. */
  countIn(first: bigint, last: bigint): bigint {
    let i = this.indexAtOrBefore(first);
    if (i < 0 || this.ends[i] < first) i++;
    let n = 0n;
    for (; i < this.starts.length && this.starts[i] <= last; i++) {
      const s = this.starts[i] > first ? this.starts[i] : first;
      const e = this.ends[i] < last ? this.ends[i] : last;
      n += e - s + 1n;
    }
    return n;
  }

  /** The intervals, in order (for tests and debugging). */
  intervals(): Array<[bigint, bigint]> {
    return this.starts.map((s, i) => [s, this.ends[i]]);
  }

  clear(): void {
    this.starts = [];
    this.ends = [];
    this.count = 0n;
  }

  private indexOfFirstIntersecting(first: bigint, last: bigint): number {
    let i = this.indexAtOrBefore(first);
    if (i < 0 || this.ends[i] < first) i++;
    return i < this.starts.length && this.starts[i] <= last ? i : -1;
  }

  /** Index of the last interval starting at or before `value`; -1 if none. */
  private indexAtOrBefore(value: bigint): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid] <= value) lo = mid + 1;
      else hi = mid - 1;
    }
    return hi;
  }
}
