import { IpAddr, IpFamily, Prefix } from '@app/common';
import type { OverlapOwner } from './ipam.errors';
import type { PoolSpec } from './default-pools';
import { RangeSet } from './range-set';

interface Occupant {
  readonly prefix: Prefix;
  readonly first: bigint;
  readonly last: bigint;
  readonly owner: OverlapOwner;
  readonly poolId?: string;
}

/**
 * Every occupied prefix of both address spaces (allocated pools and host routes), with their
 * union per family as a {@link RangeSet}. The union answers "is this free?" and lets the
 * next-free search jump over a whole occupied run at once; the occupant list names the culprit.
 */
export class PoolIndex {
  private readonly pools = new Map<string, Occupant>();
  private routes: Occupant[] = [];
  private routesKey = '';
  private readonly union: Record<IpFamily, RangeSet> = { 4: new RangeSet(), 6: new RangeSet() };

  addPool(poolId: string, networkId: string, subnet: Prefix): void {
    const o = occupant(subnet, { kind: 'pool', networkId }, poolId);
    this.pools.set(poolId, o);
    this.union[subnet.family].add(o.first, o.last);
  }

  removePool(poolId: string): void {
    const o = this.pools.get(poolId);
    if (!o) return;
    this.pools.delete(poolId);
    const union = this.union[o.prefix.family];
    union.remove(o.first, o.last);
    // Whatever else covered part of the removed span stays occupied.
    for (const other of this.occupants()) {
      if (other.prefix.family === o.prefix.family && other.first <= o.last && other.last >= o.first) {
        union.add(other.first, other.last);
      }
    }
  }

  /** Replace the host routes. Default routes (/0) are ignored: they overlap everything. */
  setRoutes(routes: readonly Prefix[]): void {
    const next = routes.filter((r) => r.length > 0).map((r) => occupant(r.network(), { kind: 'route' }));
    // Asked before every network create, usually with the same routes: rebuilding the union
    // walks every pool, so an unchanged list costs only the comparison.
    const key = next.map((o) => o.prefix.toString()).sort().join(' ');
    if (key === this.routesKey) return;
    this.routesKey = key;
    this.routes = next;
    this.union[4].clear();
    this.union[6].clear();
    for (const o of this.occupants()) this.union[o.prefix.family].add(o.first, o.last);
  }

  /** What `subnet` overlaps (pools before routes), or undefined when it is free. */
  findOverlap(subnet: Prefix): Occupant | undefined {
    const first = subnet.first.value;
    const last = subnet.last.value;
    if (!this.union[subnet.family].firstIntersecting(first, last)) return undefined;
    for (const o of this.occupants()) {
      if (o.prefix.family === subnet.family && o.first <= last && o.last >= first) return o;
    }
    return undefined;
  }

  /**
   * The first subnet, in the order of `specs`, that overlaps nothing. `prefixLength` overrides
   * each spec's size; specs whose base is smaller than that are skipped.
   */
  findFree(specs: readonly PoolSpec[], family: IpFamily, prefixLength?: number): Prefix | undefined {
    const union = this.union[family];
    for (const { base, size } of specs) {
      const len = prefixLength ?? size;
      if (base.family !== family || len < base.length) continue;
      const mask = (1n << BigInt(base.address.bits - len)) - 1n;
      const end = base.last.value;
      let start = base.first.value;
      while (start <= end) {
        const hitEnd = union.endOfFirstIntersecting(start, start | mask);
        if (hitEnd === undefined) return Prefix.of(IpAddr.fromBigInt(family, start), len);
        // Jump past the whole occupied run, to the next subnet boundary.
        start = (hitEnd | mask) + 1n;
      }
    }
    return undefined;
  }

  private occupants(): IterableIterator<Occupant> | Occupant[] {
    return this.routes.length === 0 ? this.pools.values() : [...this.pools.values(), ...this.routes];
  }
}

function occupant(prefix: Prefix, owner: OverlapOwner, poolId?: string): Occupant {
  return { prefix, first: prefix.first.value, last: prefix.last.value, owner, poolId };
}
