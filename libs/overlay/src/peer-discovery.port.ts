import type { Prefix } from '@app/common';
import type { NetworkConflict, Peer } from './cluster-view';
import type { EndpointRecord, NetworkDef, NodeId, NodeInfo } from './peer-record';

/** A cluster member as `cluster ls` shows it. */
export interface ClusterMember {
  readonly id: NodeId;
  readonly self: boolean;
  /** Undefined until the member's node record has arrived. */
  readonly info?: NodeInfo;
  readonly alive: boolean;
  /** Epoch ms of the last frame received directly from it (undefined for self or never). */
  readonly lastSeen?: number;
  /** Round-trip time of the last gossip ping answered by it, in ms (undefined for self or never). */
  readonly rttMs?: number;
  /** `voter` once a majority of the voters admitted it (its answers count); `joining` before. */
  readonly role: 'voter' | 'joining';
}

/** A cluster-wide network as every node sees it, with the node that created it. */
export type ClusterNetwork = NetworkDef & { readonly owner: NodeId };

/** The input of {@link PeerDiscovery.createNetwork}: the VNI is chosen cluster-wide when absent. */
export type NewNetwork = Omit<NetworkDef, 'vni'> & { readonly vni?: number };

export type PeerEvent =
  | { readonly kind: 'add'; readonly peer: Peer }
  | { readonly kind: 'remove'; readonly peer: Peer }
  | { readonly kind: 'node-up'; readonly node: ClusterMember }
  | { readonly kind: 'node-down'; readonly node: ClusterMember }
  | { readonly kind: 'network-add'; readonly network: ClusterNetwork }
  | { readonly kind: 'network-remove'; readonly network: ClusterNetwork }
  | { readonly kind: 'network-conflict'; readonly conflict: NetworkConflict }
  | { readonly kind: 'lease-lost'; readonly networkId: string; readonly block: Prefix };

/**
 * Cluster membership and replicated overlay state (STYLE.md §2 "Overlay shape"). The overlay
 * driver and the daemon's services talk to this port only; `HyperswarmDiscovery` implements it over
 * the swarm, `FakeDiscovery` over an in-memory hub. All reads are of the local replica: they never
 * block on the network and may lag other nodes until gossip converges.
 */
export abstract class PeerDiscovery {
  /** This node's id (its Noise public key, hex). */
  abstract readonly nodeId: NodeId;

  /** Connect to the cluster and announce this node. Called once by the daemon at boot. */
  abstract start(): Promise<void>;

  /** Leave the swarm and stop timers. Records stay on peers until they time this node out. */
  abstract stop(): Promise<void>;

  /**
   * Subscribe to `add`/`remove` events of a network's endpoints (all nodes, this one included). The
   * current peers are replayed as `add` events at once, so a late subscriber misses nothing.
   */
  abstract join(networkId: string): void;

  /** Stop endpoint events for a network. No `remove` events are sent: the caller tears down. */
  abstract leave(networkId: string): void;

  /** Publish (or update) one of this node's endpoints. Throws InvalidParameterError on bad values. */
  abstract announce(endpoint: EndpointRecord): void;

  /** Withdraw one of this node's endpoints; a no-op if it was not announced. */
  abstract withdraw(networkId: string, endpointId: string): void;

  /**
   * Define a cluster-wide network. Its name and VNI are claimed first and confirmed by a majority of
   * the members (see ./quorum), so of two nodes creating one name concurrently at most one succeeds.
   * Conflict if the name is taken (locally or by a confirmed claim); Unavailable (503) when this
   * node does not reach a majority.
   */
  abstract createNetwork(def: NewNetwork): Promise<ClusterNetwork>;

  /** Delete a network on every node. NotFound if unknown; Conflict while any node has endpoints on it. */
  abstract deleteNetwork(networkId: string): void;

  abstract networks(): ClusterNetwork[];

  /** The live endpoints of a network across the cluster. */
  abstract peers(networkId: string): Peer[];

  /** Every node known, this one first. */
  abstract members(): ClusterMember[];

  /**
   * Lease a free block of the network's subnet for this node (Flannel-style). Resolves only once the
   * lease is confirmed by a majority of the members, so no block is used by two nodes even across
   * a partition. NotFound for an unknown network; Unavailable when the subnet has no free block or
   * this node does not reach a majority. With `want`, lease exactly
   * that block (a static address's): InvalidParameter if it is not a block of the network,
   * Conflict if another node holds it or wins it; resolves at once if this node already holds it.
   */
  abstract leaseBlock(networkId: string, want?: Prefix): Promise<Prefix>;

  /** Give a block back (its addresses must no longer be in use). */
  abstract releaseBlock(networkId: string, block: Prefix): void;

  /** This node's confirmed blocks in a network. */
  abstract blocks(networkId: string): Prefix[];

  /** Which node holds which confirmed blocks of a network (`network inspect`). */
  abstract blockHolders(networkId: string): Map<NodeId, Prefix[]>;

  /** Listen to every event; returns the unsubscribe function. */
  abstract subscribe(listener: (event: PeerEvent) => void): () => void;
}
