import { INITIAL_STATE, type ContainerRecord, type ContainerStore } from '@app/container';
import { MemoryContainerStore } from '@app/container/testing';
import Database from 'better-sqlite3';
import { migrate } from '../store/database';
import { SqliteContainerStore } from '../store/sqlite-container-store';

const record = (id: string, name: string): ContainerRecord => ({
  id, name, created: new Date(0).toISOString(), hostname: id.slice(0, 12), state: INITIAL_STATE, restartCount: 0, manuallyStopped: false,
  networkFiles: { addresses: [], links: [], embeddedDns: false },
  spec: { name, image: 'busybox', imageId: 'sha256:x', lowers: ['/l'], cmd: ['true'], network: { kind: 'host' } },
});

const A = 'ab12'.padEnd(64, '0');
const B = 'ab34'.padEnd(64, '1');
const C = 'cd56'.padEnd(64, '2');

// The SQLite store answers name and prefix lookups from its index; the port's default (used by
// the memory store) scans list(). Both must answer alike, or inspect would differ by store.
describe.each([
  ['MemoryContainerStore (the port default)', () => new MemoryContainerStore() as ContainerStore],
  ['SqliteContainerStore', () => {
    const db = new Database(':memory:');
    migrate(db);
    return new SqliteContainerStore(db) as ContainerStore;
  }],
])('%s lookups', (_name, make) => {
  let store: ContainerStore;
  beforeEach(async () => {
    store = make();
    for (const r of [record(A, '/web'), record(B, '/db'), record(C, '/cache')]) await store.put(r);
  });

  it('findByName finds the canonical name only', async () => {
    expect((await store.findByName('/web'))?.id).toBe(A);
    expect(await store.findByName('web')).toBeUndefined();
    expect(await store.findByName('/nope')).toBeUndefined();
  });

  it('findByName follows a rename through put and forgets a deleted record', async () => {
    await store.put(record(A, '/web2'));
    expect(await store.findByName('/web')).toBeUndefined();
    expect((await store.findByName('/web2'))?.id).toBe(A);
    await store.delete(A);
    expect(await store.findByName('/web2')).toBeUndefined();
  });

  it.each([
    { prefix: 'ab', limit: 2, ids: [A, B] },
    { prefix: 'ab', limit: 1, count: 1 },
    { prefix: 'ab3', limit: 2, ids: [B] },
    { prefix: C, limit: 2, ids: [C] },
    { prefix: 'ef', limit: 2, ids: [] },
    { prefix: '%', limit: 2, ids: [] },
  ])('findByIdPrefix($prefix, $limit)', async ({ prefix, limit, ids, count }) => {
    const got = (await store.findByIdPrefix(prefix, limit)).map((r) => r.id).sort();
    if (ids) expect(got).toEqual(ids);
    else expect(got).toHaveLength(count!);
  });
});
