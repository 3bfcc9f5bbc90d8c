import { IpAddr } from '@app/common';
import { createClusterKey, createNodeIdentity } from '../cluster-token';
import { GossipDiscovery, GossipOptions } from '../gossip-discovery';
import { nodeIdOf, type NodeId } from '../peer-record';
import type { Link, Transport, TransportHandler } from '../transport';

/**
 * In-memory stand-in for the swarm: every started {@link FakeDiscovery} on a hub is linked to every
 * other, like peers on one topic. Delivery is asynchronous and ordered per link. The gossip logic is
 * the real one ({@link GossipDiscovery}); only the wire is fake, so the same authentication runs and a
 * node with another cluster key is refused exactly as over hyperswarm.
 *
 * Injectable faults: `drop(from, to)` loses frames (after the handshake) to exercise anti-entropy;
 * `isolate(node)` cuts a node off (its links close, no new ones) until `restore(node)`; `cut(node)`
 * is a cut cable: its links stay open but carry nothing either way, and nobody can dial it, until
 * `mend(node)`; a link that lost a frame to the cut stays dead, so only a fresh dial (`connectTo`)
 * links the node again, as over a real network.
 */
export class FakeHub {
  /** Return true to lose a frame from → to. */
  drop: (from: NodeId, to: NodeId) => boolean = () => false;
  /**
   * Return true while two nodes are on different sides of a partition: no frame passes either way
   * (handshakes included), open links between them go silent and stay dead, and dials fail, as
   * over a real network that was split. Unlike `drop`, which spares a link's first frame.
   */
  separated: (a: NodeId, b: NodeId) => boolean = () => false;
  dropped = 0;
  private readonly members = new Map<NodeId, FakeTransport>();
  private readonly isolated = new Set<NodeId>();
  private readonly severed = new Set<NodeId>();
  private inFlight = 0;

  register(t: FakeTransport): void {
    this.members.set(t.id, t);
    for (const other of this.members.values()) if (other !== t && other.running) this.connect(t, other);
  }

  unregister(t: FakeTransport): void {
    this.members.delete(t.id);
  }

  isolate(id: NodeId): void {
    this.isolated.add(id);
    this.members.get(id)?.closeAll();
    for (const m of this.members.values()) m.closeLinksTo(id);
  }

  restore(id: NodeId): void {
    this.isolated.delete(id);
    const t = this.members.get(id);
    if (t) for (const other of this.members.values()) if (other !== t && other.running) this.connect(t, other);
  }

  cut(id: NodeId): void {
    this.severed.add(id);
  }

  mend(id: NodeId): void {
    this.severed.delete(id);
  }

  /** A dial from `from` to the node with `publicKey`: links them unless cut, isolated or already linked. */
  dial(from: FakeTransport, publicKey: Uint8Array): void {
    const to = this.members.get(nodeIdOf(publicKey));
    if (!to || to === from || !to.running || !from.running || this.severed.has(from.id) || this.severed.has(to.id) || this.separated(from.id, to.id)) return;
    if (from.hasOpenLinkTo(to.id)) return;
    this.connect(from, to);
  }

  /** Wait until no frame is in flight (all deliveries and their consequences are done). */
  async settle(): Promise<void> {
    for (let quiet = 0; quiet < 3; ) {
      await new Promise((r) => setImmediate(r));
      quiet = this.inFlight === 0 ? quiet + 1 : 0;
    }
  }

  deliver(from: FakeTransport, to: FakeTransport, link: FakeLink, frame: Uint8Array, first: boolean): void {
    // A stream that lost frames to a cut never recovers (its retransmissions time out), but no
    // one is told: it stays open and silent.
    if (this.severed.has(from.id) || this.severed.has(to.id) || this.separated(from.id, to.id)) link.broken = link.peer.broken = true;
    if (link.broken || (!first && this.drop(from.id, to.id))) {
      this.dropped++;
      return;
    }
    this.inFlight++;
    setImmediate(() => {
      this.inFlight--;
      if (!link.closed) to.handler?.onFrame(link, frame);
    });
  }

  private connect(a: FakeTransport, b: FakeTransport): void {
    if (this.isolated.has(a.id) || this.isolated.has(b.id) || this.separated(a.id, b.id)) return;
    const ab = new FakeLink(this, a, b);
    const ba = new FakeLink(this, b, a);
    ab.peer = ba;
    ba.peer = ab;
    a.open(ab);
    b.open(ba);
  }
}

class FakeLink implements Link {
  peer!: FakeLink;
  closed = false;
  broken = false;
  private sent = 0;
  readonly remoteKey: Uint8Array;

  constructor(
    private readonly hub: FakeHub,
    readonly local: FakeTransport,
    readonly remote: FakeTransport,
  ) {
    this.remoteKey = remote.publicKey;
  }

  send(frame: Uint8Array): void {
    if (this.closed) return;
    this.hub.deliver(this.local, this.remote, this.peer, frame, this.sent++ === 0);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.local.dropLink(this);
    this.peer.close();
  }
}

export class FakeTransport implements Transport {
  readonly id: NodeId;
  handler?: TransportHandler;
  running = false;
  private readonly links = new Set<FakeLink>();

  constructor(
    private readonly hub: FakeHub,
    readonly publicKey: Uint8Array,
  ) {
    this.id = nodeIdOf(publicKey);
  }

  async start(handler: TransportHandler): Promise<void> {
    this.handler = handler;
    this.running = true;
    this.hub.register(this);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.closeAll();
    this.hub.unregister(this);
  }

  connectTo(publicKey: Uint8Array): void {
    this.hub.dial(this, publicKey);
  }

  hasOpenLinkTo(id: NodeId): boolean {
    return [...this.links].some((l) => l.remote.id === id && !l.closed);
  }

  open(link: FakeLink): void {
    this.links.add(link);
    this.handler?.onOpen(link);
  }

  dropLink(link: FakeLink): void {
    if (this.links.delete(link)) this.handler?.onClose(link);
  }

  closeAll(): void {
    for (const l of [...this.links]) l.close();
  }

  closeLinksTo(id: NodeId): void {
    for (const l of [...this.links]) if (l.remote.id === id) l.close();
  }
}

export type FakeDiscoveryOptions = Partial<GossipOptions> & { readonly seed?: Uint8Array };

/** A {@link GossipDiscovery} on a {@link FakeHub}. Defaults: timers off (call `tick()`), one shared test key. */
export class FakeDiscovery extends GossipDiscovery {
  readonly wire: FakeTransport;

  constructor(hub: FakeHub, options: FakeDiscoveryOptions = {}) {
    const identity = createNodeIdentity(options.seed);
    const transport = new FakeTransport(hub, identity.publicKey);
    super(transport, {
      clusterKey: options.clusterKey ?? FAKE_CLUSTER_KEY,
      node: options.node ?? { name: `node-${transport.id.slice(0, 6)}`, advertiseAddr: IpAddr.parse('127.0.0.1'), dhtPort: 49737 },
      tickMs: 0,
      ...options,
      identity,
    });
    this.wire = transport;
  }
}

export const FAKE_CLUSTER_KEY = createClusterKey();
