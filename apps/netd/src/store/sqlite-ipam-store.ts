import type { IpamState, PoolRecord } from '@app/ipam/store/ipam-store.port';
import { IpamStore } from '@app/ipam/store/ipam-store.port';
import type { Db } from './database';

/**
 * IpamStore on the daemon's database. Calls are plain statements: they join whatever
 * transaction the caller has open, so a network record and its pool commit together.
 * The (pool_id, address) primary key makes a double allocation impossible at the storage level.
 */
export class SqliteIpamStore extends IpamStore {
  private readonly stmts;

  constructor(db: Db) {
    super();
    this.stmts = {
      pools: db.prepare('SELECT record, cursor FROM ipam_pools'),
      addresses: db.prepare('SELECT pool_id, address FROM ipam_addresses'),
      putPool: db.prepare(
        'INSERT INTO ipam_pools (pool_id, record, cursor) VALUES (?, ?, ?) ON CONFLICT(pool_id) DO UPDATE SET record = excluded.record, cursor = excluded.cursor',
      ),
      deletePool: db.prepare('DELETE FROM ipam_pools WHERE pool_id = ?'),
      addAddress: db.prepare('INSERT INTO ipam_addresses (pool_id, address) VALUES (?, ?)'),
      deleteAddress: db.prepare('DELETE FROM ipam_addresses WHERE pool_id = ? AND address = ?'),
      setCursor: db.prepare('UPDATE ipam_pools SET cursor = ? WHERE pool_id = ?'),
    };
  }

  load(): IpamState {
    const pools = (this.stmts.pools.all() as { record: string; cursor: string }[]).map(
      (r) => ({ ...(JSON.parse(r.record) as PoolRecord), cursor: r.cursor }),
    );
    const addresses: Record<string, string[]> = {};
    for (const r of this.stmts.addresses.all() as { pool_id: string; address: string }[]) {
      (addresses[r.pool_id] ??= []).push(r.address);
    }
    return { pools, addresses };
  }

  putPool(pool: PoolRecord): void {
    this.stmts.putPool.run(pool.poolId, JSON.stringify(pool), pool.cursor);
  }

  deletePool(poolId: string): void {
    this.stmts.deletePool.run(poolId);
  }

  addAddress(poolId: string, address: string): void {
    this.stmts.addAddress.run(poolId, address);
  }

  deleteAddress(poolId: string, address: string): void {
    this.stmts.deleteAddress.run(poolId, address);
  }

  setCursor(poolId: string, cursor: string): void {
    this.stmts.setCursor.run(cursor, poolId);
  }
}
