import { describeIpamStoreContract } from '@app/ipam/testing';
import Database from 'better-sqlite3';
import { migrate, type Db } from './database';
import { SqliteIpamStore } from './sqlite-ipam-store';

const dbs: Db[] = [];
afterAll(() => dbs.forEach((db) => db.close()));

describeIpamStoreContract(SqliteIpamStore.name, () => {
  const db = new Database(':memory:');
  migrate(db);
  dbs.push(db);
  return new SqliteIpamStore(db);
});
