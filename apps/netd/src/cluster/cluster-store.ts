import { fromBinary, toBinary } from '@bufbuild/protobuf';
import { RecordSchema } from '@app/proto';
import { decodeRecord, encodeRecord, type ClaimRef, type PeerRecord, type VoteStore } from '@app/overlay';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { IpAddr } from '@app/common';
import type { Db } from '../store/database';

/** What makes this node a cluster member; persisted so a restart rejoins by itself. */
export interface ClusterMembership {
  /** The cluster key this node holds (secret): `cluster init`'s, or the latest rotation's. */
  readonly key: Uint8Array;
  /** The key's epoch (0: `cluster init`'s, then one more per `cluster rotate-key`); default 0. */
  readonly epoch?: number;
  /** The node whose rotation made the key ('' for `cluster init`'s). */
  readonly rotatedBy?: string;
  readonly seed: Uint8Array;
  readonly name: string;
  readonly advertiseAddr: string;
  readonly listenPort: number;
  /** DHT bootstrap addresses (`ip:port`): the other members this node knows. */
  readonly bootstrap: readonly string[];
}

/**
 * The cluster's rows in the daemon's SQLite database, in tables of their own (created here, so the
 * shared migration list stays untouched): the membership, and this node's own gossip records, whose
 * versions must survive a restart or the node's new writes would lose to its old ones on peers.
 * The membership is kept in memory too: it is this node's VTEP, which the overlay driver reads on
 * every peer event, and the one place both the driver and the cluster service learn it from.
 */
export class ClusterStore {
  /** null: read, no membership; undefined: not read yet. */
  private current: ClusterMembership | null | undefined;

  /**
   * `keyPath`: where this node's private key (its Ed25519 seed) lives, a file of mode 0600 in the
   * data root (`<root>/cluster/node.key`); without it (tests) the seed stays in the database row.
   */
  constructor(
    private readonly db: Db,
    private readonly keyPath?: string,
  ) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS cluster_membership (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        key BLOB NOT NULL, seed BLOB NOT NULL, name TEXT NOT NULL,
        advertise_addr TEXT NOT NULL, listen_port INTEGER NOT NULL, bootstrap TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS cluster_own_records (key TEXT PRIMARY KEY, record BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS cluster_members (owner TEXT PRIMARY KEY, record BLOB NOT NULL);
      CREATE TABLE IF NOT EXISTS cluster_voter_changes (owner TEXT NOT NULL, key TEXT NOT NULL, record BLOB NOT NULL, PRIMARY KEY (owner, key));
      CREATE TABLE IF NOT EXISTS cluster_votes (key TEXT PRIMARY KEY, owner TEXT NOT NULL, version TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS cluster_revocations (node TEXT PRIMARY KEY, record BLOB NOT NULL);
    `);
    // the key's epoch came with key rotation: a row from before it holds the epoch-0 key
    const columns = (db.prepare('PRAGMA table_info(cluster_membership)').all() as { name: string }[]).map((c) => c.name);
    if (!columns.includes('key_epoch')) db.exec("ALTER TABLE cluster_membership ADD COLUMN key_epoch INTEGER NOT NULL DEFAULT 0");
    if (!columns.includes('key_rotated_by')) db.exec("ALTER TABLE cluster_membership ADD COLUMN key_rotated_by TEXT NOT NULL DEFAULT ''");
  }

  membership(): ClusterMembership | undefined {
    if (this.current === undefined) this.current = this.read() ?? null;
    return this.current ?? undefined;
  }

  /** This node's VTEP: the membership's advertise address; undefined outside a cluster. */
  vtep(): IpAddr | undefined {
    const m = this.membership();
    return m ? IpAddr.parse(m.advertiseAddr) : undefined;
  }

  private read(): ClusterMembership | undefined {
    const row = this.db.prepare('SELECT * FROM cluster_membership WHERE id = 1').get() as
      | { key: Buffer; seed: Buffer; name: string; advertise_addr: string; listen_port: number; bootstrap: string; key_epoch: number; key_rotated_by: string }
      | undefined;
    if (!row) return undefined;
    let seed = new Uint8Array(row.seed);
    if (this.keyPath && existsSync(this.keyPath)) seed = new Uint8Array(readFileSync(this.keyPath));
    else if (this.keyPath && seed.length === 32) this.writeKey(seed); // a row from before the key file
    return {
      key: new Uint8Array(row.key),
      epoch: row.key_epoch,
      rotatedBy: row.key_rotated_by,
      seed,
      name: row.name,
      advertiseAddr: row.advertise_addr,
      listenPort: row.listen_port,
      bootstrap: JSON.parse(row.bootstrap) as string[],
    };
  }

  saveMembership(m: ClusterMembership): void {
    this.db
      .prepare('INSERT OR REPLACE INTO cluster_membership (id, key, seed, name, advertise_addr, listen_port, bootstrap, key_epoch, key_rotated_by) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(Buffer.from(m.key), this.keyPath ? Buffer.alloc(0) : Buffer.from(m.seed), m.name, m.advertiseAddr, m.listenPort, JSON.stringify(m.bootstrap), m.epoch ?? 0, m.rotatedBy ?? '');
    if (this.keyPath) this.writeKey(m.seed);
    this.current = m;
  }

  private writeKey(seed: Uint8Array): void {
    const path = this.keyPath!;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // written aside and renamed: a crash never leaves a truncated key; chmod, as a umask may narrow `mode` only
    writeFileSync(`${path}.tmp`, seed, { mode: 0o600 });
    chmodSync(`${path}.tmp`, 0o600);
    renameSync(`${path}.tmp`, path);
  }

  /** Forget the cluster (leave): membership and own records. */
  clear(): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM cluster_membership').run();
      this.db.prepare('DELETE FROM cluster_own_records').run();
      this.db.prepare('DELETE FROM cluster_members').run();
      this.db.prepare('DELETE FROM cluster_voter_changes').run();
      this.db.prepare('DELETE FROM cluster_votes').run();
      this.db.prepare('DELETE FROM cluster_revocations').run();
    })();
    if (this.keyPath) rmSync(this.keyPath, { force: true });
    this.current = null;
  }

  /** The other members' node records as last seen (the membership majorities are counted from). */
  members(): PeerRecord[] {
    return this.decodeRows(this.db.prepare('SELECT record FROM cluster_members').all() as { record: Buffer }[]);
  }

  /** The whole set: a member dropped since (a node a rotation of the key left out) goes from the store too. */
  saveMembers(records: readonly PeerRecord[]): void {
    const put = this.db.prepare('INSERT OR REPLACE INTO cluster_members (owner, record) VALUES (?, ?)');
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM cluster_members').run();
      for (const r of records) put.run(r.owner, Buffer.from(toBinary(RecordSchema, encodeRecord(r))));
    })();
  }

  /**
   * The other members' changes of the voter set as last seen (admissions `claim/voter`, removals of
   * revoked voters): who is a voter. Without them a restarted node would count itself the only
   * voter until it reached the others and confirm claims alone, or drop a revoked voter from its
   * count before its removal was confirmed. Kept for revoked nodes too, for that reason.
   */
  voterChanges(): PeerRecord[] {
    return this.decodeRows(this.db.prepare('SELECT record FROM cluster_voter_changes').all() as { record: Buffer }[]);
  }

  saveVoterChanges(records: readonly PeerRecord[]): void {
    const put = this.db.prepare('INSERT OR REPLACE INTO cluster_voter_changes (owner, key, record) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      for (const r of records) put.run(r.owner, r.key, Buffer.from(toBinary(RecordSchema, encodeRecord(r))));
    })();
  }

  /** Revocations (`cluster rm`), whoever made them: they must outlive a restart of this node. */
  revocations(): PeerRecord[] {
    return this.decodeRows(this.db.prepare('SELECT record FROM cluster_revocations').all() as { record: Buffer }[]);
  }

  saveRevocations(records: readonly PeerRecord[]): void {
    const put = this.db.prepare('INSERT OR IGNORE INTO cluster_revocations (node, record) VALUES (?, ?)');
    const forget = this.db.prepare('DELETE FROM cluster_members WHERE owner = ?');
    this.db.transaction(() => {
      for (const r of records) {
        if (r.body.type !== 'revocation') continue;
        put.run(r.body.revocation.node, Buffer.from(toBinary(RecordSchema, encodeRecord(r))));
        forget.run(r.body.revocation.node);
      }
    })();
  }

  /** This node's promises, written synchronously before each acknowledgement leaves. */
  votes(): VoteStore {
    const get = this.db.prepare('SELECT owner, version FROM cluster_votes WHERE key = ?');
    const put = this.db.prepare('INSERT OR REPLACE INTO cluster_votes (key, owner, version) VALUES (?, ?, ?)');
    return {
      get: (key: string): ClaimRef | undefined => {
        const row = get.get(key) as { owner: string; version: string } | undefined;
        return row ? { owner: row.owner, version: BigInt(row.version) } : undefined;
      },
      set: (key: string, ref: ClaimRef): void => {
        put.run(key, ref.owner, ref.version.toString());
      },
    };
  }

  ownRecords(): PeerRecord[] {
    return this.decodeRows(this.db.prepare('SELECT record FROM cluster_own_records').all() as { record: Buffer }[]);
  }

  private decodeRows(rows: readonly { record: Buffer }[]): PeerRecord[] {
    const out: PeerRecord[] = [];
    for (const r of rows) {
      try {
        out.push(decodeRecord(fromBinary(RecordSchema, new Uint8Array(r.record))));
      } catch {
        // a row from an older schema: the peers still hold the record, anti-entropy brings it back
      }
    }
    return out;
  }

  saveOwnRecords(records: readonly PeerRecord[]): void {
    const put = this.db.prepare('INSERT OR REPLACE INTO cluster_own_records (key, record) VALUES (?, ?)');
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM cluster_own_records').run();
      for (const r of records) put.run(r.key, Buffer.from(toBinary(RecordSchema, encodeRecord(r))));
    })();
  }
}
