import { InvalidParameterError } from '@app/common';
import DHT from 'hyperdht';
import Hyperswarm from 'hyperswarm';
import { clusterTopic, formatAddress, parseAddress, type DhtAddress, type NodeIdentity } from './cluster-token';
import { GossipDiscovery, type GossipOptions } from './gossip-discovery';
import { nodeIdOf, type NodeId } from './peer-record';
import type { Link, Transport, TransportHandler } from './transport';

/**
 * {@link PeerDiscovery} over hyperswarm: the only file that imports hyperswarm/hyperdht.
 *
 * One swarm per daemon, on one topic (a hash of the cluster key). Each daemon runs a persistent
 * DHT node bound to its advertise address on a fixed port, with the other hosts as bootstrap, so a
 * LAN cluster needs nothing outside. Topic lookups on a tiny DHT are slow and flaky, so members learned
 * from the replicated state are dialled directly (`joinPeer`, which hyperswarm retries with backoff).
 * A connection is used only after the Hello proof (see ./auth); a key that fails it is firewalled.
 */
export interface HyperswarmOptions extends GossipOptions {
  readonly identity: NodeIdentity;
  /**
   * DHT bootstrap nodes. REQUIRED and explicit: an absent list would make hyperdht fall back to the
   * public bootstrap nodes on the Internet. `[]` is allowed (this node is the first bootstrap).
   */
  readonly bootstrap: readonly DhtAddress[];
  /** Address the DHT binds to and announces (never unbound: it would announce every local IP). */
  readonly host: string;
  /** Fixed DHT port (0: any). */
  readonly port?: number;
  /** Members to dial at start (static peers, the fallback when the DHT finds nobody). */
  readonly peers?: readonly Uint8Array[];
  /** Closed membership: when set, the firewall refuses every other key before any handshake. */
  readonly allowedKeys?: readonly Uint8Array[];
}

const MAX_FRAME = 4 * 1024 * 1024;
/** How long a refused link may take to deliver what was sent on it before it is destroyed. */
const FLUSH_MS = 1000;
const REFRESH_FIRST_MS = 250;
const REFRESH_ALONE_MAX_MS = 5000;
const REFRESH_STEADY_MS = 30_000;

export class HyperswarmDiscovery extends GossipDiscovery {
  private readonly swarmTransport: SwarmTransport;

  constructor(options: HyperswarmOptions) {
    const transport = new SwarmTransport(options);
    super(transport, options);
    this.swarmTransport = transport;
  }

  /** The bootstrap list and bind address actually handed to hyperdht (tests assert on it). */
  get dhtConfig(): { bootstrap: DhtAddress[]; host: string } {
    return this.swarmTransport.dhtConfig;
  }

  /** The DHT's bound UDP address, once started. */
  get dhtAddress(): DhtAddress | undefined {
    return this.swarmTransport.dht?.address();
  }
}

/** Refuse to build a DHT without an explicit bootstrap list of IP:port entries. */
export function checkBootstrap(bootstrap: unknown): DhtAddress[] {
  if (!Array.isArray(bootstrap)) {
    throw new InvalidParameterError('overlay: an explicit DHT bootstrap list is required (the public bootstrap nodes are never used)');
  }
  return bootstrap.map((a: DhtAddress) => parseAddress(formatAddress(a)));
}

class SwarmTransport implements Transport {
  readonly publicKey: Uint8Array;
  readonly dhtConfig: { bootstrap: DhtAddress[]; host: string };
  dht?: DHT;
  private swarm?: Hyperswarm;
  private readonly refused = new Set<NodeId>();
  private readonly allowed?: Set<NodeId>;
  private readonly dialled = new Set<NodeId>();
  private refreshTimer?: NodeJS.Timeout;
  private stopped = false;
  private topic: Uint8Array;
  private session?: ReturnType<Hyperswarm['join']>;

  constructor(private readonly options: HyperswarmOptions) {
    const bootstrap = checkBootstrap(options.bootstrap);
    const host = parseAddress(`${options.host}:1`).host;
    if (host === '0.0.0.0' || host === '::') throw new InvalidParameterError('overlay: the DHT must bind to a specific address');
    this.dhtConfig = { bootstrap, host };
    this.publicKey = options.identity.publicKey;
    this.allowed = options.allowedKeys ? new Set(options.allowedKeys.map(nodeIdOf)) : undefined;
    this.topic = clusterTopic(options.clusterKey);
  }

  async start(handler: TransportHandler): Promise<void> {
    const keyPair = { publicKey: Buffer.from(this.options.identity.publicKey), secretKey: Buffer.from(this.options.identity.secretKey) };
    this.dht = new DHT({
      bootstrap: this.dhtConfig.bootstrap.map((b) => ({ ...b })),
      host: this.dhtConfig.host,
      port: this.options.port ?? 0,
      keyPair,
      ephemeral: false,
    });
    this.swarm = new Hyperswarm({ dht: this.dht, keyPair, firewall: (key) => this.firewalled(key) });
    this.swarm.on('connection', (socket) => attach(socket, handler));
    await this.dht.ready();
    for (const p of this.options.peers ?? []) this.connectTo(p);
    this.session = this.swarm.join(this.topic, { server: true, client: true });
    await this.session.flushed();
    this.lookAgain(() => this.session?.refresh({ server: true, client: true }) ?? Promise.resolve(), REFRESH_FIRST_MS);
  }

  /**
   * A new cluster key: announce on its topic and stop announcing on the old one (a joiner with an
   * old token finds nobody there). Open connections are the swarm's, not the topic's: they stay.
   * Members that missed the rotation still find this node by its key (they dial members directly).
   */
  rekey(clusterKey: Uint8Array): void {
    const old = this.topic;
    this.topic = clusterTopic(clusterKey);
    if (!this.swarm || this.stopped || Buffer.compare(old, this.topic) === 0) return;
    this.session = this.swarm.join(this.topic, { server: true, client: true });
    this.swarm.leave(old).catch(() => undefined);
  }

  forgive(publicKey: Uint8Array): void {
    this.refused.delete(nodeIdOf(publicKey));
  }

  /**
   * Daemons starting together each look the topic up before the others announced, and hyperswarm
   * only refreshes after minutes; so look again with backoff, quickly while alone, then slowly.
   */
  private lookAgain(refresh: () => Promise<void>, delay: number): void {
    this.refreshTimer = setTimeout(() => {
      if (this.stopped) return;
      refresh()
        .catch(() => undefined)
        .finally(() => {
          const alone = (this.swarm?.connections.size ?? 0) === 0;
          this.lookAgain(refresh, alone ? Math.min(delay * 2, REFRESH_ALONE_MAX_MS) : REFRESH_STEADY_MS);
        });
    }, delay).unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.refreshTimer);
    await this.swarm?.destroy();
    if (this.dht && !this.dht.destroyed) await this.dht.destroy();
  }

  /**
   * Dial a member. Calling it again is the redial after a loss: hyperswarm backs off to ten minutes
   * after four failed attempts (a cut link), and joinPeer on a known peer queues it at once again.
   * A no-op while a connection to it exists.
   */
  connectTo(publicKey: Uint8Array): void {
    const id = nodeIdOf(publicKey);
    if (!this.swarm || this.refused.has(id) || id === nodeIdOf(this.publicKey)) return;
    this.dialled.add(id);
    this.swarm.joinPeer(Buffer.from(publicKey));
  }

  refuse(publicKey: Uint8Array): void {
    const id = nodeIdOf(publicKey);
    this.refused.add(id);
    if (this.dialled.delete(id)) this.swarm?.leavePeer(Buffer.from(publicKey));
  }

  private firewalled(key: Buffer): boolean {
    const id = key.toString('hex');
    return this.refused.has(id) || (this.allowed !== undefined && !this.allowed.has(id));
  }
}

/** Length-prefixed frames (uint32 BE) over a Noise stream. */
interface FrameSocket {
  readonly remotePublicKey: Buffer;
  write(b: Buffer): unknown;
  end(): unknown;
  destroy(): void;
  on(event: 'data', l: (chunk: Buffer) => void): unknown;
  on(event: 'error' | 'close', l: () => void): unknown;
}

function attach(socket: FrameSocket, handler: TransportHandler): void {
  let buffered: Buffer = Buffer.alloc(0);
  let closed = false;
  let ending = false;
  const link: Link = {
    remoteKey: new Uint8Array(socket.remotePublicKey),
    send(frame) {
      if (closed || ending) return;
      const head = Buffer.alloc(4);
      head.writeUInt32BE(frame.length);
      socket.write(Buffer.concat([head, frame]));
    },
    close(flush) {
      if (closed) return;
      if (!flush) return socket.destroy();
      // nothing more is read from a refused peer
      ending = true;
      socket.end();
      setTimeout(() => {
        if (!closed) socket.destroy();
      }, FLUSH_MS).unref();
    },
  };
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (!closed && !ending && buffered.length >= 4) {
      const len = buffered.readUInt32BE(0);
      if (len > MAX_FRAME) return link.close();
      if (buffered.length < 4 + len) break;
      const frame = new Uint8Array(buffered.subarray(4, 4 + len));
      buffered = buffered.subarray(4 + len);
      handler.onFrame(link, frame);
    }
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    closed = true;
    handler.onClose(link);
  });
  handler.onOpen(link);
}
