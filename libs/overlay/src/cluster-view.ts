import type { ClusterState } from './cluster-state';
import type { EndpointRecord, Lease, NetworkDef, NodeId, PeerRecord } from './peer-record';
import { VniAllocator } from './vni-allocator';

/**
 * Deterministic views over the replicated records. Every node computes them from the same records
 * with the same rules, so once the records have converged every node agrees, with no coordinator:
 * - a network name taken by two networks: the one with the lowest (version, owner) wins;
 * - two networks asking for one VNI: the lowest (version, owner) keeps it, the other probes upward;
 * - one block leased twice: a confirmed lease beats a pending one, then lowest (version, owner).
 */

/** An endpoint on another (or this) node, as the overlay driver consumes it. */
export interface Peer extends EndpointRecord {
  readonly node: NodeId;
}

export interface NetworkConflict {
  readonly name: string;
  readonly winner: string;
  readonly loser: string;
}

export interface NetworkView {
  /** Effective networks by id (VNI possibly re-probed), winners only. */
  readonly networks: ReadonlyMap<string, NetworkDef & { readonly owner: NodeId }>;
  readonly conflicts: readonly NetworkConflict[];
}

/** Order of precedence among records of different owners: lower Lamport version first, then owner. */
export function compareRecords(a: PeerRecord, b: PeerRecord): number {
  if (a.version !== b.version) return a.version < b.version ? -1 : 1;
  return a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0;
}

export function networkView(state: ClusterState): NetworkView {
  const deleted = new Set<string>();
  const defs: PeerRecord[] = [];
  for (const r of state.live()) {
    if (r.body.type === 'network-deletion') deleted.add(r.body.deletion.networkId);
    else if (r.body.type === 'network') defs.push(r);
  }
  defs.sort(compareRecords);
  const byName = new Map<string, string>();
  const networks = new Map<string, NetworkDef & { owner: NodeId }>();
  const conflicts: NetworkConflict[] = [];
  const vnis = new VniAllocator();
  for (const r of defs) {
    if (r.body.type !== 'network') continue;
    const n = r.body.network;
    if (deleted.has(n.id) || networks.has(n.id)) continue;
    const winner = byName.get(n.name);
    if (winner !== undefined) {
      conflicts.push({ name: n.name, winner, loser: n.id });
      continue;
    }
    byName.set(n.name, n.id);
    const vni = vnis.isUsed(n.vni) ? vnis.allocate(n.id) : vnis.reserve(n.vni);
    networks.set(n.id, { ...n, vni, owner: r.owner });
  }
  return { networks, conflicts };
}

/** Endpoints of live owners on existing networks, keyed `<network>/<endpoint>`. */
export function endpointView(state: ClusterState, networks: ReadonlyMap<string, NetworkDef>, alive: (n: NodeId) => boolean): Map<string, Peer> {
  const out = new Map<string, Peer>();
  for (const r of state.live()) {
    if (r.body.type !== 'endpoint' || !alive(r.owner) || !networks.has(r.body.endpoint.networkId)) continue;
    const e = r.body.endpoint;
    out.set(`${e.networkId}/${e.endpointId}`, { ...e, node: r.owner });
  }
  return out;
}

export type LeaseRecord = PeerRecord & { readonly body: { readonly type: 'lease'; readonly lease: Lease } };

export function isLease(r: PeerRecord): r is LeaseRecord {
  return r.body.type === 'lease';
}

/** Confirmed before pending, then lowest (version, owner): the first in this order holds the block. */
export function compareLeases(a: { owner: NodeId; version: bigint; confirmed: boolean }, b: { owner: NodeId; version: bigint; confirmed: boolean }): number {
  if (a.confirmed !== b.confirmed) return a.confirmed ? -1 : 1;
  if (a.version !== b.version) return a.version < b.version ? -1 : 1;
  return a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0;
}

/**
 * Leases of a network that still count, grouped by block. A lease stops counting when it is a
 * tombstone, when its owner has been dead past the reclaim timeout (`reclaimable`), or when another
 * node's lease on the same block explicitly supersedes it (a reclaim).
 */
export function activeLeases(state: ClusterState, networkId: string, reclaimable: (n: NodeId) => boolean): Map<string, LeaseRecord[]> {
  const leases: LeaseRecord[] = [];
  for (const r of state.live()) if (isLease(r) && r.body.lease.networkId === networkId) leases.push(r);
  const reclaims = leases.filter((r) => r.body.lease.supersedes !== undefined);
  const byBlock = new Map<string, LeaseRecord[]>();
  for (const r of leases) {
    if (reclaimable(r.owner) || isSuperseded(r, reclaims)) continue;
    const k = r.body.lease.block.toString();
    byBlock.set(k, [...(byBlock.get(k) ?? []), r]);
  }
  for (const list of byBlock.values()) list.sort((a, b) => compareLeases(leaseRank(a), leaseRank(b)));
  return byBlock;
}

export function leaseRank(r: LeaseRecord): { owner: NodeId; version: bigint; confirmed: boolean } {
  return { owner: r.owner, version: r.version, confirmed: r.body.lease.confirmed };
}

export function isSuperseded(r: LeaseRecord, all: readonly LeaseRecord[]): boolean {
  const block = r.body.lease.block;
  return all.some((o) => {
    const s = o.body.lease.supersedes;
    return o.owner !== r.owner && s !== undefined && s.owner === r.owner && s.version >= r.version && o.body.lease.block.equals(block);
  });
}
