import type { ClusterState } from './cluster-state';
import { NetworkConflict, Peer, endpointView, networkView } from './cluster-view';
import type { ClusterMember, ClusterNetwork, PeerEvent } from './peer-discovery.port';
import type { NodeId } from './peer-record';

export interface ClusterView {
  readonly networks: ReadonlyMap<string, ClusterNetwork>;
  readonly endpoints: ReadonlyMap<string, Peer>;
}

/**
 * Turns successive views of the cluster into events: it keeps the last view, recomputes the next
 * one after every change and emits the difference. Recomputing instead of patching keeps every
 * rule (name conflicts, liveness, deletions) in one place, the pure views; the state is small.
 */
export class ViewTracker {
  view: ClusterView = { networks: new Map(), endpoints: new Map() };
  private alive = new Map<NodeId, boolean>();
  private readonly conflicts = new Set<string>();
  private readonly joined = new Set<string>();
  private readonly listeners = new Set<(e: PeerEvent) => void>();

  constructor(private readonly isAlive: (n: NodeId) => boolean) {}

  subscribe(listener: (e: PeerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispatch(e: PeerEvent): void {
    for (const l of [...this.listeners]) l(e);
  }

  join(networkId: string, emit: (e: PeerEvent) => void): void {
    if (this.joined.has(networkId)) return;
    this.joined.add(networkId);
    for (const peer of this.view.endpoints.values()) if (peer.networkId === networkId) emit({ kind: 'add', peer });
  }

  leave(networkId: string): void {
    this.joined.delete(networkId);
  }

  update(state: ClusterState, members: readonly ClusterMember[], emit: (e: PeerEvent) => void): void {
    const { networks, conflicts } = networkView(state);
    const endpoints = endpointView(state, networks, this.isAlive);
    const prev = this.view;
    this.view = { networks, endpoints };

    for (const m of members) {
      if (m.self) continue;
      const was = this.alive.get(m.id) ?? false;
      if (m.alive !== was) emit({ kind: m.alive ? 'node-up' : 'node-down', node: m });
      this.alive.set(m.id, m.alive);
    }
    for (const [id, n] of networks) if (!prev.networks.has(id)) emit({ kind: 'network-add', network: n });
    for (const c of conflicts) this.conflict(c, emit);
    for (const [key, old] of prev.endpoints) {
      const next = endpoints.get(key);
      if ((!next || !next.ip.equals(old.ip)) && this.joined.has(old.networkId)) emit({ kind: 'remove', peer: old });
    }
    for (const [key, peer] of endpoints) {
      const old = prev.endpoints.get(key);
      if ((!old || !samePeer(old, peer)) && this.joined.has(peer.networkId)) emit({ kind: 'add', peer });
    }
    for (const [id, n] of prev.networks) if (!networks.has(id)) emit({ kind: 'network-remove', network: n });
  }

  private conflict(c: NetworkConflict, emit: (e: PeerEvent) => void): void {
    if (this.conflicts.has(c.loser)) return;
    this.conflicts.add(c.loser);
    emit({ kind: 'network-conflict', conflict: c });
  }
}

function samePeer(a: Peer, b: Peer): boolean {
  return (
    a.node === b.node &&
    a.ip.equals(b.ip) &&
    a.mac.equals(b.mac) &&
    a.vtep.equals(b.vtep) &&
    a.name === b.name &&
    a.aliases.join(',') === b.aliases.join(',')
  );
}
