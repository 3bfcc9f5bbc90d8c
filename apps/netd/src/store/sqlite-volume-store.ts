import type { VolumeRecord, VolumeStore } from '@app/volume';
import type { Db } from './database';

interface Row {
  name: string;
  driver: string;
  created: string;
  labels: string | null;
  options: string | null;
}

/** JSON back into an object whose keys are own data properties (a `__proto__` label stays a label). */
function parseMap(text: string | null): Record<string, string> | null {
  if (text === null) return null;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(JSON.parse(text) as Record<string, string>)) {
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** VolumeStore on the daemon's database (table `volumes`, migration v4). */
export class SqliteVolumeStore implements VolumeStore {
  private readonly stmts;

  constructor(db: Db) {
    this.stmts = {
      get: db.prepare('SELECT name, driver, created, labels, options FROM volumes WHERE name = ?'),
      list: db.prepare('SELECT name, driver, created, labels, options FROM volumes ORDER BY name'),
      insert: db.prepare('INSERT INTO volumes (name, driver, created, labels, options) VALUES (?, ?, ?, ?, ?) ON CONFLICT(name) DO NOTHING'),
      delete: db.prepare('DELETE FROM volumes WHERE name = ?'),
    };
  }

  get(name: string): VolumeRecord | undefined {
    const row = this.stmts.get.get(name) as Row | undefined;
    return row && toRecord(row);
  }

  list(): VolumeRecord[] {
    return (this.stmts.list.all() as Row[]).map(toRecord);
  }

  putIfAbsent(r: VolumeRecord): VolumeRecord {
    const enc = (m: Record<string, string> | null) => (m === null ? null : JSON.stringify(m));
    this.stmts.insert.run(r.name, r.driver, r.createdAt, enc(r.labels), enc(r.options));
    return this.get(r.name)!;
  }

  delete(name: string): void {
    this.stmts.delete.run(name);
  }
}

function toRecord(r: Row): VolumeRecord {
  return { name: r.name, driver: r.driver, createdAt: r.created, labels: parseMap(r.labels), options: parseMap(r.options), scope: 'local' };
}
