import { IpAddr, Prefix } from '@app/common';

/** A closed span [first, last] of offsets from a subnet's network address. */
export class Range {
  constructor(
    readonly first: bigint,
    readonly last: bigint,
  ) {}

  get size(): bigint {
    return this.last >= this.first ? this.last - this.first + 1n : 0n;
  }

  contains(offset: bigint): boolean {
    return offset >= this.first && offset <= this.last;
  }
}

/** Why an offset of a pool is never handed out. */
export type Reservation =
  | { readonly kind: 'network' }
  | { readonly kind: 'broadcast' }
  | { readonly kind: 'gateway' }
  | { readonly kind: 'aux'; readonly name: string };

export interface LayoutSpec {
  readonly ipRange?: Prefix;
  readonly gateway?: IpAddr;
  readonly auxAddresses?: Readonly<Record<string, IpAddr>>;
}

/**
 * Where things are inside one pool, as offsets from the network address: the reserved offsets
 * (network, IPv4 broadcast, gateway, aux addresses) and the dynamic range that next-free
 * allocation walks. The inputs are assumed validated (canonicalize.ts).
 */
export class PoolLayout {
  readonly base: bigint;
  readonly size: bigint;
  readonly dynamic: Range;
  readonly reserved: ReadonlyMap<bigint, Reservation>;

  constructor(
    readonly subnet: Prefix,
    spec: LayoutSpec = {},
  ) {
    this.base = subnet.first.value;
    this.size = subnet.size;
    const reserved = new Map<bigint, Reservation>();
    // IPv6 has no broadcast, but offset 0 is the subnet-router anycast address: never hand it out.
    reserved.set(0n, { kind: 'network' });
    if (subnet.family === 4) reserved.set(this.size - 1n, { kind: 'broadcast' });
    for (const [name, ip] of Object.entries(spec.auxAddresses ?? {})) {
      const o = this.offsetOf(ip);
      if (!reserved.has(o)) reserved.set(o, { kind: 'aux', name });
    }
    if (spec.gateway) reserved.set(this.offsetOf(spec.gateway), { kind: 'gateway' });
    this.reserved = reserved;
    this.dynamic = usableRange(subnet, spec.ipRange);
  }

  offsetOf(ip: IpAddr): bigint {
    return ip.value - this.base;
  }

  contains(ip: IpAddr): boolean {
    return this.subnet.contains(ip);
  }

  addressAt(offset: bigint): IpAddr {
    return IpAddr.fromBigInt(this.subnet.family, this.base + offset);
  }
}

/** The offsets next-free allocation may use: the ip-range (or subnet) minus network and broadcast. */
export function usableRange(subnet: Prefix, ipRange?: Prefix): Range {
  const lastUsable = subnet.family === 4 ? subnet.size - 2n : subnet.size - 1n;
  if (!ipRange) return new Range(1n, lastUsable);
  const first = subnet.offsetOf(ipRange.first);
  const last = subnet.offsetOf(ipRange.last);
  return new Range(first > 1n ? first : 1n, last < lastUsable ? last : lastUsable);
}
