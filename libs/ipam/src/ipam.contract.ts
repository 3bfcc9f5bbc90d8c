import type { IpAddr, IpFamily, Prefix } from '@app/common';

/** "local" for single-host networks (bridge), "global" for cluster-wide ones (overlay). */
export type AddressSpace = 'local' | 'global';

/**
 * One subnet of a network as the user asked for it, still raw (Docker's IPAM.Config[] entry).
 * `canonicalize()` turns it into a {@link PoolRequest} or throws InvalidParameterError.
 */
export interface RawPoolConfig {
  readonly Subnet?: string;
  readonly IPRange?: string;
  readonly Gateway?: string;
  readonly AuxiliaryAddresses?: Readonly<Record<string, string>>;
}

/** A validated request for one pool: an explicit subnet or "next free" of a family and size. */
export interface PoolRequest {
  readonly addressSpace: AddressSpace;
  /** Explicit subnet in canonical form (host bits cleared). Absent: next free from the defaults. */
  readonly subnet?: Prefix;
  /** Family of a next-free request (ignored when `subnet` is given). */
  readonly family?: IpFamily;
  /** Prefix length of a next-free request; default: the default pool's size. */
  readonly prefixLength?: number;
  /** Dynamic allocations come only from this range (inside the subnet). */
  readonly ipRange?: Prefix;
  /** Gateway; default: the first usable address of the subnet. */
  readonly gateway?: IpAddr;
  /** Reserved addresses, never handed out (Docker's AuxiliaryAddresses). */
  readonly auxAddresses?: Readonly<Record<string, IpAddr>>;
  /** Do not reserve a gateway address (host/none-like or overlay networks without one). */
  readonly noGateway?: boolean;
}

/** What canonicalize() produced, with any warnings to hand back to the user. */
export interface CanonicalPool {
  readonly request: PoolRequest;
  readonly warnings: readonly string[];
}

/** A pool reserved for a network. */
export interface AllocatedPool {
  /** Stable id: `<addressSpace>/<subnet>`. */
  readonly poolId: string;
  readonly networkId: string;
  readonly addressSpace: AddressSpace;
  readonly subnet: Prefix;
  readonly ipRange?: Prefix;
  /** The gateway address, e.g. 172.18.0.1 (its prefix length is the subnet's); absent with noGateway. */
  readonly gateway?: IpAddr;
  readonly auxAddresses: Readonly<Record<string, IpAddr>>;
}

/** Usage of a pool, as Docker's Status.IPAM.Subnets reports it. */
export interface PoolUsage {
  /** Addresses in use, including network/broadcast/gateway/aux reservations. */
  readonly ipsInUse: bigint;
  /** Addresses still available for dynamic allocation. */
  readonly dynamicIpsAvailable: bigint;
}

/**
 * The IPAM contract (libnetwork's ipamapi in TS). Pure except for its {@link IpamStore}; all
 * methods are synchronous so that the daemon can run one store transaction around a whole
 * mutation (network record + pool + addresses).
 */
export interface Ipam {
  /**
   * Reserve a pool for `networkId`. Conflict when the subnet overlaps an allocated pool or a host
   * route (the message names what it overlaps); Unavailable when no default pool is free.
   */
  requestPool(networkId: string, request: PoolRequest): AllocatedPool;

  /** Release a pool and every address in it. NotFound for an unknown pool. */
  releasePool(poolId: string): void;

  /**
   * Allocate an address: `address` if given (Conflict "Address already in use: …" if taken, the
   * gateway or an aux address, as Docker answers `--ip <gateway>`; InvalidParameter if outside
   * the subnet or equal to the network/broadcast address), else the next free one round-robin
   * from the last allocated (Unavailable naming the pool when exhausted). A static address may lie
   * outside the pool's ip-range as long as it is inside the subnet (Docker does the same).
   */
  requestAddress(poolId: string, address?: IpAddr): IpAddr;

  /**
   * Throw what {@link requestAddress} would throw for this static `address` now (outside the
   * subnet, a reservation, already allocated), allocating nothing: container create checks a
   * `--ip` before anything exists; the address is taken at start.
   */
  checkAddress(poolId: string, address: IpAddr): void;

  /**
   * Release an address. NotFound if it was not allocated; InvalidParameter if it is outside the
   * subnet or a reservation (network, broadcast, gateway, aux), which go with the pool.
   */
  releaseAddress(poolId: string, address: IpAddr): void;

  /**
   * Replace the list of host routes that new pools must not overlap (explicit subnets fail with
   * Conflict, next-free skips them). Default routes (/0) are ignored. A route equal to a pool's
   * subnet (its own bridge's) adds nothing while the pool exists, and blocks the subnet after the
   * pool is released for as long as the caller still reports it.
   */
  setHostRoutes(routes: readonly Prefix[]): void;

  /** One host route more, as setHostRoutes with it added (for a caller that follows changes). */
  addHostRoute(route: Prefix): void;

  /** One host route fewer; a span another pool or route covers stays occupied. */
  removeHostRoute(route: Prefix): void;

  getPool(poolId: string): AllocatedPool | undefined;
  /** The pool whose subnet is exactly `subnet`, in either address space (an indexed lookup). */
  poolWithSubnet(subnet: Prefix): AllocatedPool | undefined;
  listPools(): AllocatedPool[];
  usage(poolId: string): PoolUsage;
}
