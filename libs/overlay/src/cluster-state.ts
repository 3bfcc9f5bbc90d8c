import { createHash } from 'node:crypto';
import { NodeId, PeerRecord, RecordBody, keyOf, validateBody } from './peer-record';

/**
 * The replicated cluster state: a small gossip CRDT rather than per-node hypercores.
 *
 * Why: every record has exactly one writer (its owner), so a per-(owner, key) last-writer-wins
 * register with the owner's Lamport clock as version needs no conflict resolution at all, and
 * tombstones make deletion replicate. The whole state is a few thousand small records, so a full
 * sync on connect plus a per-owner digest (max version, hash) for anti-entropy costs one round trip
 * and no storage engine. Hypercores would add an append-only log per node that grows forever
 * (endpoints churn), a native storage dependency (rocksdb) and replication sessions per peer, while
 * we only ever need the latest value of each key. Conflicts that span owners (a network name taken
 * twice, one block leased twice) are not storage conflicts: they are resolved deterministically
 * in the views on top ({@link ./cluster-view}), identically on every node.
 *
 * Pure: no I/O, no timers. The node owning this state is `self`; it writes only its own records.
 */
export interface DigestEntry {
  readonly owner: NodeId;
  readonly maxVersion: bigint;
  readonly hash: Uint8Array;
}

export class ClusterState {
  private readonly byOwner = new Map<NodeId, Map<string, PeerRecord>>();
  private readonly hashes = new Map<NodeId, Uint8Array>();
  private clock = 0n;
  /** Keys this instance wrote itself, as opposed to own records merged from disk or handed back by peers. */
  private readonly writtenHere = new Set<string>();

  /**
   * `sign`: this node's signature over a record of its own (see ./record-signature); `admission`:
   * this node's admission (see ./identity), carried by every record it writes.
   */
  constructor(
    readonly self: NodeId,
    private readonly sign?: (r: PeerRecord) => Uint8Array,
    private admission?: Uint8Array,
  ) {}

  /** This node's admission under a new cluster key: carried by every record written from now on. */
  readmit(admission: Uint8Array): void {
    this.admission = admission;
  }

  /** The current Lamport clock (the version of the latest write or merge seen). */
  get version(): bigint {
    return this.clock;
  }

  /** Write (or overwrite) one of this node's records. The body is validated like a peer's. */
  write(body: RecordBody): PeerRecord {
    const valid = validateBody(body);
    const record = this.signed({ owner: this.self, key: keyOf(valid), version: ++this.clock, tombstone: false, body: valid });
    this.store(record);
    this.writtenHere.add(record.key);
    return record;
  }

  /** Whether this instance wrote the own record `key` (since it was built: a restart starts afresh). */
  wroteHere(key: string): boolean {
    return this.writtenHere.has(key);
  }

  /** Delete one of this node's records (a tombstone that keeps the body); undefined if absent. */
  remove(key: string): PeerRecord | undefined {
    const current = this.get(this.self, key);
    if (!current || current.tombstone) return undefined;
    const record = this.signed({ ...current, version: ++this.clock, tombstone: true });
    this.store(record);
    // a withdrawn key is no longer vouched for (and the set stays as large as what is live)
    this.writtenHere.delete(key);
    return record;
  }

  get(owner: NodeId, key: string): PeerRecord | undefined {
    return this.byOwner.get(owner)?.get(key);
  }

  /** Every record, tombstones included. */
  *all(): IterableIterator<PeerRecord> {
    for (const records of this.byOwner.values()) yield* records.values();
  }

  /** Every live (non-tombstone) record. */
  *live(): IterableIterator<PeerRecord> {
    for (const r of this.all()) if (!r.tombstone) yield r;
  }

  recordsOf(owner: NodeId): PeerRecord[] {
    return [...(this.byOwner.get(owner)?.values() ?? [])];
  }

  owners(): NodeId[] {
    return [...this.byOwner.keys()];
  }

  /**
   * Merge records received from peers (already decoded and validated). A record replaces the one
   * held for (owner, key) only if its version is higher. Records of `self` are accepted too: after a
   * restart with lost state they are this node's own earlier writes, and the clock moves past them
   * so that new writes win. Returns the records that changed something.
   */
  merge(records: Iterable<PeerRecord>): PeerRecord[] {
    const applied: PeerRecord[] = [];
    for (const given of records) {
      // own records from disk written before records were signed get signed now
      const r = given.owner === this.self && (!given.signature || (this.admission && !given.admission)) ? this.signed(given) : given;
      if (r.version > this.clock) this.clock = r.version;
      const current = this.get(r.owner, r.key);
      if (current && current.version >= r.version) continue;
      this.store(r);
      applied.push(r);
    }
    return applied;
  }

  /** Drop an owner's records except those `keep` accepts (a revoked node's). Returns the dropped ones. */
  purge(owner: NodeId, keep: (r: PeerRecord) => boolean): PeerRecord[] {
    const records = this.byOwner.get(owner);
    if (!records) return [];
    const dropped: PeerRecord[] = [];
    for (const [key, r] of [...records]) {
      if (keep(r)) continue;
      records.delete(key);
      dropped.push(r);
    }
    if (records.size === 0) this.byOwner.delete(owner);
    this.hashes.delete(owner);
    return dropped;
  }

  /** One entry per owner: what anti-entropy compares. */
  digest(): DigestEntry[] {
    return this.owners().map((owner) => ({ owner, maxVersion: this.maxVersionOf(owner), hash: this.hashOf(owner) }));
  }

  /**
   * The records a peer with digest `remote` lacks or may lack: every owner whose hash differs from
   * ours, or that the peer does not list. Merging is idempotent, so pushing a whole owner is safe;
   * both sides push on a difference, so each ends up with the union.
   */
  missingFrom(remote: readonly DigestEntry[]): PeerRecord[] {
    const theirs = new Map(remote.map((e) => [e.owner, e]));
    const out: PeerRecord[] = [];
    for (const owner of this.owners()) {
      const e = theirs.get(owner);
      if (e && Buffer.compare(e.hash, this.hashOf(owner)) === 0) continue;
      out.push(...this.recordsOf(owner));
    }
    return out;
  }

  maxVersionOf(owner: NodeId): bigint {
    let max = 0n;
    for (const r of this.byOwner.get(owner)?.values() ?? []) if (r.version > max) max = r.version;
    return max;
  }

  hashOf(owner: NodeId): Uint8Array {
    let h = this.hashes.get(owner);
    if (!h) {
      const hash = createHash('sha256');
      const records = [...(this.byOwner.get(owner)?.values() ?? [])].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (const r of records) hash.update(`${r.key}\0${r.version}\0${r.tombstone ? 1 : 0}\n`);
      h = new Uint8Array(hash.digest());
      this.hashes.set(owner, h);
    }
    return h;
  }

  private signed(r: PeerRecord): PeerRecord {
    const unsigned: PeerRecord = { owner: r.owner, key: r.key, version: r.version, tombstone: r.tombstone, body: r.body, ...(this.admission ? { admission: this.admission } : {}) };
    return this.sign ? { ...unsigned, signature: this.sign(unsigned) } : unsigned;
  }

  private store(r: PeerRecord): void {
    let records = this.byOwner.get(r.owner);
    if (!records) this.byOwner.set(r.owner, (records = new Map()));
    records.set(r.key, r);
    this.hashes.delete(r.owner);
  }
}
