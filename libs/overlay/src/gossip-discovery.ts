import { ConflictError, NotFoundError, Prefix, UnavailableError } from '@app/common';
import type * as pb from '@app/proto';
import { create } from '@bufbuild/protobuf';
import { LeaseAckSchema, LeaseCompetitorSchema } from '@app/proto';
import { PROTOCOL_VERSION, connectionProof, verifyProof } from './auth';
import { pickBlock } from './block-picker';
import { ClusterState } from './cluster-state';
import { LeaseRecord, Peer, activeLeases, compareLeases, isLease, leaseRank } from './cluster-view';
import { ClusterMember, ClusterNetwork, NewNetwork, PeerDiscovery, PeerEvent } from './peer-discovery.port';
import { EndpointRecord, NodeId, NodeInfo, PeerRecord, decodeFrame, decodeRecord, encodeFrame, encodeRecord, nodeIdBytes, nodeIdOf } from './peer-record';
import type { Link, Transport } from './transport';
import { VniAllocator } from './vni-allocator';
import { ViewTracker } from './view-tracker';

export interface GossipOptions {
  readonly clusterKey: Uint8Array;
  readonly node: NodeInfo;
  /** Anti-entropy and heartbeat period; 0 disables the timer (tests call `tick()`). Default 1 s. */
  readonly tickMs?: number;
  /** Silence after which a member is declared down and its endpoints disappear. Default 10 s. */
  readonly deadAfterMs?: number;
  /** Silence after which a member's blocks may be leased by others. Default 5 min. */
  readonly reclaimAfterMs?: number;
  /** Least time between two dials of one unreachable member. Default min(2 s, deadAfterMs / 2). */
  readonly redialMs?: number;
  /** With no peer at all after this long, lease alone (the first node of a cluster). Default 3 s. */
  readonly soloAfterMs?: number;
  readonly now?: () => number;
}

interface PendingLease {
  readonly record: LeaseRecord;
  readonly acks: Map<NodeId, pb.LeaseCompetitor[]>;
  readonly resolve: (won: boolean) => void;
  decided?: boolean;
}

const MAX_LEASE_ATTEMPTS = 32;

/**
 * {@link PeerDiscovery} over any {@link Transport}: connection authentication, full-state sync on
 * connect, flooding of new records, digest anti-entropy, liveness and the lease confirmation round.
 * The transport-specific subclasses only build the transport.
 */
export class GossipDiscovery extends PeerDiscovery {
  readonly nodeId: NodeId;
  readonly state: ClusterState;
  /** Frames or records rejected (bad proof, garbage): for logs and tests. */
  rejected = 0;
  /** Gossip traffic since start, both ways, and records merged into the state (the daemon's metrics). */
  readonly traffic = { framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0, recordsApplied: 0 };
  /** Milliseconds from start to the first state received from a peer: how long joining took to converge. */
  syncedAfterMs?: number;
  private readonly counted = new WeakMap<Link, Link>();
  private readonly links = new Map<NodeId, Link>();
  private readonly authed = new WeakMap<Link, NodeId>();
  private readonly lastSeen = new Map<NodeId, number>();
  private readonly lastDial = new Map<NodeId, number>();
  private readonly pending = new Map<string, PendingLease>();
  private readonly tracker: ViewTracker;
  private readonly now: () => number;
  private readonly opts: { -readonly [K in keyof Required<Omit<GossipOptions, 'now' | 'node' | 'clusterKey'>>]: Required<GossipOptions>[K] };
  private timer?: NodeJS.Timeout;
  private startedAt = 0;
  private synced = false;
  private stopped = false;

  constructor(
    private readonly transport: Transport,
    private readonly options: GossipOptions,
  ) {
    super();
    this.nodeId = nodeIdOf(transport.publicKey);
    this.state = new ClusterState(this.nodeId);
    this.now = options.now ?? Date.now;
    const deadAfterMs = options.deadAfterMs ?? 10_000;
    this.opts = {
      tickMs: options.tickMs ?? 1000,
      deadAfterMs,
      redialMs: options.redialMs ?? Math.min(2000, deadAfterMs / 2),
      reclaimAfterMs: options.reclaimAfterMs ?? 300_000,
      soloAfterMs: options.soloAfterMs ?? 3000,
    };
    this.tracker = new ViewTracker((n) => this.isAlive(n));
  }

  /** Change the membership timeouts of a running discovery (a daemon reload); undefined keeps one. */
  setTimeouts(t: { deadAfterMs?: number; reclaimAfterMs?: number }): void {
    if (t.deadAfterMs !== undefined) {
      this.opts.deadAfterMs = t.deadAfterMs;
      this.opts.redialMs = this.options.redialMs ?? Math.min(2000, t.deadAfterMs / 2);
    }
    if (t.reclaimAfterMs !== undefined) this.opts.reclaimAfterMs = t.reclaimAfterMs;
  }

  async start(): Promise<void> {
    this.startedAt = this.now();
    this.publish([this.state.write({ type: 'node', node: this.options.node })]);
    await this.transport.start({
      onOpen: (l) => this.onOpen(this.counting(l)),
      onFrame: (l, f) => {
        this.traffic.framesIn++;
        this.traffic.bytesIn += f.length;
        this.onFrame(this.counting(l), f);
      },
      onClose: (l) => this.onClose(this.counting(l)),
    });
    if (this.opts.tickMs > 0) this.timer = setInterval(() => this.tick(), this.opts.tickMs).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const p of this.pending.values()) p.resolve(false);
    this.pending.clear();
    await this.transport.stop();
  }

  /** One anti-entropy round: heartbeat digest to every peer, liveness, redials, lease retransmission. */
  tick(): void {
    this.dropSilentLinks();
    this.redialMissing();
    const digest = encodeFrame({ case: 'digest', value: { $typeName: 'netd.cluster.v1.Digest', entries: this.state.digest().map((e) => ({ $typeName: 'netd.cluster.v1.DigestEntry', ...e, owner: nodeIdBytes(e.owner) })) } });
    for (const link of this.links.values()) link.send(digest);
    for (const p of this.pending.values()) if (!p.decided) this.broadcast([p.record]);
    this.refresh();
  }

  join(networkId: string): void {
    this.tracker.join(networkId, this.emit);
  }

  leave(networkId: string): void {
    this.tracker.leave(networkId);
  }

  announce(endpoint: EndpointRecord): void {
    if (!this.tracker.view.networks.has(endpoint.networkId)) throw new NotFoundError(`network ${endpoint.networkId} not found`);
    this.publish([this.state.write({ type: 'endpoint', endpoint })]);
  }

  withdraw(networkId: string, endpointId: string): void {
    const r = this.state.remove(`endpoint/${networkId}/${endpointId}`);
    if (r) this.publish([r]);
  }

  createNetwork(def: NewNetwork): ClusterNetwork {
    const { networks } = this.tracker.view;
    for (const n of networks.values()) {
      if (n.name === def.name) throw new ConflictError(`network with name ${def.name} already exists`);
      if (n.id === def.id) throw new ConflictError(`network ${def.id} already exists`);
    }
    const vni = def.vni ?? new VniAllocator([...networks.values()].map((n) => n.vni)).allocate(def.id);
    this.publish([this.state.write({ type: 'network', network: { ...def, vni } })]);
    const created = this.tracker.view.networks.get(def.id);
    if (!created) throw new ConflictError(`network with name ${def.name} already exists`);
    return created;
  }

  deleteNetwork(networkId: string): void {
    if (!this.tracker.view.networks.has(networkId)) throw new NotFoundError(`network ${networkId} not found`);
    const active = this.peers(networkId);
    if (active.length > 0) throw new ConflictError(`network ${networkId} has active endpoints (${active.length})`);
    const own = [`network/${networkId}`, ...[...this.state.live()].filter((r) => isLease(r) && r.owner === this.nodeId && r.body.lease.networkId === networkId).map((r) => r.key)];
    const removed = own.map((k) => this.state.remove(k)).filter((r): r is PeerRecord => r !== undefined);
    this.publish([...removed, this.state.write({ type: 'network-deletion', deletion: { networkId } })]);
  }

  networks(): ClusterNetwork[] {
    return [...this.tracker.view.networks.values()];
  }

  peers(networkId: string): Peer[] {
    return [...this.tracker.view.endpoints.values()].filter((p) => p.networkId === networkId);
  }

  members(): ClusterMember[] {
    const ids = new Set<NodeId>([this.nodeId, ...this.state.owners(), ...this.lastSeen.keys()]);
    return [...ids].map((id) => {
      const r = this.state.get(id, 'node');
      const info = r && r.body.type === 'node' ? r.body.node : undefined;
      return { id, self: id === this.nodeId, info, alive: this.isAlive(id), lastSeen: this.lastSeen.get(id) };
    });
  }

  blocks(networkId: string): Prefix[] {
    const out: Prefix[] = [];
    for (const [, list] of activeLeases(this.state, networkId, (n) => this.isReclaimable(n))) {
      if (list[0].owner === this.nodeId && list[0].body.lease.confirmed) out.push(list[0].body.lease.block);
    }
    return out;
  }

  async leaseBlock(networkId: string): Promise<Prefix> {
    const tried = new Set<string>();
    for (let attempt = 0; attempt < MAX_LEASE_ATTEMPTS; attempt++) {
      await this.untilSynced();
      const net = this.tracker.view.networks.get(networkId);
      if (!net) throw new NotFoundError(`network ${networkId} not found`);
      const active = activeLeases(this.state, networkId, (n) => this.isReclaimable(n));
      const taken = new Set([...tried, ...active.keys()]);
      const block = pickBlock(net.subnet, net.blockLength, taken, `${this.nodeId}/${networkId}/${attempt}`);
      if (!block) throw new UnavailableError(`no free block of /${net.blockLength} left in ${net.subnet}`);
      const supersedes = this.reclaimTarget(networkId, block);
      const record = this.state.write({ type: 'lease', lease: { networkId, block, confirmed: false, supersedes } }) as LeaseRecord;
      const won = await new Promise<boolean>((resolve) => {
        this.pending.set(record.key, { record, acks: new Map(), resolve });
        this.broadcast([record]);
        this.evaluate(record.key);
      });
      this.pending.delete(record.key);
      if (won) {
        this.publish([this.state.write({ type: 'lease', lease: { ...record.body.lease, confirmed: true } })]);
        return block;
      }
      if (this.stopped) throw new UnavailableError('cluster discovery stopped');
      const r = this.state.remove(record.key);
      if (r) this.publish([r]);
      tried.add(block.toString());
    }
    throw new UnavailableError(`could not lease a block in network ${networkId} after ${MAX_LEASE_ATTEMPTS} attempts`);
  }

  releaseBlock(networkId: string, block: Prefix): void {
    const r = this.state.remove(`lease/${networkId}/${block}`);
    if (r) this.publish([r]);
  }

  subscribe(listener: (event: PeerEvent) => void): () => void {
    return this.tracker.subscribe(listener);
  }

  // ---- connections ----

  /** The same wrapper for a link every time (links are map keys), counting what is sent on it. */
  private counting(link: Link): Link {
    let c = this.counted.get(link);
    if (!c) {
      const traffic = this.traffic;
      c = {
        remoteKey: link.remoteKey,
        send(frame) {
          traffic.framesOut++;
          traffic.bytesOut += frame.length;
          link.send(frame);
        },
        close: () => link.close(),
      };
      this.counted.set(link, c);
    }
    return c;
  }

  private onOpen(link: Link): void {
    const proof = connectionProof(this.options.clusterKey, this.transport.publicKey, link.remoteKey);
    link.send(encodeFrame({ case: 'hello', value: { $typeName: 'netd.cluster.v1.Hello', protocolVersion: PROTOCOL_VERSION, nodeId: this.transport.publicKey, proof } }));
  }

  private onClose(link: Link): void {
    const id = this.authed.get(link);
    if (id && this.links.get(id) === link) this.links.delete(id);
  }

  private onFrame(link: Link, bytes: Uint8Array): void {
    let msg: pb.Frame['msg'];
    try {
      msg = decodeFrame(bytes);
    } catch {
      return this.reject(link);
    }
    const from = this.authed.get(link);
    if (!from) return this.onHello(link, msg);
    this.lastSeen.set(from, this.now());
    if (msg.case === 'records') this.onRecords(link, from, msg.value.records);
    else if (msg.case === 'digest') this.onDigest(link, msg.value);
    else if (msg.case === 'leaseAck') this.onLeaseAck(from, msg.value);
    this.refresh();
  }

  private onHello(link: Link, msg: pb.Frame['msg']): void {
    const ok =
      msg.case === 'hello' &&
      msg.value.protocolVersion === PROTOCOL_VERSION &&
      Buffer.compare(msg.value.nodeId, link.remoteKey) === 0 &&
      Buffer.compare(link.remoteKey, this.transport.publicKey) !== 0 &&
      verifyProof(this.options.clusterKey, this.transport.publicKey, link.remoteKey, msg.value.proof);
    if (!ok) {
      this.transport.refuse?.(link.remoteKey);
      return this.reject(link);
    }
    const id = nodeIdOf(link.remoteKey);
    this.authed.set(link, id);
    this.links.set(id, link);
    this.lastSeen.set(id, this.now());
    link.send(encodeFrame({ case: 'records', value: { $typeName: 'netd.cluster.v1.Records', records: [...this.state.all()].map(encodeRecord) } }));
    this.refresh();
  }

  private onRecords(link: Link, from: NodeId, raw: pb.Record[]): void {
    const decoded: PeerRecord[] = [];
    for (const m of raw) {
      try {
        decoded.push(decodeRecord(m));
      } catch {
        this.rejected++;
      }
    }
    const applied = this.state.merge(decoded);
    this.traffic.recordsApplied += applied.length;
    for (const r of applied) if (!this.lastSeen.has(r.owner) && r.owner !== this.nodeId) this.lastSeen.set(r.owner, this.now());
    if (applied.length > 0) this.broadcast(applied, link);
    for (const r of applied) if (r.body.type === 'node' && r.owner !== this.nodeId) this.transport.connectTo?.(nodeIdBytes(r.owner));
    if (!this.synced) this.syncedAfterMs = this.now() - this.startedAt;
    this.synced = true;
    for (const r of decoded) {
      if (isLease(r) && !r.tombstone && !r.body.lease.confirmed && r.owner !== this.nodeId && this.state.get(r.owner, r.key)?.version === r.version) {
        this.sendAck(from, r);
      }
    }
  }

  private onDigest(link: Link, digest: pb.Digest): void {
    const entries = [];
    for (const e of digest.entries) {
      if (e.owner.length !== 32) return this.reject(link);
      entries.push({ owner: nodeIdOf(e.owner), maxVersion: e.maxVersion, hash: e.hash });
    }
    const missing = this.state.missingFrom(entries);
    if (missing.length > 0) link.send(encodeFrame({ case: 'records', value: { $typeName: 'netd.cluster.v1.Records', records: missing.map(encodeRecord) } }));
  }

  private onLeaseAck(from: NodeId, ack: pb.LeaseAck): void {
    const p = this.pending.get(ack.key);
    if (!p || p.record.version !== ack.version || Buffer.compare(ack.leaseOwner, this.transport.publicKey) !== 0) return;
    if (ack.competitors.some((c) => c.owner.length !== 32)) return void this.rejected++;
    p.acks.set(from, ack.competitors);
    this.evaluate(ack.key);
  }

  /**
   * A cut cable sends no FIN or RST: the transport may keep a silent connection open for minutes,
   * and while it exists hyperswarm neither redials nor accepts a fresh one from that peer. Every
   * link carries our heartbeat (the digest) each tick, so silence past the timeout means the link
   * is dead: close it, which frees the way for a new connection once the peer is reachable again.
   */
  private dropSilentLinks(): void {
    for (const [id, link] of [...this.links]) {
      if (this.isAlive(id)) continue;
      this.links.delete(id);
      link.close();
    }
  }

  /**
   * Dial every known member without a link, each at most once per `redialMs`: after a cut the
   * transport's own retries back off to minutes. Members silent past the reclaim timeout are left
   * to find us through the topic (they may have left for good).
   */
  private redialMissing(): void {
    if (!this.transport.connectTo) return;
    const now = this.now();
    for (const id of this.state.owners()) {
      if (id === this.nodeId || this.links.has(id) || this.isReclaimable(id) || !this.state.get(id, 'node')) continue;
      const last = this.lastDial.get(id);
      if (last !== undefined && now - last < this.opts.redialMs) continue;
      this.lastDial.set(id, now);
      this.transport.connectTo(nodeIdBytes(id));
    }
  }

  private reject(link: Link): void {
    this.rejected++;
    link.close();
  }

  // ---- leases ----

  private sendAck(to: NodeId, lease: LeaseRecord): void {
    const competitors = new LeaseCache(this.state, (n) => this.isReclaimable(n))
      .on(lease.body.lease.networkId, lease.body.lease.block)
      .filter((r) => r.owner !== lease.owner)
      .map((r) => create(LeaseCompetitorSchema, { owner: nodeIdBytes(r.owner), version: r.version, confirmed: r.body.lease.confirmed }));
    const frame = encodeFrame({ case: 'leaseAck', value: create(LeaseAckSchema, { leaseOwner: nodeIdBytes(lease.owner), key: lease.key, version: lease.version, competitors }) });
    // Acks go straight to the lease owner; hyperswarm dials every member, so the mesh is full.
    const link = this.links.get(lease.owner) ?? this.links.get(to);
    link?.send(frame);
  }

  /**
   * Decide a pending lease once every live member has acknowledged it. Each ack lists the leases on
   * the block its sender knew when it first saw ours; a member that saw ours never picks the block
   * afterwards, so acks from all live members name every competitor, and all competitors, ranking the
   * same set the same way, agree on one winner.
   */
  private evaluate(key: string, leases = new LeaseCache(this.state, (n) => this.isReclaimable(n)), required = this.requiredAcks()): void {
    const p = this.pending.get(key);
    if (!p || p.decided) return;
    if (!required.every((id) => p.acks.has(id))) return;
    const mine = leaseRank(p.record);
    const local = leases.on(p.record.body.lease.networkId, p.record.body.lease.block);
    const rivals = [
      ...local.filter((r) => r.owner !== this.nodeId).map(leaseRank),
      ...[...p.acks.values()].flat().map((c) => ({ owner: nodeIdOf(c.owner), version: c.version, confirmed: c.confirmed })),
    ].filter((c) => c.owner !== this.nodeId && !this.withdrawnSince(c.owner, key, c.version));
    p.decided = true;
    p.resolve(rivals.every((c) => compareLeases(mine, c) < 0));
  }

  private requiredAcks(): NodeId[] {
    return this.members()
      .filter((m) => !m.self && m.alive)
      .map((m) => m.id);
  }

  private withdrawnSince(owner: NodeId, key: string, version: bigint): boolean {
    const r = this.state.get(owner, key);
    return r !== undefined && r.version > version && r.tombstone;
  }

  /** The dead node whose lease on `block` this new lease voids, if any. */
  private reclaimTarget(networkId: string, block: Prefix): { owner: NodeId; version: bigint } | undefined {
    for (const r of this.state.live()) {
      if (isLease(r) && r.owner !== this.nodeId && r.body.lease.networkId === networkId && r.body.lease.block.equals(block) && this.isReclaimable(r.owner)) {
        return { owner: r.owner, version: r.version };
      }
    }
    return undefined;
  }

  private async untilSynced(): Promise<void> {
    while (!this.synced && !this.stopped && this.now() - this.startedAt < this.opts.soloAfterMs) {
      await new Promise((r) => setTimeout(r, 20));
    }
    if (this.stopped) throw new UnavailableError('cluster discovery stopped');
  }

  // ---- liveness, events ----

  private isAlive(n: NodeId): boolean {
    if (n === this.nodeId) return true;
    const seen = this.lastSeen.get(n);
    return seen !== undefined && this.now() - seen <= this.opts.deadAfterMs;
  }

  private isReclaimable(n: NodeId): boolean {
    if (n === this.nodeId) return false;
    const seen = this.lastSeen.get(n);
    return seen !== undefined && this.now() - seen > this.opts.reclaimAfterMs;
  }

  /** Recompute the views, emit what changed, and react to our own leases being voided. */
  private refresh(): void {
    this.tracker.update(this.state, this.members(), this.emit);
    const leases = new LeaseCache(this.state, (n) => this.isReclaimable(n));
    for (const r of [...this.state.recordsOf(this.nodeId)]) {
      if (!isLease(r) || r.tombstone || this.pending.has(r.key)) continue;
      if (leases.on(r.body.lease.networkId, r.body.lease.block)[0]?.owner === this.nodeId) continue;
      // Ours but not holding: superseded by a reclaim while we were away, lost a tie, or a pending
      // lease left over from before a restart.
      const removed = this.state.remove(r.key);
      if (removed) this.broadcast([removed]);
      if (r.body.lease.confirmed) this.emit({ kind: 'lease-lost', networkId: r.body.lease.networkId, block: r.body.lease.block });
    }
    const required = this.requiredAcks();
    for (const key of [...this.pending.keys()]) this.evaluate(key, leases, required);
  }

  private readonly emit = (e: PeerEvent): void => this.tracker.dispatch(e);

  private publish(records: PeerRecord[]): void {
    this.broadcast(records);
    this.refresh();
  }

  private broadcast(records: PeerRecord[], except?: Link): void {
    if (records.length === 0) return;
    const frame = encodeFrame({ case: 'records', value: { $typeName: 'netd.cluster.v1.Records', records: records.map(encodeRecord) } });
    for (const link of this.links.values()) if (link !== except) link.send(frame);
  }
}

/** activeLeases per network, computed at most once per refresh. */
class LeaseCache {
  private readonly nets = new Map<string, Map<string, LeaseRecord[]>>();

  constructor(
    private readonly state: ClusterState,
    private readonly reclaimable: (n: NodeId) => boolean,
  ) {}

  on(networkId: string, block: Prefix): LeaseRecord[] {
    let m = this.nets.get(networkId);
    if (!m) this.nets.set(networkId, (m = activeLeases(this.state, networkId, this.reclaimable)));
    return m.get(block.toString()) ?? [];
  }
}
