/**
 * What the gossip layer needs from a network: authenticated-by-us, reliable, ordered frame links
 * to other daemons. Hyperswarm provides it in production (Noise streams, framed by us); the fake hub
 * in tests. The transport does not interpret frames; the first frame on every link must be a Hello
 * with a valid cluster proof, which {@link GossipDiscovery} checks before it reads anything else.
 */
export interface Link {
  /** The remote side's Noise public key, as authenticated by the transport's handshake. */
  readonly remoteKey: Uint8Array;
  send(frame: Uint8Array): void;
  /**
   * `flush`: what was sent still reaches the peer before the link goes (a refusal: the peer
   * reads our Hello and logs why it refuses us too); otherwise it goes at once.
   */
  close(flush?: boolean): void;
}

export interface TransportHandler {
  onOpen(link: Link): void;
  onFrame(link: Link, frame: Uint8Array): void;
  onClose(link: Link): void;
}

export interface Transport {
  /** This node's Noise public key: its node id. */
  readonly publicKey: Uint8Array;
  start(handler: TransportHandler): Promise<void>;
  stop(): Promise<void>;
  /**
   * Dial a member learned from the cluster state directly. Called again for a member without a
   * link (a redial after a loss); a no-op while connected to it.
   */
  connectTo?(publicKey: Uint8Array): void;
  /** A peer failed authentication: refuse its key from now on (hyperswarm's firewall). */
  refuse?(publicKey: Uint8Array): void;
  /** Take back a refusal: the key failed under a cluster key this node no longer holds. */
  forgive?(publicKey: Uint8Array): void;
  /** The cluster key changed: announce on and look up its topic instead of the old one. */
  rekey?(clusterKey: Uint8Array): void;
}
