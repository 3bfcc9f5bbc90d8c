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

const LINK_LOCAL_6 = Prefix.parse('fe80::/10');

/**
 * IPv6 link-local routes (fe80::/64 on every interface with IPv6) say nothing about where a
 * subnet is reachable: dockerd takes an `fe80::/64` network although the host routes it.
 */
function isLinkLocal6(route: Prefix): boolean {
  return route.family === 6 && route.length >= LINK_LOCAL_6.length && LINK_LOCAL_6.contains(route.address);
}

/**
 * Every occupied prefix of both address spaces (allocated pools and host routes), with their
 * union per family as a {@link RangeSet}. The union answers "is this free?" and lets the
 * next-free search jump over a whole occupied run at once; the occupant list names the culprit.
 */
export class PoolIndex {
  private readonly pools = new Map<string, Occupant>();
  /** Host routes by their prefix's text. */
  private routes = new Map<string, Occupant>();
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
    this.uncover(o);
  }

  /** Take `o`'s span out of the union, then put back whatever other occupant still covers part of it. */
  private uncover(o: Occupant): void {
    const union = this.union[o.prefix.family];
    union.remove(o.first, o.last);
    // Whatever else covered part of the removed span stays occupied.
    for (const other of this.occupants()) {
      if (other.prefix.family === o.prefix.family && other.first <= o.last && other.last >= o.first) {
        union.add(other.first, other.last);
      }
    }
  }

  /**
   * Replace the host routes. Default routes (/0) and IPv6 link-local ones are ignored. A route
   * equal to a pool's subnet (that pool's own bridge) adds nothing while the pool exists, and
   * keeps the span occupied after the pool is released, for as long as the route is there.
   */
  setRoutes(routes: readonly Prefix[]): void {
    const next = new Map<string, Occupant>();
    for (const r of routes) {
      if (r.length === 0 || isLinkLocal6(r)) continue;
      const o = occupant(r.network(), { kind: 'route' });
      next.set(o.prefix.toString(), o);
    }
    // Unchanged routes cost only the comparison: rebuilding the union walks every pool.
    if (next.size === this.routes.size && [...next.keys()].every((k) => this.routes.has(k))) return;
    this.routes = next;
    this.union[4].clear();
    this.union[6].clear();
    for (const o of this.occupants()) this.union[o.prefix.family].add(o.first, o.last);
  }

  /** One host route more (as setRoutes with it added): O(log n). */
  addRoute(route: Prefix): void {
    if (route.length === 0 || isLinkLocal6(route)) return;
    const o = occupant(route.network(), { kind: 'route' });
    const key = o.prefix.toString();
    if (this.routes.has(key)) return;
    this.routes.set(key, o);
    this.union[o.prefix.family].add(o.first, o.last);
  }

  /** One host route fewer; what else covers its span stays occupied. */
  removeRoute(route: Prefix): void {
    const key = route.network().toString();
    const o = this.routes.get(key);
    if (!o) return;
    this.routes.delete(key);
    this.uncover(o);
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
    return this.routes.size === 0 ? this.pools.values() : [...this.pools.values(), ...this.routes.values()];
  }
}

function occupant(prefix: Prefix, owner: OverlapOwner, poolId?: string): Occupant {
  return { prefix, first: prefix.first.value, last: prefix.last.value, owner, poolId };
}
