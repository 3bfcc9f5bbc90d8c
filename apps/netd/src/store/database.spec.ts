import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS, migrate, openDatabase, SCHEMA_VERSION } from './database';

describe('migrate', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'netd-db-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes a version 4 database with networks and endpoints to duplicate-able network names, keeping rows and foreign keys', () => {
    // a database as version 4 left it (network names unique)
    const db = new Database(join(dir, 'netd.db'));
    db.pragma('foreign_keys = ON');
    db.exec('CREATE TABLE schema_version (version INTEGER NOT NULL); INSERT INTO schema_version VALUES (4);');
    for (const m of MIGRATIONS.slice(0, 4)) db.exec(m);
    const net = (id: string, name: string) => db.prepare(`INSERT INTO networks VALUES (?, ?, 'bridge', 'local', '2026', 0, 0, 0, 1, 0, 0, '{}', '{}', '{}', 0, '[]', 'active')`).run(id, name);
    net('n1', 'a');
    db.prepare(`INSERT INTO sandboxes (id, name, created) VALUES ('s1', 's1', '2026')`).run();
    db.prepare(`INSERT INTO endpoints (id, network_id, sandbox_id, ifname, aliases, state) VALUES ('e1', 'n1', 's1', 'eth0', '[]', 'active')`).run();
    expect(() => net('n2', 'a')).toThrow(/UNIQUE/);
    migrate(db);
    expect(db.prepare('SELECT version FROM schema_version').get()).toEqual({ version: SCHEMA_VERSION });
    net('n2', 'a');
    expect(db.prepare('SELECT id FROM networks WHERE name = ? ORDER BY id').all('a')).toEqual([{ id: 'n1' }, { id: 'n2' }]);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(() => db.prepare(`DELETE FROM networks WHERE id = 'n1'`).run()).toThrow(/FOREIGN KEY/);
    db.close();
  });

  it('leaves a current database alone', () => {
    const db = openDatabase(dir);
    db.close();
    const again = new Database(join(dir, 'netd.db'));
    migrate(again);
    expect(again.prepare('SELECT version FROM schema_version').get()).toEqual({ version: SCHEMA_VERSION });
    again.close();
  });
});
