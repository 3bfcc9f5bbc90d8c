import { IpAddr } from '@app/common';
import { Bitmap } from './bitmap';
import { RangeSet } from './range-set';
import { PoolLayout, Reservation } from './range';

/**
 * The addresses of one pool: which are taken, and where round-robin allocation continues.
 *
 * A slot is an opaque position in the pool (the offset from the network address, as a number
 * for bitmap pools and a bigint otherwise); the caller only hands slots back. Reserved offsets
 * (network, broadcast, gateway, aux) are taken from the start and can never be released.
 *
 * `find*` methods change nothing, so the caller can write its store first and `take` only when
 * that succeeded.
 */
export interface AddressAllocator<S = unknown> {
  readonly layout: PoolLayout;
  /** The first free slot of the dynamic range after the cursor, wrapping once; undefined when full. */
  findNext(): S | undefined;
  /** The slot of an address inside the subnet (the caller checks `layout.contains` first). */
  slotOf(ip: IpAddr): S;
  reservationAt(slot: S): Reservation | undefined;
  isTaken(slot: S): boolean;
  /** Mark a slot taken; `dynamic` moves the round-robin cursor to it. */
  take(slot: S, dynamic: boolean): void;
  release(slot: S): void;
  addressAt(slot: S): IpAddr;
  /** Canonical text of the address at `slot` (what the store keeps). */
  textAt(slot: S): string;
  /** The cursor as stored once `slot` was taken dynamically (decimal offset). */
  cursorTextFor(slot: S): string;
  /** The current cursor as stored. */
  readonly cursorText: string;
  /** Restore a stored cursor; throws RangeError if it does not fit the dynamic range. */
  restoreCursor(text: string): void;
  /** Taken slots, reservations included. */
  inUse(): bigint;
  /** Free slots left in the dynamic range. */
  dynamicAvailable(): bigint;
}

/** Pools up to this many host bits (IPv4 /8) get a bitmap; bigger ones an interval set. */
export const BITMAP_MAX_HOST_BITS = 24;

export type AllocatorKind = 'bitmap' | 'ranges';

export function createAllocator(layout: PoolLayout, kind?: AllocatorKind): AddressAllocator {
  const chosen =
    kind ?? (layout.subnet.family === 4 && layout.subnet.hostBits <= BITMAP_MAX_HOST_BITS ? 'bitmap' : 'ranges');
  return chosen === 'bitmap' ? new BitmapAllocator(layout) : new RangeSetAllocator(layout);
}

/** IPv4 pools: number offsets, no bigint or IpAddr on the allocation path until the caller asks. */
export class BitmapAllocator implements AddressAllocator<number> {
  private readonly bits: Bitmap;
  private readonly baseNum: number;
  private readonly lo: number;
  private readonly hi: number;
  private cursor: number;
  private takenInRange = 0;

  constructor(readonly layout: PoolLayout) {
    if (layout.subnet.family !== 4 || layout.subnet.hostBits > BITMAP_MAX_HOST_BITS) {
      throw new RangeError(`no bitmap allocator for ${layout.subnet}`);
    }
    this.bits = new Bitmap(Number(layout.size));
    this.baseNum = Number(layout.base);
    this.lo = Number(layout.dynamic.first);
    this.hi = Number(layout.dynamic.last);
    this.cursor = this.lo - 1;
    for (const offset of layout.reserved.keys()) this.take(Number(offset), false);
  }

  findNext(): number | undefined {
    const start = this.cursor + 1 > this.hi ? this.lo : this.cursor + 1;
    let i = this.bits.nextClear(start, this.hi);
    if (i < 0 && start > this.lo) i = this.bits.nextClear(this.lo, start - 1);
    return i < 0 ? undefined : i;
  }

  slotOf(ip: IpAddr): number {
    return Number(ip.value) - this.baseNum;
  }

  reservationAt(slot: number): Reservation | undefined {
    return this.layout.reserved.get(BigInt(slot));
  }

  isTaken(slot: number): boolean {
    return this.bits.has(slot);
  }

  take(slot: number, dynamic: boolean): void {
    if (this.bits.set(slot) && slot >= this.lo && slot <= this.hi) this.takenInRange++;
    if (dynamic) this.cursor = slot;
  }

  release(slot: number): void {
    if (this.bits.clear(slot) && slot >= this.lo && slot <= this.hi) this.takenInRange--;
  }

  addressAt(slot: number): IpAddr {
    return IpAddr.fromBigInt(4, BigInt(this.baseNum + slot));
  }

  textAt(slot: number): string {
    const n = this.baseNum + slot;
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }

  cursorTextFor(slot: number): string {
    return String(slot);
  }

  get cursorText(): string {
    return String(this.cursor);
  }

  restoreCursor(text: string): void {
    const c = Number(text);
    if (!/^[0-9]+$/.test(text) || c < this.lo - 1 || c > this.hi) throw new RangeError(`cursor ${text}`);
    this.cursor = c;
  }

  inUse(): bigint {
    return BigInt(this.bits.count);
  }

  dynamicAvailable(): bigint {
    return BigInt(this.hi - this.lo + 1 - this.takenInRange);
  }
}

/** Any pool, IPv6 /64 included: memory grows with the number of runs of taken slots only. */
export class RangeSetAllocator implements AddressAllocator<bigint> {
  private readonly taken = new RangeSet();
  private readonly lo: bigint;
  private readonly hi: bigint;
  private cursor: bigint;

  constructor(readonly layout: PoolLayout) {
    this.lo = layout.dynamic.first;
    this.hi = layout.dynamic.last;
    this.cursor = this.lo - 1n;
    for (const offset of layout.reserved.keys()) this.take(offset, false);
  }

  findNext(): bigint | undefined {
    const start = this.cursor + 1n > this.hi ? this.lo : this.cursor + 1n;
    const found = this.taken.firstAbsent(start, this.hi);
    if (found !== undefined || start === this.lo) return found;
    return this.taken.firstAbsent(this.lo, start - 1n);
  }

  slotOf(ip: IpAddr): bigint {
    return this.layout.offsetOf(ip);
  }

  reservationAt(slot: bigint): Reservation | undefined {
    return this.layout.reserved.get(slot);
  }

  isTaken(slot: bigint): boolean {
    return this.taken.has(slot);
  }

  take(slot: bigint, dynamic: boolean): void {
    this.taken.add(slot, slot);
    if (dynamic) this.cursor = slot;
  }

  release(slot: bigint): void {
    this.taken.remove(slot, slot);
  }

  addressAt(slot: bigint): IpAddr {
    return this.layout.addressAt(slot);
  }

  textAt(slot: bigint): string {
    return this.addressAt(slot).toString();
  }

  cursorTextFor(slot: bigint): string {
    return slot.toString();
  }

  get cursorText(): string {
    return this.cursor.toString();
  }

  restoreCursor(text: string): void {
    if (!/^[0-9]+$/.test(text)) throw new RangeError(`cursor ${text}`);
    const c = BigInt(text);
    if (c < this.lo - 1n || c > this.hi) throw new RangeError(`cursor ${text}`);
    this.cursor = c;
  }

  inUse(): bigint {
    return this.taken.size;
  }

  dynamicAvailable(): bigint {
    return this.layout.dynamic.size - this.taken.countIn(this.lo, this.hi);
  }

  /** Runs of taken slots (what memory is proportional to). */
  get intervalCount(): number {
    return this.taken.intervalCount;
  }
}
