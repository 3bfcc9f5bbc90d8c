import { InvalidParameterError, IpAddr, IpFamily, Prefix } from '@app/common';
import { AddressAllocator, createAllocator } from './allocator';
import { checkPoolRequest, defaultGateway } from './canonicalize';
import { DEFAULT_GLOBAL_POOLS, DEFAULT_LOCAL_POOLS, PoolSpec, ULA_SUBNET_SIZE, ulaPrefix } from './default-pools';
import type { AddressSpace, AllocatedPool, Ipam, PoolRequest, PoolUsage } from './ipam.contract';
import * as errors from './ipam.errors';
import { PoolIndex } from './pool-index';
import { PoolLayout } from './range';
import { IpamState, IpamStore, PoolRecord } from './store/ipam-store.port';

export interface DefaultIpamOptions {
  readonly store: IpamStore;
  /** dockerd's `default-address-pools`; default {@link DEFAULT_LOCAL_POOLS}. */
  readonly localPools?: readonly PoolSpec[];
  /** Pools for overlay networks; default {@link DEFAULT_GLOBAL_POOLS}. */
  readonly globalPools?: readonly PoolSpec[];
  /** Seeds the ULA /48 that IPv6 pools come from when no IPv6 base is configured. */
  readonly hostId?: string;
}

interface PoolEntry {
  readonly pool: AllocatedPool;
  readonly alloc: AddressAllocator;
}

/**
 * The default IPAM (libnetwork's "default" driver): pools from predefined bases, round-robin
 * addresses, state in an {@link IpamStore}. Every mutation writes the store first and changes
 * memory only once the store accepted it, so a failing store leaves both unchanged.
 * A new instance over the same store resumes exactly where the last one stopped, cursors included.
 */
export class DefaultIpam implements Ipam {
  private readonly store: IpamStore;
  private readonly specs: Record<AddressSpace, readonly PoolSpec[]>;
  private readonly ula: readonly PoolSpec[];
  private readonly pools = new Map<string, PoolEntry>();
  private readonly index = new PoolIndex();

  constructor(opts: DefaultIpamOptions) {
    this.store = opts.store;
    this.ula = opts.hostId === undefined ? [] : [{ base: ulaPrefix(opts.hostId), size: ULA_SUBNET_SIZE }];
    this.specs = {
      local: this.withUla(opts.localPools ?? DEFAULT_LOCAL_POOLS),
      global: this.withUla(opts.globalPools ?? DEFAULT_GLOBAL_POOLS),
    };
    this.restore(this.store.load());
  }

  /**
   * Replace the local pools (a daemon reload of default-address-pools; undefined or [] = the
   * defaults). Only new networks are affected: pools already handed out stay, and new subnets
   * still never overlap them.
   */
  setLocalPools(pools: readonly PoolSpec[] | undefined): void {
    this.specs.local = this.withUla(pools && pools.length > 0 ? pools : DEFAULT_LOCAL_POOLS);
  }

  private withUla(specs: readonly PoolSpec[]): readonly PoolSpec[] {
    return specs.some((s) => s.base.family === 6) ? specs : [...specs, ...this.ula];
  }

  requestPool(networkId: string, request: PoolRequest): AllocatedPool {
    if (typeof networkId !== 'string' || networkId === '') throw new InvalidParameterError('network id must not be empty');
    const space = request.addressSpace;
    if (space !== 'local' && space !== 'global') {
      throw new InvalidParameterError(`unknown address space ${String(space)} (local or global)`);
    }
    checkPoolRequest(request);
    let subnet = request.subnet;
    if (subnet) {
      const hit = this.index.findOverlap(subnet);
      if (hit) throw errors.poolOverlaps(subnet, hit.prefix, hit.owner);
    } else {
      subnet = this.nextFreeSubnet(space, request.family ?? 4, request.prefixLength);
    }
    const gateway = request.noGateway ? undefined : (request.gateway ?? defaultGateway(subnet));
    const pool: AllocatedPool = {
      poolId: `${space}/${subnet}`,
      networkId,
      addressSpace: space,
      subnet,
      ...(request.ipRange && { ipRange: request.ipRange }),
      ...(gateway && { gateway }),
      auxAddresses: { ...request.auxAddresses },
    };
    const alloc = allocatorFor(pool);
    this.store.putPool(toRecord(pool, alloc.cursorText));
    this.add({ pool, alloc });
    return pool;
  }

  releasePool(poolId: string): void {
    this.entry(poolId);
    this.store.deletePool(poolId);
    this.pools.delete(poolId);
    this.index.removePool(poolId);
  }

  requestAddress(poolId: string, address?: IpAddr): IpAddr {
    const { pool, alloc } = this.entry(poolId);
    if (address === undefined) {
      const slot = alloc.findNext();
      if (slot === undefined) throw errors.poolExhausted(pool.subnet, pool.ipRange);
      this.store.addAddress(poolId, alloc.textAt(slot));
      this.store.setCursor(poolId, alloc.cursorTextFor(slot));
      alloc.take(slot, true);
      return alloc.addressAt(slot);
    }
    this.checkAddress(poolId, address);
    const slot = alloc.slotOf(address);
    this.store.addAddress(poolId, address.toString());
    alloc.take(slot, false);
    return address;
  }

  checkAddress(poolId: string, address: IpAddr): void {
    const { pool, alloc } = this.entry(poolId);
    if (!pool.subnet.contains(address)) throw errors.addressOutsidePool(address);
    const slot = alloc.slotOf(address);
    const reservation = alloc.reservationAt(slot);
    if (reservation) throw errors.addressReserved(address, pool.subnet, reservation);
    if (alloc.isTaken(slot)) throw errors.addressInUse(address, pool.subnet);
  }

  releaseAddress(poolId: string, address: IpAddr): void {
    const { pool, alloc } = this.entry(poolId);
    if (!pool.subnet.contains(address)) throw errors.addressOutsidePool(address);
    const slot = alloc.slotOf(address);
    const reservation = alloc.reservationAt(slot);
    if (reservation) throw errors.releaseReserved(address, pool.subnet, reservation);
    if (!alloc.isTaken(slot)) throw errors.addressNotAllocated(address, pool.subnet);
    this.store.deleteAddress(poolId, alloc.textAt(slot));
    alloc.release(slot);
  }

  setHostRoutes(routes: readonly Prefix[]): void {
    this.index.setRoutes(routes);
  }

  addHostRoute(route: Prefix): void {
    this.index.addRoute(route);
  }

  removeHostRoute(route: Prefix): void {
    this.index.removeRoute(route);
  }

  getPool(poolId: string): AllocatedPool | undefined {
    return this.pools.get(poolId)?.pool;
  }

  poolWithSubnet(subnet: Prefix): AllocatedPool | undefined {
    // Pool ids are `<space>/<subnet>`, and pools of both spaces share one index, so at most one matches.
    return this.getPool(`local/${subnet}`) ?? this.getPool(`global/${subnet}`);
  }

  listPools(): AllocatedPool[] {
    return [...this.pools.values()].map((e) => e.pool);
  }

  usage(poolId: string): PoolUsage {
    const { alloc } = this.entry(poolId);
    return { ipsInUse: alloc.inUse(), dynamicIpsAvailable: alloc.dynamicAvailable() };
  }

  private nextFreeSubnet(space: AddressSpace, family: IpFamily, prefixLength?: number): Prefix {
    const specs = this.specs[space].filter((s) => s.base.family === family);
    if (specs.length === 0) throw family === 6 ? errors.noUlaBase() : errors.noFreePool(space, family, prefixLength);
    if (prefixLength !== undefined && !specs.some((s) => s.base.length <= prefixLength)) {
      throw errors.noPoolFits(space, family, prefixLength);
    }
    const subnet = this.index.findFree(specs, family, prefixLength);
    if (!subnet) throw errors.noFreePool(space, family, prefixLength);
    return subnet;
  }

  private entry(poolId: string): PoolEntry {
    const e = this.pools.get(poolId);
    if (!e) throw errors.poolNotFound(poolId);
    return e;
  }

  private add(e: PoolEntry): void {
    this.pools.set(e.pool.poolId, e);
    this.index.addPool(e.pool.poolId, e.pool.networkId, e.pool.subnet);
  }

  private restore(state: IpamState): void {
    for (const record of state.pools) {
      let entry: PoolEntry;
      try {
        const pool = fromRecord(record);
        checkPoolRequest({ ...pool, noGateway: !pool.gateway });
        entry = { pool, alloc: allocatorFor(pool) };
        entry.alloc.restoreCursor(record.cursor);
      } catch (cause) {
        throw errors.corruptState(`pool ${record.poolId}`, cause);
      }
      const hit = this.index.findOverlap(entry.pool.subnet);
      if (hit) throw errors.corruptState(`pool ${record.poolId} overlaps ${hit.prefix}`);
      this.add(entry);
    }
    for (const [poolId, list] of Object.entries(state.addresses)) {
      const e = this.pools.get(poolId);
      if (!e) throw errors.corruptState(`addresses of unknown pool ${poolId}`);
      for (const text of list) {
        const ip = IpAddr.tryParse(text);
        const slot = ip && e.pool.subnet.contains(ip) ? e.alloc.slotOf(ip) : undefined;
        if (slot === undefined || e.alloc.isTaken(slot) || ip?.toString() !== text) {
          throw errors.corruptState(`address ${text} of pool ${poolId}`);
        }
        e.alloc.take(slot, false);
      }
    }
  }
}

function allocatorFor(pool: AllocatedPool): AddressAllocator {
  return createAllocator(new PoolLayout(pool.subnet, pool));
}

function toRecord(pool: AllocatedPool, cursor: string): PoolRecord {
  const aux: Record<string, string> = {};
  for (const [name, ip] of Object.entries(pool.auxAddresses)) aux[name] = ip.toString();
  return {
    poolId: pool.poolId,
    networkId: pool.networkId,
    addressSpace: pool.addressSpace,
    subnet: pool.subnet.toString(),
    ...(pool.ipRange && { ipRange: pool.ipRange.toString() }),
    ...(pool.gateway && { gateway: pool.gateway.toString() }),
    auxAddresses: aux,
    cursor,
  };
}

function fromRecord(r: PoolRecord): AllocatedPool {
  const subnet = Prefix.parse(r.subnet);
  if (r.poolId !== `${r.addressSpace}/${subnet}`) throw new Error(`pool id ${r.poolId} does not match its subnet`);
  const auxAddresses: Record<string, IpAddr> = {};
  for (const [name, text] of Object.entries(r.auxAddresses)) auxAddresses[name] = IpAddr.parse(text);
  return {
    poolId: r.poolId,
    networkId: r.networkId,
    addressSpace: r.addressSpace,
    subnet,
    ...(r.ipRange !== undefined && { ipRange: Prefix.parse(r.ipRange) }),
    ...(r.gateway !== undefined && { gateway: IpAddr.parse(r.gateway) }),
    auxAddresses,
  };
}
