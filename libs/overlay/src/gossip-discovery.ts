import { ConflictError, InvalidParameterError, NotFoundError, Prefix, UnavailableError } from '@app/common';
import type * as pb from '@app/proto';
import { create } from '@bufbuild/protobuf';
import { LeaseAckSchema } from '@app/proto';
import { timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { PROTOCOL_VERSION, connectionProof, verifyProof } from './auth';
import { admissionOf, checkAdmission } from './identity';
import { isRotation, keyFor, keyHash, makeRotation, winningRotation } from './key-rotation';
import { pickBlock } from './block-picker';
import { ClusterState } from './cluster-state';
import { LeaseRecord, Peer, activeLeases, isLease } from './cluster-view';
import { ClusterMember, ClusterNetwork, NewNetwork, PeerDiscovery, PeerEvent } from './peer-discovery.port';
import { EndpointRecord, NodeId, NodeInfo, PeerRecord, RecordBody, REMOVAL_PREFIX, VOTER_KEY, VOTER_RESOURCE, decodeFrame, decodeRecord, encodeFrame, encodeRecord, nameResource, nodeIdBytes, nodeIdOf, removalResource, vniResource } from './peer-record';
import { type ClaimRef, type MemberView, answerClaim, changeSettled, majority, tallyVoters } from './quorum';
import { createClusterKey, type NodeIdentity } from './cluster-token';
import { recordSigner, verifyRecord } from './record-signature';
import type { Link, Transport } from './transport';
import { VniAllocator } from './vni-allocator';
import { ViewTracker } from './view-tracker';

/** Why a received record was refused (logged and counted by the caller). */
export interface RefusedRecord {
  readonly reason: 'bad signature' | 'not admitted' | 'revoked';
  readonly owner: NodeId;
  readonly key: string;
  /** The member that sent it (the relay, not necessarily the owner). */
  readonly from: NodeId;
}

/** The cluster key this node holds, with the rotation it came from (see ./key-rotation). */
export interface ClusterKeyState {
  readonly key: Uint8Array;
  /** 0 for the key of `cluster init`, then one more per rotation. */
  readonly epoch: number;
  /** The node whose rotation made the key ('' for the key of `cluster init`): breaks epoch ties. */
  readonly rotatedBy: NodeId;
}

export interface GossipOptions {
  readonly clusterKey: Uint8Array;
  /** Epoch of `clusterKey` and the node that made it (a rotation); default: epoch 0, `cluster init`'s. */
  readonly clusterKeyEpoch?: number;
  readonly clusterKeyRotatedBy?: NodeId;
  /**
   * Told when this node takes a new cluster key (its own rotation or a member's): the caller
   * persists it before anything else; the key is secret and must not be logged.
   */
  readonly onKeyChange?: (k: ClusterKeyState) => void;
  /** Told of a connection refused: neither a member nor a proof of the current key (an old token, say). */
  readonly onRefusedConnection?: (node: NodeId) => void;
  /** Told when the winning rotation has no key sealed to this node: it must join again. */
  readonly onLeftOut?: (rotation: { epoch: number; rotatedBy: NodeId }) => void;
  /** This node's key pair: its public key is the node id, its seed signs this node's records. */
  readonly identity: NodeIdentity;
  /** Told of every refused record (forged, unadmitted, of a revoked node). */
  readonly onRefused?: (r: RefusedRecord) => void;
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
  /** A claim (block, name, VNI) not confirmed by a majority within this long fails with 503. Default 5 s. */
  readonly claimTimeoutMs?: number;
  /**
   * The node that created the cluster: the only one that may confirm claims while it knows no other
   * member (a joiner that reached nobody must not found a cluster of its own), and the first voter,
   * admitted by itself; every other node becomes a voter through a majority of the voters.
   */
  readonly founder?: boolean;
  /** Where this node's promises (the claims it acknowledged) survive a restart. Default: memory. */
  readonly votes?: VoteStore;
  readonly now?: () => number;
}

/**
 * This node's promises, one per claimed key: the claimant it acknowledged. Written before the
 * acknowledgement is sent; a node that forgot a promise after a restart could acknowledge a
 * second claimant of the key and let two majorities form.
 */
export interface VoteStore {
  get(key: string): ClaimRef | undefined;
  set(key: string, ref: ClaimRef): void;
}

export class MemoryVoteStore implements VoteStore {
  private readonly m = new Map<string, ClaimRef>();
  get(key: string): ClaimRef | undefined {
    return this.m.get(key);
  }
  set(key: string, ref: ClaimRef): void {
    this.m.set(key, ref);
  }
}

type ClaimOutcome = 'won' | 'lost' | 'no-quorum';

interface PendingClaim {
  readonly record: PeerRecord;
  readonly acks: Set<NodeId>;
  readonly refusals: Set<NodeId>;
  /** The largest membership any answer counted. */
  voters: number;
  readonly deadline: number;
  readonly resolve: (outcome: ClaimOutcome) => void;
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
  /** Records refused for a signature or admission that does not check, or an owner revoked. */
  refused = 0;
  /** Revoked nodes and the highest version of their records that may stay (see Revocation). */
  private readonly revoked = new Map<NodeId, bigint>();
  private readonly rtt = new Map<NodeId, number>();
  /** Gossip traffic since start, both ways, and records merged into the state (the daemon's metrics). */
  readonly traffic = { framesIn: 0, bytesIn: 0, framesOut: 0, bytesOut: 0, recordsApplied: 0 };
  /** Milliseconds from start to the first state received from a peer: how long joining took to converge. */
  syncedAfterMs?: number;
  private readonly counted = new WeakMap<Link, Link>();
  private readonly links = new Map<NodeId, Link>();
  private readonly authed = new WeakMap<Link, NodeId>();
  private readonly lastSeen = new Map<NodeId, number>();
  private readonly lastDial = new Map<NodeId, number>();
  private readonly pending = new Map<string, PendingClaim>();
  private readonly votes: VoteStore;
  private readonly tracker: ViewTracker;
  private readonly now: () => number;
  private readonly opts: { -readonly [K in keyof Required<Omit<GossipOptions, 'now' | 'node' | 'clusterKey' | 'clusterKeyEpoch' | 'clusterKeyRotatedBy' | 'onKeyChange' | 'onRefusedConnection' | 'onLeftOut' | 'votes' | 'founder' | 'identity' | 'onRefused'>>]: Required<GossipOptions>[K] };
  private key: ClusterKeyState;
  /** Keys refused for a wrong Hello proof: given another chance once this node takes a new key. */
  private readonly refusedByProof = new Set<NodeId>();
  private timer?: NodeJS.Timeout;
  private startedAt = 0;
  /** When this node, not yet a voter, may next claim its admission (after a lost or unanswered round). */
  private nextAdmission = 0;
  private nextRemoval = 0;
  private synced = false;
  private stopped = false;

  constructor(
    private readonly transport: Transport,
    private readonly options: GossipOptions,
  ) {
    super();
    this.nodeId = nodeIdOf(transport.publicKey);
    if (nodeIdOf(options.identity.publicKey) !== this.nodeId) throw new InvalidParameterError('the identity does not match the transport key');
    this.state = new ClusterState(this.nodeId, recordSigner(options.identity.seed), admissionOf(options.clusterKey, options.identity.publicKey));
    this.key = { key: options.clusterKey, epoch: options.clusterKeyEpoch ?? 0, rotatedBy: options.clusterKeyRotatedBy ?? '' };
    this.now = options.now ?? Date.now;
    const deadAfterMs = options.deadAfterMs ?? 10_000;
    this.opts = {
      tickMs: options.tickMs ?? 1000,
      deadAfterMs,
      redialMs: options.redialMs ?? Math.min(2000, deadAfterMs / 2),
      reclaimAfterMs: options.reclaimAfterMs ?? 300_000,
      soloAfterMs: options.soloAfterMs ?? 3000,
      claimTimeoutMs: options.claimTimeoutMs ?? 5000,
    };
    this.votes = options.votes ?? new MemoryVoteStore();
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
    // revocations restored from the store take effect before anything is heard
    this.applyRevocations();
    this.publish([this.state.write({ type: 'node', node: this.options.node })]);
    // The first voter admits itself: a majority of the empty voter set. Only while it knows no
    // other voter (the persisted ones are in the state by now), so a founder never forms a second
    // voter set beside its cluster's.
    if (this.options.founder && !this.state.get(this.nodeId, VOTER_KEY) && this.voters().length === 0) {
      this.publish([this.state.write(voterBody(this.nodeId, true))]);
    }
    // a rotation of its own kept in the store, made before a crash lost the new key
    this.followRotation();
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
    for (const p of this.pending.values()) p.resolve('lost');
    this.pending.clear();
    await this.transport.stop();
  }

  /** One anti-entropy round: heartbeat digest to every peer, liveness, redials, lease retransmission. */
  tick(): void {
    this.dropSilentLinks();
    this.redialMissing();
    const digest = encodeFrame({ case: 'digest', value: { $typeName: 'netd.cluster.v1.Digest', entries: this.state.digest().map((e) => ({ $typeName: 'netd.cluster.v1.DigestEntry', ...e, owner: nodeIdBytes(e.owner) })) } });
    const ping = encodeFrame({ case: 'ping', value: { $typeName: 'netd.cluster.v1.Ping', sent: BigInt(Math.round(performance.now() * 1000)) } });
    for (const link of this.links.values()) {
      link.send(digest);
      link.send(ping);
    }
    for (const p of this.pending.values()) if (!p.decided) this.broadcast([p.record]);
    for (const [key, p] of this.pending) if (!p.decided && this.now() >= p.deadline) this.decide(key, 'no-quorum');
    this.refresh();
    this.seekAdmission();
    this.seekRemoval();
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

  /** Whether this instance announced the endpoint (its record is not one from before a restart). */
  announcedHere(networkId: string, endpointId: string): boolean {
    return this.state.wroteHere(`endpoint/${networkId}/${endpointId}`);
  }

  /**
   * Define a cluster-wide network: its name and its VNI are claimed first, each confirmed by a
   * majority like a block, so a name created on both sides of a partition ends with one network
   * (the other side's create fails), and two networks never share a VNI.
   */
  async createNetwork(def: NewNetwork): Promise<ClusterNetwork> {
    const taken = () => {
      for (const n of this.tracker.view.networks.values()) {
        if (n.name === def.name) throw new ConflictError(`network with name ${def.name} already exists`);
        if (n.id === def.id) throw new ConflictError(`network ${def.id} already exists`);
      }
    };
    taken();
    await this.untilSynced();
    this.checkQuorum(`network ${def.name}`);
    const claims: string[] = [];
    const undo = () => this.publish(claims.map((k) => this.state.remove(k)).filter((r): r is PeerRecord => r !== undefined));
    try {
      const name = await this.claim({ type: 'claim', claim: { resource: nameResource(def.name), networkId: def.id, confirmed: false } });
      if (name === 'no-quorum') throw this.noQuorum(`network ${def.name}`);
      if (name === 'lost') throw new ConflictError(`network with name ${def.name} already exists`);
      claims.push(`claim/${nameResource(def.name)}`);
      const used = new Set([...this.tracker.view.networks.values()].map((n) => n.vni));
      for (const r of this.state.live()) if (r.body.type === 'claim' && r.body.claim.resource.startsWith('vni:') && !this.isVoid(r)) used.add(Number(r.body.claim.resource.slice(4)));
      for (let attempt = 0; ; attempt++) {
        if (attempt >= MAX_LEASE_ATTEMPTS) throw new UnavailableError(`network ${def.name}: no VNI could be claimed after ${attempt} attempts`);
        const vni = def.vni ?? new VniAllocator(used).allocate(def.id);
        const got = await this.claim({ type: 'claim', claim: { resource: vniResource(vni), networkId: def.id, confirmed: false } });
        if (got === 'no-quorum') throw this.noQuorum(`network ${def.name}`);
        if (got === 'won') {
          claims.push(`claim/${vniResource(vni)}`);
          taken();
          this.publish([this.state.write({ type: 'network', network: { ...def, vni } })]);
          break;
        }
        if (def.vni !== undefined) throw new ConflictError(`VNI ${vni} is already in use`);
        used.add(vni);
      }
    } catch (e) {
      undo();
      throw e;
    }
    const created = this.tracker.view.networks.get(def.id);
    if (!created) throw new ConflictError(`network with name ${def.name} already exists`);
    return created;
  }

  deleteNetwork(networkId: string): void {
    if (!this.tracker.view.networks.has(networkId)) throw new NotFoundError(`network ${networkId} not found`);
    const active = this.peers(networkId);
    if (active.length > 0) throw new ConflictError(`network ${networkId} has active endpoints (${active.length})`);
    const ofNetwork = (r: PeerRecord) => (isLease(r) && r.body.lease.networkId === networkId) || (r.body.type === 'claim' && r.body.claim.networkId === networkId);
    const own = [`network/${networkId}`, ...[...this.state.live()].filter((r) => r.owner === this.nodeId && ofNetwork(r)).map((r) => r.key)];
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
    for (const id of this.revoked.keys()) ids.delete(id);
    return [...ids].map((id) => {
      const r = this.state.get(id, 'node');
      const info = r && r.body.type === 'node' ? r.body.node : undefined;
      return { id, self: id === this.nodeId, info, alive: this.isAlive(id), lastSeen: this.lastSeen.get(id), rttMs: this.rtt.get(id), role: this.isVoter(id) ? 'voter' : 'joining' };
    });
  }

  /** The cluster key this node holds now (secret: for the caller to persist, never to log). */
  get clusterKey(): ClusterKeyState {
    return this.key;
  }

  /**
   * Rotate the cluster key (`cluster rotate-key`): a new random key of the next epoch, sealed to
   * every member this node knows (revoked ones excepted, down ones included: they switch when they
   * come back) in one record signed by this node. This node switches at once; the others as the
   * record reaches them. Connections and records of the members keep flowing throughout.
   */
  rotateKey(): ClusterKeyState {
    const win = winningRotation(this.state.all());
    const epoch = Math.max(this.key.epoch, win?.body.rotation.epoch ?? 0) + 1;
    const key = createClusterKey();
    const recipients = new Set<NodeId>([this.nodeId]);
    for (const owner of this.state.owners()) if (!this.revoked.has(owner) && this.state.get(owner, 'node')) recipients.add(owner);
    const rotation = makeRotation(key, epoch, recipients);
    // the new admission first, so the record carries it and a node joining with the new key takes it
    this.state.readmit(admissionOf(key, this.options.identity.publicKey));
    this.adopt({ key, epoch, rotatedBy: this.nodeId }, recipients, [this.state.write({ type: 'cluster-key', rotation })]);
    return this.key;
  }

  /** The nodes removed from the cluster (`cluster rm`), as this node knows them. */
  revokedNodes(): NodeId[] {
    return [...this.revoked.keys()];
  }

  /**
   * Remove a node from the cluster for good (`cluster rm`): a signed revocation record, gossiped
   * and kept, makes every member drop the node's records (its endpoints, blocks, name) and refuse
   * its key. NotFound for a node this node never heard of; InvalidParameter for this node itself.
   *
   * A revoked VOTER keeps counting (a voter that never answers) until this node confirms its
   * removal from the voter set by a majority of the voters, like an admission and one change at a
   * time with them (see seekRemoval). Taking it out of the count at once would be unsafe: any one
   * member may revoke, so on the minority side of a partition revoking two of five voters would
   * leave three counted there, two of them reachable, a "majority" beside the other side's real one.
   */
  revoke(node: NodeId): void {
    if (node === this.nodeId) throw new InvalidParameterError('a node cannot remove itself: use `netctl cluster leave` on it');
    if (this.revoked.has(node)) return;
    if (!this.state.owners().includes(node) && !this.lastSeen.has(node)) throw new NotFoundError(`node ${node} not found`);
    this.publish([this.state.write({ type: 'revocation', revocation: { node, upTo: this.state.maxVersionOf(node) } })]);
    this.applyRevocations();
    this.nextRemoval = 0;
    this.seekRemoval();
  }

  blocks(networkId: string): Prefix[] {
    const out: Prefix[] = [];
    for (const [, list] of activeLeases(this.state, networkId, (n) => this.isReclaimable(n))) {
      if (list[0].owner === this.nodeId && list[0].body.lease.confirmed) out.push(list[0].body.lease.block);
    }
    return out;
  }

  /** Every node's confirmed blocks in a network (the holder of each block), nodes in id order. */
  blockHolders(networkId: string): Map<NodeId, Prefix[]> {
    const out = new Map<NodeId, Prefix[]>();
    for (const [, list] of activeLeases(this.state, networkId, (n) => this.isReclaimable(n))) {
      const head = list[0];
      if (!head.body.lease.confirmed) continue;
      out.set(head.owner, [...(out.get(head.owner) ?? []), head.body.lease.block]);
    }
    for (const blocks of out.values()) blocks.sort((a, b) => (a.address.value < b.address.value ? -1 : 1));
    return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  async leaseBlock(networkId: string, want?: Prefix): Promise<Prefix> {
    const tried = new Set<string>();
    for (let attempt = 0; attempt < MAX_LEASE_ATTEMPTS; attempt++) {
      await this.untilSynced();
      const net = this.tracker.view.networks.get(networkId);
      if (!net) throw new NotFoundError(`network ${networkId} not found`);
      this.checkQuorum('a new address block');
      const active = activeLeases(this.state, networkId, (n) => this.isReclaimable(n));
      let block: Prefix | undefined;
      if (want) {
        if (want.length !== net.blockLength || !want.isNetwork || !net.subnet.containsPrefix(want)) {
          throw new InvalidParameterError(`${want} is not a /${net.blockLength} block of ${net.subnet}`);
        }
        const holder = active.get(want.toString())?.[0];
        if (holder?.owner === this.nodeId && holder.body.lease.confirmed) return want;
        if (holder) throw new ConflictError(`block ${want} of network ${net.name} is held by another node`);
        block = want;
      } else {
        block = pickBlock(net.subnet, net.blockLength, new Set([...tried, ...active.keys()]), `${this.nodeId}/${networkId}/${attempt}`);
        if (!block) throw new UnavailableError(`no free block of /${net.blockLength} left in ${net.subnet}`);
      }
      const supersedes = this.reclaimTarget(networkId, block);
      const outcome = await this.claim({ type: 'lease', lease: { networkId, block, confirmed: false, supersedes } });
      if (outcome === 'won') return block;
      if (outcome === 'no-quorum') throw this.noQuorum('a new address block');
      if (want) throw new ConflictError(`block ${want} of network ${net.name} is held by another node`);
      tried.add(block.toString());
    }
    throw new UnavailableError(`could not lease a block in network ${networkId} after ${MAX_LEASE_ATTEMPTS} attempts`);
  }

  /**
   * Members that vote on claims: the founder and every node whose admission a majority of the
   * voters confirmed (its confirmed `voter` claim), while its node record is live (not retired);
   * a revoked one until its removal is confirmed (see revoke). A node's record arriving does not
   * make it a voter (it is `joining` until then): the voter set grows only by
   * confirmed admissions, one change at a time (see changeSettled), so the two sides of a partition
   * cannot grow their memberships apart and both reach "a majority". A node that is only silent
   * keeps its vote, so a partition never shrinks the membership a majority is counted from.
   */
  voters(): NodeId[] {
    return this.state.owners().filter((n) => this.isVoter(n));
  }

  isVoter(n: NodeId): boolean {
    const v = this.state.get(n, VOTER_KEY);
    if (!v || v.tombstone || !isConfirmed(v)) return false;
    // a revoked voter counts until its removal is confirmed (see revoke)
    if (this.revoked.has(n)) return !this.removalConfirmed(n);
    const node = this.state.get(n, 'node');
    return node !== undefined && !node.tombstone;
  }

  private removalConfirmed(n: NodeId): boolean {
    const key = `claim/${removalResource(n)}`;
    return this.state.owners().some((o) => {
      const r = this.state.get(o, key);
      return r !== undefined && !r.tombstone && isConfirmed(r);
    });
  }

  /**
   * The member that revoked a voter confirms its removal from the voter set: one removal at a
   * time, only while it reaches a majority of the voters (the revoked one counted), retried after
   * a lost or unanswered round.
   */
  private seekRemoval(): void {
    if (this.stopped || !this.synced || this.now() < this.nextRemoval || !this.isVoter(this.nodeId)) return;
    if ([...this.pending.keys()].some((k) => k.startsWith(`claim/${REMOVAL_PREFIX}`))) return;
    const voters = this.voters();
    if (voters.filter((n) => this.isAlive(n)).length < majority(voters.length)) return;
    const target = [...this.revoked.keys()].find((n) => this.state.get(this.nodeId, `revoked/${n}`) && this.isVoter(n));
    if (!target) return;
    void this.claim({ type: 'claim', claim: { resource: removalResource(target), networkId: target, confirmed: false } }).then(
      (outcome) => {
        if (outcome !== 'won') this.nextRemoval = this.now() + 2 * this.admissionSlot();
      },
      () => undefined,
    );
  }

  /**
   * Leave the cluster for good: withdraw this node's record and its admission, so it no longer
   * counts as a voter. Safe without a confirmation round: the node leaves only the voter set of the
   * side it is on, and that side must still reach a majority of the smaller set WITHOUT it, while
   * the other side keeps counting it and never gets its answer; for a side S that knows r such
   * departures among n voters to confirm, |S| - r > (n - r) / 2, so |S| > n / 2 and the other side
   * is a minority of the n it counts.
   */
  retire(): void {
    const rs = [this.state.remove('node'), this.state.remove(VOTER_KEY)].filter((r): r is PeerRecord => r !== undefined);
    if (rs.length > 0) this.publish(rs);
  }

  /**
   * A node that is not a voter yet claims its admission, when it has reached its cluster and a
   * majority of the voters, and no other live joiner's admission is pending (one change at a
   * time; a contested round is lost by both and retried after a delay that differs per node).
   */
  private seekAdmission(): void {
    if (this.stopped || !this.synced || this.pending.has(VOTER_KEY) || this.now() < this.nextAdmission) return;
    const node = this.state.get(this.nodeId, 'node');
    if (!node || node.tombstone || this.isVoter(this.nodeId)) return;
    const voters = this.voters();
    if (voters.filter((n) => this.isAlive(n)).length < majority(voters.length)) return;
    for (const owner of this.state.owners()) {
      const r = this.state.get(owner, VOTER_KEY);
      if (owner !== this.nodeId && r && !r.tombstone && !isConfirmed(r) && this.isAlive(owner) && !this.revoked.has(owner)) return;
    }
    void this.claim(voterBody(this.nodeId, false)).then(
      (outcome) => {
        // Retried a slot after the admission that blocked it changes (see onRecords), or
        // one slot more than that if none does.
        if (outcome !== 'won') this.nextAdmission = this.now() + (this.admissionRank() + 1) * this.admissionSlot();
      },
      () => undefined,
    );
  }

  /**
   * Two joiners that split the votes both lose, and must not meet again at once: the live joiner
   * with the lowest id goes first, each other one a slot (half a tick) per joiner before it.
   */
  private admissionRank(): number {
    return this.state.owners().filter((n) => n < this.nodeId && this.isAlive(n) && !this.isVoter(n) && !this.revoked.has(n) && this.state.get(n, 'node')?.tombstone === false).length;
  }

  private admissionSlot(): number {
    return Math.max(250, this.opts.tickMs / 2);
  }

  /** Throw 503 unless this node reaches a majority of the voters (itself included if it is one). */
  private checkQuorum(what: string): void {
    const voters = this.voters();
    if (!this.options.founder && !this.synced && voters.every((n) => n === this.nodeId)) throw new UnavailableError(`cannot claim ${what}: this node has not reached its cluster yet`);
    const reachable = voters.filter((n) => this.isAlive(n)).length;
    if (reachable < majority(voters.length)) throw this.noQuorum(what);
  }

  private noQuorum(what: string): UnavailableError {
    const voters = this.voters();
    const reachable = voters.filter((n) => this.isAlive(n)).length;
    return new UnavailableError(
      `no quorum for ${what}: this node reaches ${reachable} of ${voters.length} voting members and a claim needs ${majority(voters.length)} (a partition or members down); what it holds stays in use`,
    );
  }

  /**
   * One confirmation round for a claim (a lease or a name/VNI claim) written as this node's
   * pending record: 'won' once a majority acknowledged it (the record is then rewritten as
   * confirmed), 'lost' once refusals leave no majority (the record is withdrawn, which releases
   * the promises made to it), 'no-quorum' when too few answered in time (withdrawn too).
   */
  private async claim(body: RecordBody): Promise<ClaimOutcome> {
    const record = this.state.write(body);
    const outcome = await new Promise<ClaimOutcome>((resolve) => {
      const p: PendingClaim = { record, acks: new Set(), refusals: new Set(), voters: this.voters().length, deadline: this.now() + this.opts.claimTimeoutMs, resolve };
      this.pending.set(record.key, p);
      const own = this.answer(record);
      (own.ack ? p.acks : p.refusals).add(this.nodeId);
      this.broadcast([record]);
      // a node not admitted yet has no vote, but a holder it knows of still makes the claim futile
      if (!own.ack && !this.isVoter(this.nodeId)) this.decide(record.key, 'lost');
      this.evaluate(record.key);
    });
    this.pending.delete(record.key);
    if (outcome === 'won') {
      this.publish([this.state.write(confirmedBody(record.body))]);
      return outcome;
    }
    if (this.stopped) throw new UnavailableError('cluster discovery stopped');
    const r = this.state.remove(record.key);
    if (r) this.publish([r]);
    return outcome;
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
        close: (flush) => link.close(flush),
      };
      this.counted.set(link, c);
    }
    return c;
  }

  private onOpen(link: Link): void {
    const proof = connectionProof(this.key.key, this.transport.publicKey, link.remoteKey);
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
    else if (msg.case === 'ping') return link.send(encodeFrame({ case: 'pong', value: { $typeName: 'netd.cluster.v1.Pong', sent: msg.value.sent } }));
    else if (msg.case === 'pong') {
      const rtt = performance.now() - Number(msg.value.sent) / 1000;
      if (rtt >= 0 && rtt < 60_000) this.rtt.set(from, rtt);
      return;
    }
    this.refresh();
  }

  /**
   * A connection is taken when its Hello proves the current cluster key, or comes from a member
   * (by its node key, which the transport's handshake authenticated): a member still holding an
   * older key, down during a rotation, gets in and takes the new key from the records.
   */
  private onHello(link: Link, msg: pb.Frame['msg']): void {
    const id = nodeIdOf(link.remoteKey);
    const hello =
      msg.case === 'hello' &&
      msg.value.protocolVersion === PROTOCOL_VERSION &&
      Buffer.compare(msg.value.nodeId, link.remoteKey) === 0 &&
      Buffer.compare(link.remoteKey, this.transport.publicKey) !== 0;
    const proven = hello && verifyProof(this.key.key, this.transport.publicKey, link.remoteKey, msg.value.proof);
    if (!hello || this.revoked.has(id) || (!proven && !this.isMember(id))) {
      if (hello && !this.revoked.has(id)) {
        this.refusedByProof.add(id);
        this.options.onRefusedConnection?.(id);
      }
      this.transport.refuse?.(link.remoteKey);
      return this.reject(link);
    }
    this.authed.set(link, id);
    this.links.set(id, link);
    this.lastSeen.set(id, this.now());
    link.send(encodeFrame({ case: 'records', value: { $typeName: 'netd.cluster.v1.Records', records: [...this.state.all()].map(encodeRecord) } }));
    // Its pending claims may have reached this node through a relay before this link existed, and
    // the answer then went nowhere (answers go straight to the claimant): answer again. The same
    // claim gets the same answer, the promise being made already.
    for (const r of this.state.recordsOf(id)) if (isPendingClaim(r)) this.sendAck(id, r);
    this.refresh();
  }

  private onRecords(link: Link, from: NodeId, raw: pb.Record[]): void {
    const received: PeerRecord[] = [];
    for (const m of raw) {
      try {
        received.push(decodeRecord(m));
      } catch {
        this.rejected++;
      }
    }
    // Rotations first: a batch from a member that has switched keys carries records admitted under
    // the new key, which this node checks once it has taken that key from the rotation.
    const decoded = this.admit(received.filter(isRotation), from);
    const rotations = this.state.merge(decoded);
    if (rotations.length > 0) this.followRotation();
    const rest = this.admit(received.filter((r) => !isRotation(r)), from);
    decoded.push(...rest);
    const applied = [...rotations, ...this.state.merge(rest)];
    if (applied.some((r) => r.body.type === 'revocation')) this.applyRevocations();
    this.traffic.recordsApplied += applied.length;
    for (const r of applied) if (!this.lastSeen.has(r.owner) && r.owner !== this.nodeId) this.lastSeen.set(r.owner, this.now());
    if (applied.length > 0) this.broadcast(applied, link);
    for (const r of applied) if (r.body.type === 'node' && r.owner !== this.nodeId) this.transport.connectTo?.(nodeIdBytes(r.owner));
    if (!this.synced) this.syncedAfterMs = this.now() - this.startedAt;
    this.synced = true;
    for (const r of decoded) {
      if (isPendingClaim(r) && r.owner !== this.nodeId && this.state.get(r.owner, r.key)?.version === r.version) this.sendAck(from, r);
    }
    // A joiner asks for its admission as soon as it knows the voters, not a tick later, and again
    // as soon as another admission completes or is withdrawn (what refused it, mostly).
    if (applied.some((r) => isVoterChange(r) && r.owner !== this.nodeId)) {
      this.nextAdmission = Math.min(this.nextAdmission, this.now() + this.admissionRank() * this.admissionSlot());
    }
    this.seekAdmission();
  }

  /**
   * Why a received record must not be taken, if it must not: a revoked owner's (beyond what its
   * revocation keeps), an owner the cluster key did not admit, or a signature that is not the
   * owner's. The owner's id is its public key, so a relay cannot sign for another node.
   */
  private refusal(r: PeerRecord): RefusedRecord['reason'] | undefined {
    if (this.revoked.has(r.owner) && !keptAfterRevocation(r, this.revoked.get(r.owner)!)) return 'revoked';
    if (!this.admitted(r)) return 'not admitted';
    if (!verifyRecord(r)) return 'bad signature';
    return undefined;
  }

  /** The records of `received` that are new and pass {@link refusal}; the others are counted. */
  private admit(received: PeerRecord[], from: NodeId): PeerRecord[] {
    const out: PeerRecord[] = [];
    for (const r of received) {
      // nothing new: the merge would ignore it, so its signature need not be checked again
      const current = this.state.get(r.owner, r.key);
      if (current && current.version >= r.version) continue;
      const reason = this.refusal(r);
      if (reason) {
        this.refused++;
        this.options.onRefused?.({ reason, owner: r.owner, key: r.key, from });
        continue;
      }
      out.push(r);
    }
    return out;
  }

  /**
   * Whether a record's owner is admitted: its admission checks under the current key, or the
   * winning rotation sealed the key to it (a member that has not switched yet still writes under
   * the old one), or it is a member's rotation whose admission checks under the key it seals to
   * this node (how a member that missed a rotation learns of it). Anyone else must hold the
   * current key: an old key admits no one new.
   */
  private admitted(r: PeerRecord): boolean {
    const nodeKey = nodeIdBytes(r.owner);
    if (r.admission && checkAdmission(this.key.key, nodeKey, r.admission)) return true;
    if (this.recipients().has(r.owner)) return true;
    if (!isRotation(r) || !r.admission || !this.isMember(r.owner)) return false;
    const key = keyFor(r.body.rotation, this.options.identity, this.nodeId);
    return key !== undefined && checkAdmission(key, nodeKey, r.admission);
  }

  /** The members the winning rotation sealed the key to. */
  private recipients(): Set<NodeId> {
    const win = winningRotation(this.state.all());
    return new Set(win?.body.rotation.sealed.map((s) => s.node));
  }

  /** A node admitted before: its node record is held (it passed admission then), or the key was sealed to it. */
  private isMember(id: NodeId): boolean {
    if (this.revoked.has(id)) return false;
    return id === this.nodeId || this.state.get(id, 'node') !== undefined || this.recipients().has(id);
  }

  /**
   * Take the key of the winning rotation if it beats the one held (higher epoch, or the same
   * epoch made by a higher node id). Without a box for this node there is nothing to take: the
   * rotation left it out (it joined in the meantime) and it must join again with the new token.
   */
  private followRotation(): void {
    const win = winningRotation(this.state.all());
    if (!win) return;
    const epoch = win.body.rotation.epoch;
    if (epoch < this.key.epoch || (epoch === this.key.epoch && win.owner <= this.key.rotatedBy)) return;
    if (timingSafeEqual(win.body.rotation.fingerprint, keyHash(this.key.key))) {
      // joined with a token of this key: only its epoch was unknown
      this.key = { key: this.key.key, epoch, rotatedBy: win.owner };
      this.options.onKeyChange?.(this.key);
      return;
    }
    const key = keyFor(win.body.rotation, this.options.identity, this.nodeId);
    if (!key) {
      this.options.onLeftOut?.({ epoch: win.body.rotation.epoch, rotatedBy: win.owner });
      return;
    }
    this.adopt({ key, epoch: win.body.rotation.epoch, rotatedBy: win.owner }, new Set(win.body.rotation.sealed.map((x) => x.node)));
  }

  /**
   * Switch to a new cluster key: persisted by the caller first, then this node's records carry the
   * new admission (its node record is written again to carry it), new connections prove the new
   * key, the transport moves to the new topic, and keys refused for an old proof get another
   * chance. Nodes that only an older key admitted and the rotation did not seal it to (joined
   * with a key the cluster no longer uses) are dropped, as every other member drops them.
   * Links stay up: nothing a running container uses is touched.
   */
  private adopt(next: ClusterKeyState, recipients: ReadonlySet<NodeId>, lead: PeerRecord[] = []): void {
    this.key = next;
    this.options.onKeyChange?.(next);
    this.state.readmit(admissionOf(next.key, this.options.identity.publicKey));
    for (const owner of this.state.owners()) {
      if (owner === this.nodeId || recipients.has(owner) || this.revoked.has(owner)) continue;
      const n = this.state.get(owner, 'node');
      if (n?.admission && checkAdmission(next.key, nodeIdBytes(owner), n.admission)) continue;
      this.state.purge(owner, () => false);
      this.lastSeen.delete(owner);
      this.rtt.delete(owner);
      this.links.get(owner)?.close();
      this.links.delete(owner);
    }
    for (const id of this.refusedByProof) this.transport.forgive?.(nodeIdBytes(id));
    this.refusedByProof.clear();
    this.transport.rekey?.(next.key);
    const node = this.state.get(this.nodeId, 'node');
    // the rotation (if this node made it) goes first, in the same frame: it is what admits the rest
    this.publish(node && !node.tombstone ? [...lead, this.state.write({ type: 'node', node: this.options.node })] : lead);
  }

  /**
   * Take every revocation in the state into effect: the node's records go (what its revocation
   * keeps stays), its link is closed and its key refused. Its endpoints' removal reaches the
   * driver (FDB, neighbours) and the DNS through the views' `remove` events.
   */
  private applyRevocations(): void {
    let changed = false;
    for (const r of [...this.state.all()]) {
      if (r.body.type !== 'revocation') continue;
      const { node, upTo } = r.body.revocation;
      if (node === this.nodeId || this.revoked.has(node) || this.revoked.has(r.owner)) continue;
      this.revoked.set(node, upTo);
      this.state.purge(node, (x) => keptAfterRevocation(x, upTo));
      // its own revocations of others stay in force; they were made while it was a member
      this.lastSeen.delete(node);
      this.rtt.delete(node);
      this.links.get(node)?.close();
      this.links.delete(node);
      this.transport.refuse?.(nodeIdBytes(node));
      changed = true;
    }
    if (changed) this.refresh();
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
    if (!p || p.decided || p.record.version !== ack.version || Buffer.compare(ack.leaseOwner, this.transport.publicKey) !== 0) return;
    // every answer is kept; only voters' count (see evaluate), so one from a voter whose admission
    // reaches this node later still counts then
    if (p.acks.has(from) || p.refusals.has(from)) return;
    if (ack.refused) p.refusals.add(from);
    else p.acks.add(from);
    p.voters = Math.max(p.voters, ack.voters);
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
    link.close(true);
  }

  // ---- leases ----

  /** Answer a peer's pending claim: acknowledge (promise, persisted first) or refuse. */
  private sendAck(to: NodeId, claim: PeerRecord): void {
    // a node not admitted has no vote, and no promise it made before its admission binds anyone
    if (!this.isVoter(this.nodeId)) return;
    const a = this.answer(claim);
    const frame = encodeFrame({
      case: 'leaseAck',
      value: create(LeaseAckSchema, { leaseOwner: nodeIdBytes(claim.owner), key: claim.key, version: claim.version, refused: !a.ack, voters: this.voters().length }),
    });
    // Answers go straight to the claimant; hyperswarm dials every member, so the mesh is full.
    const link = this.links.get(claim.owner) ?? this.links.get(to);
    link?.send(frame);
  }

  /** This node's answer to a claim (its own included), with the promise stored before it is sent. */
  private answer(claim: PeerRecord): { ack: boolean } {
    const supersedes = isLease(claim) ? claim.body.lease.supersedes : undefined;
    // every change of the voter set (admission or removal) is promised under one key: one at a time
    const change = isVoterChange(claim);
    // a removal only of a node this member knows revoked: no member removes voters by itself
    if (change && claim.body.type === 'claim' && claim.body.claim.resource !== VOTER_RESOURCE && !this.revoked.has(claim.body.claim.networkId)) return { ack: false };
    const key = change ? VOTER_KEY : claim.key;
    const a = answerClaim(this.memberView(key), { owner: claim.owner, version: claim.version, supersedes });
    if (a.ack) this.votes.set(key, a.promise);
    return a;
  }

  private changeDone(p: ClaimRef): boolean {
    const records = this.state.recordsOf(p.owner).filter(isVoterChange).map((r) => ({ version: r.version, pending: isPendingClaim(r) }));
    return changeSettled(p, records, this.revoked.has(p.owner), this.isReclaimable(p.owner));
  }

  /** What this node knows about a claimed key: its promise, confirmed holders, withdrawals, silences. */
  private memberView(key: string): MemberView {
    // Voter changes: one at a time, whoever holds its vote; admitted voters do not block others.
    if (key === VOTER_KEY) return { promised: this.votes.get(key), held: [], released: (ref) => this.changeDone(ref), reclaimable: () => false };
    const held: ClaimRef[] = [];
    for (const owner of this.state.owners()) {
      const r = this.state.get(owner, key);
      if (r && !r.tombstone && isConfirmed(r) && !this.isVoid(r)) held.push({ owner, version: r.version });
    }
    return {
      promised: this.votes.get(key),
      held,
      released: (ref) => {
        const r = this.state.get(ref.owner, key);
        if (!r) return false;
        // withdrawn after the promise, or a later pending claim of the owner replaced it
        if (r.version > ref.version && (r.tombstone || !isConfirmed(r))) return true;
        return this.isVoid(r);
      },
      reclaimable: (n) => this.isReclaimable(n),
    };
  }

  /**
   * A record that no longer holds its key although its owner did not withdraw it: a claim of a
   * deleted network, or a lease voided by a confirmed reclaim.
   */
  private isVoid(r: PeerRecord): boolean {
    if (r.body.type === 'claim') return !isVoterChange(r) && this.deletedNetwork(r.body.claim.networkId);
    if (isLease(r)) {
      for (const owner of this.state.owners()) {
        const o = this.state.get(owner, r.key);
        if (!o || o.tombstone || owner === r.owner || !isLease(o) || !o.body.lease.confirmed) continue;
        const s = o.body.lease.supersedes;
        if (s && s.owner === r.owner && s.version >= r.version) return true;
      }
    }
    return false;
  }

  private deletedNetwork(networkId: string): boolean {
    for (const owner of this.state.owners()) {
      const r = this.state.get(owner, `network-deleted/${networkId}`);
      if (r && !r.tombstone) return true;
    }
    return false;
  }

  /** Decide a pending claim by the majority rule (see ./quorum). */
  private evaluate(key: string): void {
    const p = this.pending.get(key);
    if (!p || p.decided) return;
    const t = tallyVoters(new Set(this.voters()), p.acks, p.refusals, p.voters);
    if (t !== 'open') this.decide(key, t);
  }

  private decide(key: string, outcome: ClaimOutcome): void {
    const p = this.pending.get(key);
    if (!p || p.decided) return;
    p.decided = true;
    p.resolve(outcome);
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
      if (r.tombstone || this.pending.has(r.key)) continue;
      if (r.body.type === 'claim' && !r.body.claim.confirmed) {
        // a name or VNI claim left pending by a crash: withdrawn, so the promises made to it end
        const removed = this.state.remove(r.key);
        if (removed) this.broadcast([removed]);
        continue;
      }
      if (!isLease(r)) continue;
      if (leases.on(r.body.lease.networkId, r.body.lease.block)[0]?.owner === this.nodeId) continue;
      // Ours but not holding: superseded by a reclaim while we were away, lost a tie, or a pending
      // lease left over from before a restart.
      const removed = this.state.remove(r.key);
      if (removed) this.broadcast([removed]);
      if (r.body.lease.confirmed) this.emit({ kind: 'lease-lost', networkId: r.body.lease.networkId, block: r.body.lease.block });
    }
    for (const key of [...this.pending.keys()]) this.evaluate(key);
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

/** A revoked node's networks and claims (up to its revocation) outlive it; nothing else does. */
function keptAfterRevocation(r: PeerRecord, upTo: bigint): boolean {
  return r.version <= upTo && (r.body.type === 'network' || r.body.type === 'network-deletion' || r.body.type === 'claim' || r.body.type === 'revocation');
}

function isConfirmed(r: PeerRecord): boolean {
  return (r.body.type === 'lease' && r.body.lease.confirmed) || (r.body.type === 'claim' && r.body.claim.confirmed);
}

function isPendingClaim(r: PeerRecord): boolean {
  return !r.tombstone && (r.body.type === 'lease' || r.body.type === 'claim') && !isConfirmed(r);
}

/** A claim that changes the voter set: an admission or a removal (see GossipDiscovery.voters). */
export function isVoterChange(r: PeerRecord): boolean {
  return r.body.type === 'claim' && (r.body.claim.resource === VOTER_RESOURCE || r.body.claim.resource.startsWith(REMOVAL_PREFIX));
}

function voterBody(self: NodeId, confirmed: boolean): RecordBody {
  return { type: 'claim', claim: { resource: VOTER_RESOURCE, networkId: self, confirmed } };
}

function confirmedBody(b: RecordBody): RecordBody {
  if (b.type === 'lease') return { type: 'lease', lease: { ...b.lease, confirmed: true } };
  if (b.type === 'claim') return { type: 'claim', claim: { ...b.claim, confirmed: true } };
  return b;
}
