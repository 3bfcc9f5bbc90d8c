import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type Db = Database.Database;

/**
 * Versioned migrations: index + 1 is the schema version. Append only; never edit a shipped one.
 * Every row that a multi-step operation touches carries a `state` (creating/active/deleting), so
 * startup reconciliation knows which kernel steps may be half done.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE networks (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    driver      TEXT NOT NULL,
    scope       TEXT NOT NULL,
    created     TEXT NOT NULL,
    internal    INTEGER NOT NULL,
    attachable  INTEGER NOT NULL,
    ingress     INTEGER NOT NULL,
    enable_ipv4 INTEGER NOT NULL,
    enable_ipv6 INTEGER NOT NULL,
    predefined  INTEGER NOT NULL,
    options     TEXT NOT NULL,
    labels      TEXT NOT NULL,
    ipam        TEXT NOT NULL,
    user_subnet INTEGER NOT NULL,
    pool_ids    TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('creating', 'active', 'deleting'))
  );
  CREATE TABLE sandboxes (
    id      TEXT PRIMARY KEY,
    name    TEXT NOT NULL UNIQUE,
    created TEXT NOT NULL
  );
  CREATE TABLE endpoints (
    id         TEXT PRIMARY KEY,
    network_id TEXT NOT NULL REFERENCES networks(id),
    sandbox_id TEXT NOT NULL REFERENCES sandboxes(id),
    ifname     TEXT NOT NULL,
    mac        TEXT,
    ipv4       TEXT,
    pool_id    TEXT,
    aliases    TEXT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('creating', 'active', 'deleting')),
    UNIQUE (network_id, sandbox_id),
    UNIQUE (sandbox_id, ifname)
  );
  CREATE TABLE ipam_pools (
    pool_id TEXT PRIMARY KEY,
    record  TEXT NOT NULL,
    cursor  TEXT NOT NULL
  );
  CREATE TABLE ipam_addresses (
    pool_id TEXT NOT NULL REFERENCES ipam_pools(pool_id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    PRIMARY KEY (pool_id, address)
  );
  `,
  // v2: containers. A container's sandbox has the container's id and name (the embedded DNS reads
  // names from here); its namespace has its own name. `net` is the container's network request
  // (modes, endpoint configs, ports), kept apart from `record`, which the container core owns.
  // Endpoint `links` are user-network links: [{container, alias}] only the linking sandbox resolves.
  `
  ALTER TABLE sandboxes ADD COLUMN container_id TEXT;
  ALTER TABLE sandboxes ADD COLUMN netns TEXT;
  ALTER TABLE endpoints ADD COLUMN links TEXT NOT NULL DEFAULT '[]';
  CREATE TABLE containers (
    id     TEXT PRIMARY KEY,
    name   TEXT NOT NULL UNIQUE,
    record TEXT NOT NULL,
    net    TEXT NOT NULL DEFAULT '{}'
  );
  `,
  // v3: IPv6 endpoint addresses on networks with EnableIPv6 (address with prefix length, and the pool).
  `
  ALTER TABLE endpoints ADD COLUMN ipv6 TEXT;
  ALTER TABLE endpoints ADD COLUMN pool_id6 TEXT;
  `,
  // v4: named volumes (libs/volume). Labels and options are JSON, NULL when the client sent none
  // (Docker reports `null` then, `{}` for an empty map). The data lives in <data-root>/volumes.
  `
  CREATE TABLE volumes (
    name    TEXT PRIMARY KEY,
    driver  TEXT NOT NULL,
    created TEXT NOT NULL,
    labels  TEXT,
    options TEXT
  );
  `,
  // v5: network names need not be unique. Before API 1.44 dockerd creates a second network of a
  // name when the client does not set CheckDuplicate; names are then ambiguous, ids are not.
  // SQLite drops a constraint only by rebuilding the table (with foreign keys off, see migrate).
  `
  CREATE TABLE networks_v5 (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    driver      TEXT NOT NULL,
    scope       TEXT NOT NULL,
    created     TEXT NOT NULL,
    internal    INTEGER NOT NULL,
    attachable  INTEGER NOT NULL,
    ingress     INTEGER NOT NULL,
    enable_ipv4 INTEGER NOT NULL,
    enable_ipv6 INTEGER NOT NULL,
    predefined  INTEGER NOT NULL,
    options     TEXT NOT NULL,
    labels      TEXT NOT NULL,
    ipam        TEXT NOT NULL,
    user_subnet INTEGER NOT NULL,
    pool_ids    TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('creating', 'active', 'deleting'))
  );
  INSERT INTO networks_v5 SELECT id, name, driver, scope, created, internal, attachable, ingress, enable_ipv4, enable_ipv6,
    predefined, options, labels, ipam, user_subnet, pool_ids, state FROM networks;
  DROP TABLE networks;
  ALTER TABLE networks_v5 RENAME TO networks;
  CREATE INDEX networks_by_name ON networks (name);
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Open (creating if needed) `<dataRoot>/netd.db` and migrate it.
 *
 * WAL with synchronous=NORMAL: a commit survives a crash of the process (kill -9), which is the
 * failure the reconciliation is built for. Only a power loss can drop the last commits, and a
 * power loss also wipes every kernel object (bridges, veths, namespaces), so the lost records
 * describe nothing that still exists. FULL would add an fsync to every connect for no gain.
 */
export function openDatabase(dataRoot: string): Db {
  mkdirSync(dataRoot, { recursive: true, mode: 0o700 });
  const db = new Database(join(dataRoot, 'netd.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

export function migrate(db: Db): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
  const row = db.prepare('SELECT version FROM schema_version').get() as { version: number } | undefined;
  const current = row?.version ?? 0;
  if (current > MIGRATIONS.length) {
    throw new Error(`database schema version ${current} is newer than this netd (${MIGRATIONS.length})`);
  }
  if (current === MIGRATIONS.length) return;
  // A table rebuild (drop + rename) would trip the foreign keys that point at it; SQLite's
  // procedure: keys off around the transaction, and a foreign_key_check before it commits.
  const keys = db.pragma('foreign_keys', { simple: true });
  db.pragma('foreign_keys = OFF');
  try {
    db.transaction(() => {
      for (let v = current; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]);
      const broken = db.pragma('foreign_key_check') as unknown[];
      if (broken.length > 0) throw new Error(`schema migration broke ${broken.length} foreign key(s): ${JSON.stringify(broken.slice(0, 3))}`);
      if (row) db.prepare('UPDATE schema_version SET version = ?').run(MIGRATIONS.length);
      else db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(MIGRATIONS.length);
    })();
  } finally {
    if (keys) db.pragma('foreign_keys = ON');
  }
}
