import { ConflictError, NotFoundError } from '@app/common';
import { IpamState, IpamStore, PoolRecord } from './ipam-store.port';

/**
 * IpamStore in memory, for tests and tools. Stricter than the port requires: a call that the
 * IPAM should never make (an address in an unknown pool, the same address twice, deleting what
 * is not there) throws, so an IPAM bug fails the test that caused it.
 *
 * `new MemoryIpamStore(state)` restores a state that `load()` returned (also after a JSON round trip).
 */
export class MemoryIpamStore extends IpamStore {
  private readonly pools = new Map<string, PoolRecord>();
  // Cursors and addresses live apart from the records so that the allocation path does not copy a record.
  private readonly cursors = new Map<string, string>();
  private readonly addresses = new Map<string, Set<AddressKey>>();

  constructor(initial?: IpamState) {
    super();
    for (const pool of initial?.pools ?? []) this.putPool(pool);
    for (const [poolId, list] of Object.entries(initial?.addresses ?? {})) {
      for (const address of list) this.addAddress(poolId, address);
    }
  }

  load(): IpamState {
    const pools = [...this.pools.values()].map((p) => ({
      ...p,
      auxAddresses: { ...p.auxAddresses },
      cursor: this.cursors.get(p.poolId) ?? p.cursor,
    }));
    const addresses: Record<string, string[]> = {};
    for (const [poolId, set] of this.addresses) if (set.size > 0) addresses[poolId] = [...set].map(textOf);
    return { pools, addresses };
  }

  putPool(pool: PoolRecord): void {
    this.pools.set(pool.poolId, { ...pool, auxAddresses: { ...pool.auxAddresses } });
    this.cursors.set(pool.poolId, pool.cursor);
    if (!this.addresses.has(pool.poolId)) this.addresses.set(pool.poolId, new Set());
  }

  deletePool(poolId: string): void {
    this.mustHave(poolId);
    this.pools.delete(poolId);
    this.cursors.delete(poolId);
    this.addresses.delete(poolId);
  }

  addAddress(poolId: string, address: string): void {
    const set = this.mustHave(poolId);
    const before = set.size;
    if (set.add(keyOf(address)).size === before) {
      throw new ConflictError(`store: address ${address} already stored in pool ${poolId}`);
    }
  }

  deleteAddress(poolId: string, address: string): void {
    if (!this.mustHave(poolId).delete(keyOf(address))) {
      throw new NotFoundError(`store: address ${address} not stored in pool ${poolId}`);
    }
  }

  setCursor(poolId: string, cursor: string): void {
    this.mustHave(poolId);
    this.cursors.set(poolId, cursor);
  }

  /** Number of addresses stored for a pool (for assertions). */
  addressCount(poolId: string): number {
    return this.addresses.get(poolId)?.size ?? 0;
  }

  private mustHave(poolId: string): Set<AddressKey> {
    const set = this.addresses.get(poolId);
    if (!set) throw new NotFoundError(`store: pool ${poolId} not stored`);
    return set;
  }
}

/**
 * A canonical dotted quad is kept as its 32-bit value, anything else as given. A Set of fresh
 * strings slows down as it grows (each probe dereferences the stored strings: the last 1% of a /16
 * costs 2.4x the first), a Set of numbers does not; load() gives the same text back.
 */
type AddressKey = number | string;

function keyOf(text: string): AddressKey {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return text;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return text; // a leading zero is not canonical
      part = part * 10 + (c - 48);
      if (part > 255) return text;
      digits++;
    } else {
      return text;
    }
  }
  return dots === 3 && digits > 0 ? value * 256 + part : text;
}

function textOf(key: AddressKey): string {
  return typeof key === 'string' ? key : `${key >>> 24}.${(key >>> 16) & 255}.${(key >>> 8) & 255}.${key & 255}`;
}
