import { ConflictError, InvalidParameterError, IpAddr, MacAddr, NetdError, NotFoundError, Prefix, UnavailableError, generateId } from '@app/common';
import { OPTION_VXLANID_LIST, type OverlayDriver } from '@app/drivers';
import type { Ipam } from '@app/ipam/ipam.contract';
import {
  HyperswarmDiscovery,
  blockLengthFor,
  blockOf,
  createClusterKey,
  createNodeIdentity,
  encodeToken,
  fingerprint,
  formatAddress,
  nodeIdBytes,
  parseAddress,
  parseToken,
  isVoterChange,
  type ClusterKeyState,
  type ClusterNetwork,
  type DhtAddress,
  type GossipDiscovery,
  type GossipOptions,
  type NodeIdentity,
  type PeerEvent,
  type PeerRecord,
  type RefusedRecord,
} from '@app/overlay';
import type { Logger } from 'pino';
import { hostname } from 'node:os';
import type { RemoteNames } from '../dns/sandbox-dns';
import type { NetworkLifecycle } from '../networks/network-lifecycle';
import type { EndpointRecord, StateStore } from '../store/state-store';
import type { ClusterBootConfig } from './cluster-config';
import type { ClusterMembership, ClusterStore } from './cluster-store';

export const DEFAULT_CLUSTER_PORT = 7946;

/** What `POST /netd/cluster/init` and `join` accept (already validated by the controller). */
export interface ClusterJoinInput {
  readonly advertiseAddr: string;
  readonly listenPort?: number;
  readonly name?: string;
}

export interface ClusterNetworkInput {
  readonly name: string;
  readonly subnet: string;
  readonly gateway?: string;
  readonly blockLength?: number;
  readonly internal?: boolean;
  readonly attachable?: boolean;
}

export interface DiscoveryParams extends GossipOptions {
  readonly identity: NodeIdentity;
  readonly bootstrap: readonly DhtAddress[];
  readonly host: string;
  readonly port: number;
  /** Members to dial directly at start (the join token's peers). */
  readonly peers?: readonly Uint8Array[];
}

export interface ClusterDeps {
  readonly store: StateStore;
  readonly ipam: Ipam;
  /** The path every network takes (reserve, finish, release), shared with the networks API. */
  readonly lifecycle: NetworkLifecycle;
  readonly clusterStore: ClusterStore;
  readonly driver: Pick<OverlayDriver, 'type' | 'createNetwork' | 'deleteNetwork' | 'parseOptions' | 'onPeerEvent' | 'pruneInheritedFdb'>;
  readonly log: Logger;
  /** Builds the discovery; tests pass FakeDiscovery. Default: HyperswarmDiscovery. */
  readonly makeDiscovery?: (p: DiscoveryParams) => GossipDiscovery;
  /** Membership silence before a node counts as down (default 10 s); daemon.json `cluster.node-timeout` wins. */
  readonly deadAfterMs?: number;
  /** Silence before a node's address blocks may be leased by others (default 5 min); `cluster.reclaim-timeout` wins. */
  readonly reclaimAfterMs?: number;
  /** The clock of the membership timeouts (tests). */
  readonly now?: () => number;
  /** The embedded DNS, fed with other hosts' endpoints so names resolve across hosts. */
  readonly dns?: RemoteNames;
  /**
   * Move containers off addresses this node no longer holds (a block lost to a reclaim while it
   * was cut off): disconnect and connect again, which takes an address from a block it holds and
   * publishes disconnect/connect events. Absent: the endpoints are only reported.
   */
  readonly renumber?: (networkId: string, endpoints: readonly EndpointRecord[]) => Promise<void>;
}



/**
 * Cluster membership and overlay networks on this node. netd is its own DHT bootstrap
 * node (a persistent DHT node on `listenPort` of the advertise address); members list each other as
 * bootstrap, so nothing outside the cluster is ever contacted. A cluster network becomes, on every
 * node, a local network record with an IPAM pool over the subnet (addresses come only from the
 * blocks this node leases as its endpoints need them, see addressFor), and a driver network; discovery's endpoint events feed the driver's FDB and neighbour entries.
 */
export class ClusterService {
  private discovery?: GossipDiscovery;
  private unsubscribe?: () => void;
  private persistTimer?: NodeJS.Timeout;
  private queue: Promise<unknown> = Promise.resolve();
  private timeouts: { deadAfterMs?: number; reclaimAfterMs?: number };
  private readonly refusedLogged = new Map<string, number>();
  /** The timeouts this service was built with, for a reload that removes daemon.json's. */
  private readonly builtTimeouts: { deadAfterMs?: number; reclaimAfterMs?: number };

  private readonly clusterStore: ClusterStore;
  private readonly dns?: RemoteNames;
  private readonly driver: Pick<OverlayDriver, 'type' | 'createNetwork' | 'deleteNetwork' | 'parseOptions' | 'onPeerEvent' | 'pruneInheritedFdb'>;
  private readonly ipam: Ipam;
  private readonly lifecycle: NetworkLifecycle;
  private readonly log: Logger;
  private readonly makeDiscovery?: (p: DiscoveryParams) => GossipDiscovery;
  private readonly now?: () => number;
  private readonly store: StateStore;
  private readonly renumber?: ClusterDeps['renumber'];

  constructor(deps: ClusterDeps) {
    this.renumber = deps.renumber;
    this.clusterStore = deps.clusterStore;
    this.dns = deps.dns;
    this.driver = deps.driver;
    this.ipam = deps.ipam;
    this.lifecycle = deps.lifecycle;
    this.log = deps.log;
    this.makeDiscovery = deps.makeDiscovery;
    this.now = deps.now;
    this.store = deps.store;
    this.timeouts = { deadAfterMs: deps.deadAfterMs, reclaimAfterMs: deps.reclaimAfterMs };
    this.builtTimeouts = this.timeouts;
  }

  /** This node's VTEP: its advertise address, known from the persisted membership before start. */
  vtep(): IpAddr | undefined {
    return this.clusterStore.vtep();
  }

  /** The membership is the cluster store's: it is read by the overlay driver, built before this service. */
  private get membership(): ClusterMembership | undefined {
    return this.clusterStore.membership();
  }

  get active(): GossipDiscovery | undefined {
    return this.discovery;
  }

  /** At boot: take daemon.json's timeouts, then rejoin a persisted cluster or join the one it names. */
  async start(fromConfig?: ClusterBootConfig): Promise<void> {
    this.timeouts = {
      deadAfterMs: fromConfig?.nodeTimeoutMs ?? this.timeouts.deadAfterMs,
      reclaimAfterMs: fromConfig?.reclaimTimeoutMs ?? this.timeouts.reclaimAfterMs,
    };
    const { token, advertiseAddr } = fromConfig ?? {};
    if (!this.membership && token && advertiseAddr) {
      await this.join({ ...fromConfig, token, advertiseAddr });
      return;
    }
    if (this.membership) await this.connect(this.membership);
  }

  /** A reload of daemon.json's cluster timeouts: for the running membership and the next one. */
  setTimeouts(t: { nodeTimeoutMs?: number; reclaimTimeoutMs?: number }): void {
    this.timeouts = { deadAfterMs: t.nodeTimeoutMs ?? this.builtTimeouts.deadAfterMs, reclaimAfterMs: t.reclaimTimeoutMs ?? this.builtTimeouts.reclaimAfterMs };
    this.discovery?.setTimeouts(this.timeouts);
  }

  async stop(): Promise<void> {
    clearInterval(this.persistTimer);
    this.unsubscribe?.();
    this.persistOwn();
    await this.discovery?.stop();
    this.discovery = undefined;
  }

  async init(input: ClusterJoinInput): Promise<{ token: string; nodeId: string }> {
    this.refuseIfMember();
    const port = input.listenPort ?? DEFAULT_CLUSTER_PORT;
    const addr = checkAdvertise(input.advertiseAddr);
    const m: ClusterMembership = { key: createClusterKey(), seed: createNodeIdentity().seed, name: nodeName(input.name), advertiseAddr: addr, listenPort: port, bootstrap: [] };
    const nodeId = await this.enter(m);
    return { token: this.token()!, nodeId };
  }

  async join(input: ClusterJoinInput & { token: string; bootstrap?: readonly string[] }): Promise<{ nodeId: string }> {
    this.refuseIfMember();
    const token = parseToken(input.token);
    const addr = checkAdvertise(input.advertiseAddr);
    const extra = (input.bootstrap ?? []).map((b) => formatAddress(parseAddress(b)));
    const bootstrap = [...new Set([...token.bootstrap.map(formatAddress), ...extra])];
    const m: ClusterMembership = { key: token.key, seed: createNodeIdentity().seed, name: nodeName(input.name), advertiseAddr: addr, listenPort: input.listenPort ?? DEFAULT_CLUSTER_PORT, bootstrap };
    return { nodeId: await this.enter(m, token.peers) };
  }

  /** Leave: refused while this node has endpoints on overlay networks; local overlay state goes. */
  async leave(): Promise<void> {
    if (!this.membership) throw new ConflictError('this node is not part of a cluster');
    const overlays = this.store.listNetworks().filter((n) => n.driver === this.driver.type);
    const busy = overlays.filter((n) => this.store.endpointsOf(n.id).length > 0);
    if (busy.length > 0) throw new ConflictError(`this node has endpoints on overlay network ${busy[0].name}: disconnect them first`);
    // no longer a voter: the others' majorities are counted without this node from now on
    this.discovery?.retire();
    await this.stop();
    for (const n of overlays) await this.dematerialize(n.id);
    this.clusterStore.clear();
  }

  token(): string | undefined {
    const m = this.membership;
    if (!m) return undefined;
    // this node and the members it sees alive: a joiner dials them at once instead of waiting
    // for a topic lookup that may first offer nodes long gone
    const peers = (this.discovery?.members() ?? []).filter((n) => n.self || n.alive).map((n) => nodeIdBytes(n.id));
    return encodeToken({ key: m.key, bootstrap: [parseAddress(`${m.advertiseAddr}:${m.listenPort}`), ...m.bootstrap.map((b) => parseAddress(b))], peers });
  }

  status() {
    const m = this.membership;
    const d = this.discovery;
    const members = d?.members() ?? [];
    // every node's confirmed blocks, as `network/block`
    const blocks = new Map<string, string[]>();
    for (const net of d?.networks() ?? []) {
      for (const [node, held] of d!.blockHolders(net.id)) blocks.set(node, [...(blocks.get(node) ?? []), ...held.map((b) => `${net.name}/${b}`)]);
    }
    return {
      Member: m !== undefined,
      NodeID: d?.nodeId ?? '',
      Name: m?.name ?? '',
      AdvertiseAddr: m?.advertiseAddr ?? '',
      ListenPort: m?.listenPort ?? 0,
      Token: this.token() ?? '',
      Fingerprint: d ? fingerprint(nodeIdBytes(d.nodeId)) : '',
      ClusterKeyFingerprint: m ? fingerprint(m.key) : '',
      ClusterKeyEpoch: m?.epoch ?? 0,
      RefusedRecords: d?.refused ?? 0,
      Nodes: members.map((n) => ({
        ID: n.id,
        Name: n.info?.name ?? '',
        Addr: n.info ? `${n.info.advertiseAddr}:${n.info.dhtPort}` : '',
        State: n.alive ? 'ready' : 'down',
        // `voter` once a majority of the voters admitted it; `joining` before (its answers do not count)
        Role: n.role,
        Self: n.self,
        LastSeen: n.self ? new Date().toISOString() : n.lastSeen ? new Date(n.lastSeen).toISOString() : '',
        // measured by the gossip pings each tick; null for this node and before the first answer
        RttMs: n.rttMs === undefined ? null : Math.round(n.rttMs * 1000) / 1000,
        Blocks: blocks.get(n.id) ?? [],
        Fingerprint: fingerprint(nodeIdBytes(n.id)),
      })),
      Revoked: (d?.revokedNodes() ?? []).map((id) => ({ ID: id, Fingerprint: fingerprint(nodeIdBytes(id)) })),
    };
  }

  /**
   * `cluster rotate-key`: a new cluster key of the next epoch, sealed to every member and spread in
   * a record signed by this node. Members switch as it reaches them (a member down meanwhile, when
   * it is back) without dropping a connection; only the new key admits a node not yet a member.
   * Returns the new join token; the key itself is never logged.
   */
  rotateKey(): { Token: string; ClusterKeyFingerprint: string; ClusterKeyEpoch: number } {
    const d = this.member();
    const k = d.rotateKey();
    this.persistOwn();
    return { Token: this.token()!, ClusterKeyFingerprint: fingerprint(k.key), ClusterKeyEpoch: k.epoch };
  }

  /** The driver of cluster networks (Docker's name, as network records carry it). */
  get driverType(): string {
    return this.driver.type;
  }

  /**
   * `cluster rm`: revoke a node (by id, unique id prefix or name). Its records, FDB and neighbour
   * entries, VXLAN peering and DNS names go on every host as the signed revocation spreads, and its
   * key is refused from then on.
   */
  removeNode(term: string): { ID: string } {
    const d = this.member();
    const known = d.members();
    const exact = known.filter((n) => n.id === term);
    const byName = known.filter((n) => n.info?.name === term);
    const byPrefix = term.length >= 3 ? known.filter((n) => n.id.startsWith(term)) : [];
    const found = exact.length > 0 ? exact : byName.length > 0 ? byName : byPrefix;
    if (found.length === 0) throw new NotFoundError(`node ${term} not found`);
    if (found.length > 1) throw new InvalidParameterError(`node ${term} is ambiguous (${found.length} matches)`);
    const node = found[0];
    if (node.self) throw new InvalidParameterError('this node cannot remove itself: run `netctl cluster leave` on it, or `cluster rm` on another member');
    d.revoke(node.id);
    this.log.warn({ node: node.id, name: node.info?.name, fingerprint: fingerprint(nodeIdBytes(node.id)) }, 'cluster node removed: its records go and its key is refused');
    this.persistOwn();
    return { ID: node.id };
  }

  /** The overlay driver's option parser (InvalidParameter on unknown keys), for the networks API. */
  parseOverlayOptions(raw: Readonly<Record<string, string>>): { vni?: number; mtu?: number } {
    return this.driver.parseOptions(raw);
  }

  async createNetwork(input: ClusterNetworkInput): Promise<{ Id: string }> {
    const discovery = this.member();
    const subnet = Prefix.tryParse(input.subnet);
    if (!subnet || !subnet.isNetwork || subnet.family !== 4) throw new InvalidParameterError(`invalid subnet ${JSON.stringify(input.subnet)}: an IPv4 network in CIDR form is required`);
    if (this.store.networkByName(input.name)) throw new ConflictError(`network with name ${input.name} already exists`);
    const gateway = input.gateway ? IpAddr.parse(input.gateway) : subnet.nth(1n);
    const blockLength = input.blockLength ?? blockLengthFor(subnet, discovery.members().length);
    const net = await discovery.createNetwork({ id: generateId(), name: input.name, subnet, gateway, blockLength, internal: !!input.internal, attachable: input.attachable ?? true, options: {} });
    return { Id: net.id };
  }

  deleteNetwork(term: string): void {
    const discovery = this.member();
    const net = discovery.networks().find((n) => n.id === term || n.name === term || (term.length >= 3 && n.id.startsWith(term)));
    if (!net) throw new NotFoundError(`network ${term} not found`);
    discovery.deleteNetwork(net.id);
  }

  /**
   * The address for a new endpoint of this node on a cluster network, from a block this node
   * holds; when every held block is full, one more block is leased (a confirmation round with the
   * other nodes). A static address (`raw`) gets its block leased if this node does not hold it yet
   * and is then taken by the caller's static path (undefined is returned; so also for a static
   * address that is not in the subnet, which that path refuses). Called under the network's lock,
   * so no other endpoint of this node takes an address meanwhile. Unavailable (503) naming the
   * network and the reason when this node can get no address.
   */
  async addressFor(networkId: string, poolId: string, raw?: string): Promise<IpAddr | undefined> {
    const discovery = this.discovery;
    const record = this.store.getNetwork(networkId);
    const net = discovery?.networks().find((n) => n.id === networkId);
    if (!discovery || !net) throw new UnavailableError(`network ${record?.name ?? networkId}: this node is not connected to the network's cluster`);
    if (raw !== undefined) {
      const ip = IpAddr.tryParse(raw);
      if (ip && net.subnet.contains(ip)) await this.lease(net, blockOf(net.blockLength, ip));
      return undefined;
    }
    for (const block of discovery.blocks(networkId)) {
      const ip = this.firstFree(net, poolId, block);
      if (ip) return ip;
    }
    const block = await this.lease(net);
    const ip = this.firstFree(net, poolId, block);
    if (!ip) throw new UnavailableError(`network ${net.name}: no address available on this node: block ${block} has no free address`);
    return ip;
  }

  /** After an endpoint of this node left a cluster network: give back the blocks it left empty. */
  releaseEmptyBlocks(networkId: string): void {
    const discovery = this.discovery;
    if (!discovery) return;
    const used = this.store.endpointsOf(networkId).flatMap((e) => (e.ipv4 ? [Prefix.parse(e.ipv4).address] : []));
    for (const block of discovery.blocks(networkId)) {
      if (!used.some((ip) => block.contains(ip))) discovery.releaseBlock(networkId, block);
    }
  }

  /** netd's field of `network inspect` for a cluster network: the blocks each node holds. */
  blockHolders(networkId: string): { Node: string; Name: string; Blocks: string[] }[] {
    const discovery = this.discovery;
    if (!discovery) return [];
    const names = new Map(discovery.members().map((m) => [m.id, m.info?.name ?? '']));
    return [...discovery.blockHolders(networkId)].map(([node, blocks]) => ({ Node: node, Name: names.get(node) ?? '', Blocks: blocks.map(String) }));
  }

  private async lease(net: ClusterNetwork, want?: Prefix): Promise<Prefix> {
    try {
      return await this.discovery!.leaseBlock(net.id, want);
    } catch (e) {
      if (e instanceof UnavailableError) throw new UnavailableError(`network ${net.name}: no address available on this node: ${e.message}`, { cause: e });
      if (e instanceof NetdError) throw e;
      throw new UnavailableError(`network ${net.name}: no address available on this node: ${String(e)}`, { cause: e });
    }
  }

  /** The first address of `block` the pool can still hand out (not the subnet's network, broadcast or gateway). */
  private firstFree(net: ClusterNetwork, poolId: string, block: Prefix): IpAddr | undefined {
    for (let i = 0n; i < block.size; i++) {
      const ip = block.nth(i);
      if (ip.equals(net.subnet.address) || ip.equals(net.subnet.last) || net.gateway?.equals(ip)) continue;
      try {
        this.ipam.checkAddress(poolId, ip);
        return ip;
      } catch (e) {
        if (!(e instanceof NetdError)) throw e;
      }
    }
    return undefined;
  }

  /** Publish a local endpoint of an overlay network (called by the announcing driver after join). */
  announce(networkId: string, endpointId: string, ip: IpAddr, mac: MacAddr): void {
    const d = this.discovery;
    const vtep = this.vtep();
    if (!d || !vtep || !d.networks().some((n) => n.id === networkId)) return;
    const ep = this.store.listEndpoints().find((e) => e.id === endpointId);
    const sandbox = ep && this.store.listSandboxes().find((s) => s.id === ep.sandboxId);
    const name = (sandbox?.name ?? endpointId.slice(0, 12)).replace(/^\//, '');
    d.announce({ networkId, endpointId, name, aliases: ep?.aliases ?? [], ip, mac, vtep });
  }

  withdraw(networkId: string, endpointId: string): void {
    this.discovery?.withdraw(networkId, endpointId);
  }

  private async enter(m: ClusterMembership, peers?: readonly Uint8Array[]): Promise<string> {
    this.clusterStore.saveMembership(m);
    try {
      return await this.connect(m, peers);
    } catch (e) {
      this.clusterStore.clear();
      throw e;
    }
  }

  private async connect(m: ClusterMembership, peers?: readonly Uint8Array[]): Promise<string> {
    const identity = createNodeIdentity(m.seed);
    const params: DiscoveryParams = {
      clusterKey: m.key,
      clusterKeyEpoch: m.epoch ?? 0,
      clusterKeyRotatedBy: m.rotatedBy ?? '',
      onKeyChange: (k) => this.onKeyChange(k),
      onRefusedConnection: (node) => this.logRefused({ reason: 'not admitted', owner: node, key: 'connection', from: node }),
      onLeftOut: (r) => this.log.error({ epoch: r.epoch, rotatedBy: r.rotatedBy }, 'cluster key rotated without this node (it joined meanwhile): run `netctl cluster leave` and join again with a current token'),
      identity,
      bootstrap: m.bootstrap.map((b) => parseAddress(b)),
      host: m.advertiseAddr,
      port: m.listenPort,
      node: { name: m.name, advertiseAddr: IpAddr.parse(m.advertiseAddr), dhtPort: m.listenPort },
      ...(peers?.length ? { peers } : {}),
      // the node that ran init bootstraps from nobody; every joiner has the token's addresses
      founder: m.bootstrap.length === 0,
      votes: this.clusterStore.votes(),
      onRefused: (r) => this.logRefused(r),
      ...this.timeouts,
      ...(this.now ? { now: this.now } : {}),
    };
    const discovery = (this.makeDiscovery ?? ((p) => new HyperswarmDiscovery(p)))(params);
    discovery.state.merge(this.clusterStore.ownRecords().filter((r) => r.owner === discovery.nodeId));
    // the membership as last known: a restarted node counts its majorities from it, not from
    // whoever it happens to reach first
    discovery.state.merge(this.clusterStore.members().filter((r) => r.owner !== discovery.nodeId));
    // and who of them is a voter: a majority is counted from the voters, not from the members
    discovery.state.merge(this.clusterStore.voterChanges().filter((r) => r.owner !== discovery.nodeId));
    // revocations by other members (this node's own are among its records): in force at once
    discovery.state.merge(this.clusterStore.revocations().filter((r) => r.owner !== discovery.nodeId));
    this.unsubscribe = discovery.subscribe((e) => this.onEvent(e));
    this.discovery = discovery;
    await discovery.start();
    this.persistTimer = setInterval(() => this.persistOwn(), 1000).unref();
    this.log.info({ nodeId: discovery.nodeId, advertise: m.advertiseAddr, port: m.listenPort, bootstrap: m.bootstrap }, 'cluster joined');
    return discovery.nodeId;
  }

  /**
   * A refused record is logged once a minute per owner, key and reason: anti-entropy offers the
   * same record again every tick until the sender drops it, and the log must not flood.
   */
  /** A new cluster key (a rotation here or by a member): persisted before it is used for anything. */
  private onKeyChange(k: ClusterKeyState): void {
    const m = this.membership;
    if (!m) return;
    this.clusterStore.saveMembership({ ...m, key: k.key, epoch: k.epoch, rotatedBy: k.rotatedBy });
    this.log.warn({ fingerprint: fingerprint(k.key), epoch: k.epoch, rotatedBy: k.rotatedBy, previous: fingerprint(m.key) }, 'cluster key rotated');
  }

  private logRefused(r: RefusedRecord): void {
    const key = `${r.reason}\0${r.owner}\0${r.key}`;
    const now = Date.now();
    if ((this.refusedLogged.get(key) ?? -Infinity) > now - 60_000) return;
    if (this.refusedLogged.size > 1024) this.refusedLogged.clear();
    this.refusedLogged.set(key, now);
    if (r.key === 'connection') this.log.warn({ node: r.owner, fingerprint: fingerprint(nodeIdBytes(r.owner)) }, 'cluster connection refused: not a member and no proof of the current cluster key');
    else this.log.warn({ reason: r.reason, owner: r.owner, key: r.key, from: r.from }, 'cluster record refused');
  }

  private onEvent(e: PeerEvent): void {
    if (e.kind === 'network-add') this.serial(() => this.materialize(e.network));
    else if (e.kind === 'network-remove') this.serial(() => this.dematerialize(e.network.id));
    else if (e.kind === 'add' || e.kind === 'remove') {
      this.serial(async () => {
        await this.driver.onPeerEvent(e.peer.networkId, e);
        // this node's own endpoints are in the local DNS already, from its store
        if (e.peer.node !== this.discovery?.nodeId) this.publishName(e.kind, e.peer);
        // An own announcement from before a restart that the store does not have: made just before
        // a kill -9 and never saved, handed back by a peer after the network came up again
        // (materialize withdrew what was known by then). It names a container that is gone.
        else if (e.kind === 'add' && !this.discovery?.announcedHere(e.peer.networkId, e.peer.endpointId) && !this.store.endpointsOf(e.peer.networkId).some((x) => x.id === e.peer.endpointId)) {
          this.discovery?.withdraw(e.peer.networkId, e.peer.endpointId);
        }
      });
    }
    else if (e.kind === 'lease-lost') this.serial(() => this.onLeaseLost(e.networkId, e.block));
  }

  /**
   * A block this node held went to another node (a majority reclaimed it while this node was cut
   * off past the reclaim timeout): the containers on it move to addresses this node holds.
   */
  private async onLeaseLost(networkId: string, block: Prefix): Promise<void> {
    const affected = this.store.endpointsOf(networkId).filter((e) => e.ipv4 && block.contains(Prefix.parse(e.ipv4).address));
    this.log.warn({ network: networkId, block: String(block), endpoints: affected.map((e) => e.id) }, 'address block lease lost: renumbering its endpoints');
    if (affected.length > 0 && this.renumber) await this.renumber(networkId, affected);
  }

  /** Another host's endpoint in (or out of) the embedded DNS: its name, aliases and address. */
  private publishName(kind: 'add' | 'remove', peer: { networkId: string; endpointId: string; name: string; aliases: readonly string[]; ip: IpAddr }): void {
    const dns = this.dns;
    if (!dns) return;
    try {
      if (kind === 'add') {
        const addr = peer.ip.family === 4 ? { ipv4: peer.ip.toString() } : { ipv6: peer.ip.toString() };
        dns.upsertRemote(peer.networkId, { id: peer.endpointId, name: peer.name, aliases: peer.aliases, ...addr });
      } else {
        dns.removeRemote(peer.networkId, peer.endpointId);
      }
    } catch (err) {
      this.log.warn({ err, network: peer.networkId, endpoint: peer.endpointId }, 'dns: remote endpoint not served');
    }
  }

  /** A cluster network on this node: local record and pool, driver network, peers. */
  private async materialize(net: ClusterNetwork): Promise<void> {
    const discovery = this.discovery;
    if (!discovery) return;
    const options = { [OPTION_VXLANID_LIST]: String(net.vni) };
    const parsed = this.driver.parseOptions(options);
    const record = this.store.getNetwork(net.id);
    if (record) {
      // known from before a restart (the reconciler brought it up again): converge, then rejoin
      const gateway = net.gateway ?? this.ipam.getPool(record.poolIds[0])?.gateway;
      await this.driver.createNetwork({ networkId: net.id, name: net.name, options: parsed, internal: net.internal, enableIpv6: false, ipv4: [{ subnet: net.subnet, gateway }], ipv6: [] });
    } else {
      // No block yet: the network exists on every node at once, and a node leases blocks as its
      // endpoints need addresses (addressFor). The pool spans the subnet; addresses outside this
      // node's blocks are never asked of it. The path of every network: pool and record (state
      // creating) in one transaction, the driver, active
      await this.lifecycle.create({
        id: net.id,
        name: net.name,
        driver: this.driver.type,
        scope: 'swarm',
        created: new Date().toISOString(),
        internal: net.internal,
        attachable: net.attachable,
        ingress: false,
        enableIpv4: true,
        enableIpv6: false,
        predefined: false,
        options,
        labels: {},
        ipam: { driver: 'default', options: {}, config: [] },
        userSubnet: true,
        poolIds: [],
        state: 'creating',
      }, [{ addressSpace: 'global', subnet: net.subnet, gateway: net.gateway }], this.driver, parsed,
      // the name was checked where the network was created; a local network here may share it, as in Docker
      { allowDuplicate: true });
    }
    // Endpoints torn down before the cluster started (the restart's reconcile, exits found at
    // start) withdrew nothing: their records, saved with this node's own, would stay live forever.
    const known = new Set(this.store.endpointsOf(net.id).map((e) => e.id));
    for (const r of discovery.state.recordsOf(discovery.nodeId)) {
      if (!r.tombstone && r.body.type === 'endpoint' && r.body.endpoint.networkId === net.id && !known.has(r.body.endpoint.endpointId)) discovery.withdraw(net.id, r.body.endpoint.endpointId);
    }
    discovery.join(net.id);
    // join() replayed the current peers into the queue; once they are programmed, whatever FDB
    // entry a killed predecessor left and no peer re-announced is stale.
    this.serial(() => this.driver.pruneInheritedFdb(net.id));
    for (const ep of this.store.endpointsOf(net.id)) {
      if (ep.state === 'active' && ep.ipv4 && ep.mac) this.announce(net.id, ep.id, Prefix.parse(ep.ipv4).address, MacAddr.parse(ep.mac));
    }
  }

  private async dematerialize(networkId: string): Promise<void> {
    this.discovery?.leave(networkId);
    await this.driver.deleteNetwork(networkId).catch((e) => {
      if (!(e instanceof NotFoundError)) this.log.warn({ err: String(e), network: networkId }, 'overlay teardown');
    });
    const record = this.store.getNetwork(networkId);
    if (record) this.lifecycle.release(record);
  }

  private serial(fn: () => Promise<void>): void {
    this.queue = this.queue.then(fn).catch((err) => this.log.warn({ err: String(err) }, 'cluster event'));
  }

  /** Resolves when every queued cluster event has been applied (tests, benchmarks). */
  async idle(): Promise<void> {
    await this.queue;
  }

  private persistOwn(): void {
    const d = this.discovery;
    if (!d || !this.membership) return;
    this.clusterStore.saveOwnRecords(d.state.recordsOf(d.nodeId));
    this.clusterStore.saveMembers(d.state.owners().flatMap((o) => (o === d.nodeId ? [] : [d.state.get(o, 'node')].filter((r): r is PeerRecord => r !== undefined))));
    this.clusterStore.saveVoterChanges([...d.state.all()].filter((r) => r.owner !== d.nodeId && isVoterChange(r)));
    this.clusterStore.saveRevocations([...d.state.live()].filter((r) => r.body.type === 'revocation'));
  }

  private member(): GossipDiscovery {
    if (!this.discovery) throw new ConflictError('this node is not part of a cluster: run `netctl cluster init` or `netctl cluster join` first');
    return this.discovery;
  }

  private refuseIfMember(): void {
    if (this.membership) throw new ConflictError('this node is already part of a cluster');
  }
}

function checkAdvertise(text: string): string {
  const ip = IpAddr.tryParse(text ?? '');
  if (!ip || ip.family !== 4) throw new InvalidParameterError(`invalid advertise address ${JSON.stringify(text)}: an IPv4 address is required`);
  if (ip.toString() === '0.0.0.0') throw new InvalidParameterError('the advertise address must be a specific address');
  return ip.toString();
}

function nodeName(name?: string): string {
  const n = name ?? hostname();
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/.test(n)) throw new InvalidParameterError(`invalid node name ${JSON.stringify(n)}`);
  return n;
}
