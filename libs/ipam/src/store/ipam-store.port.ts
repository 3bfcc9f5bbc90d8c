/**
 * Where IPAM state lives. Synchronous on purpose: better-sqlite3 is synchronous, and the daemon
 * wraps a whole mutation in one transaction. The daemon's SQLite store implements this port;
 * MemoryIpamStore is the in-memory one for tests and tools.
 *
 * Records are plain JSON-able values (canonical strings), so a state can be serialised and
 * restored, and a restart reproduces exactly the same allocations.
 */
export interface PoolRecord {
  readonly poolId: string;
  readonly networkId: string;
  readonly addressSpace: 'local' | 'global';
  readonly subnet: string;
  readonly ipRange?: string;
  readonly gateway?: string;
  readonly auxAddresses: Readonly<Record<string, string>>;
  /** Round-robin cursor: the offset (decimal string) of the last dynamically allocated address. */
  readonly cursor: string;
}

export interface IpamState {
  readonly pools: readonly PoolRecord[];
  /** poolId → allocated addresses (canonical strings). */
  readonly addresses: Readonly<Record<string, readonly string[]>>;
}

export abstract class IpamStore {
  /** Everything, for building the in-memory indexes at start. */
  abstract load(): IpamState;
  abstract putPool(pool: PoolRecord): void;
  abstract deletePool(poolId: string): void;
  abstract addAddress(poolId: string, address: string): void;
  abstract deleteAddress(poolId: string, address: string): void;
  abstract setCursor(poolId: string, cursor: string): void;
}
