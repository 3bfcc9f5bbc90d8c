import type { IpAddr } from '@app/common';
import type { Peer } from './cluster-view';

/**
 * The peers of each overlay network by IP, as the data path needs them (one FDB and neighbour entry
 * per remote endpoint). Pure. Like libnetwork's peerMap it tolerates two entries for one IP: while an
 * endpoint moves or an old record has not yet been withdrawn both are kept, the most recent one is
 * the one programmed, and removing it falls back to the other instead of failing.
 */
export interface PeerChange {
  /** The entry to program for this IP now, if any. */
  readonly current?: Peer;
  /** The entry that was programmed before, if it changed. */
  readonly previous?: Peer;
}

export class PeerTable {
  private readonly nets = new Map<string, Map<string, Peer[]>>();

  /** Add or refresh a peer. Returns what to (re)program for its IP. */
  add(peer: Peer): PeerChange {
    const byIp = this.net(peer.networkId);
    const k = peer.ip.toString();
    const list = (byIp.get(k) ?? []).filter((p) => p.endpointId !== peer.endpointId);
    const previous = this.currentOf(byIp.get(k));
    list.push(peer);
    byIp.set(k, list);
    return { current: peer, previous: previous && !same(previous, peer) ? previous : undefined };
  }

  /** Remove a peer by endpoint. Returns the entry to program instead (the other one, if two existed). */
  remove(peer: Pick<Peer, 'networkId' | 'endpointId' | 'ip'>): PeerChange {
    const byIp = this.nets.get(peer.networkId);
    const k = peer.ip.toString();
    const list = byIp?.get(k);
    if (!byIp || !list) return {};
    const previous = this.currentOf(list);
    const rest = list.filter((p) => p.endpointId !== peer.endpointId);
    if (rest.length === list.length) return {};
    if (rest.length === 0) byIp.delete(k);
    else byIp.set(k, rest);
    if (byIp.size === 0) this.nets.delete(peer.networkId);
    const current = this.currentOf(rest);
    return { current, previous: previous && (!current || !same(previous, current)) ? previous : undefined };
  }

  lookup(networkId: string, ip: IpAddr): Peer | undefined {
    return this.currentOf(this.nets.get(networkId)?.get(ip.toString()));
  }

  /** Every entry that should be programmed for a network (one per IP): the replay for a new sandbox. */
  peersOf(networkId: string): Peer[] {
    return [...(this.nets.get(networkId)?.values() ?? [])].map((l) => l[l.length - 1]);
  }

  /** IPs that currently have more than one entry (logged by the driver, never an error). */
  duplicates(networkId: string): IpAddr[] {
    return [...(this.nets.get(networkId)?.values() ?? [])].filter((l) => l.length > 1).map((l) => l[0].ip);
  }

  deleteNetwork(networkId: string): Peer[] {
    const peers = this.peersOf(networkId);
    this.nets.delete(networkId);
    return peers;
  }

  private net(id: string): Map<string, Peer[]> {
    let m = this.nets.get(id);
    if (!m) this.nets.set(id, (m = new Map()));
    return m;
  }

  private currentOf(list: readonly Peer[] | undefined): Peer | undefined {
    return list && list.length > 0 ? list[list.length - 1] : undefined;
  }
}

function same(a: Peer, b: Peer): boolean {
  return a.endpointId === b.endpointId && a.mac.equals(b.mac) && a.vtep.equals(b.vtep) && a.node === b.node;
}
