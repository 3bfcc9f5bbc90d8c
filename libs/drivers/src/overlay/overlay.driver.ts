import { ConflictError, InvalidParameterError, IpAddr, MacAddr, NotFoundError, Prefix, UnavailableError, throwIfAny } from '@app/common';
import type { Firewall } from '@app/kernel/firewall.port';
import type { Netlink, NetnsRef } from '@app/kernel/netlink.port';
import type { Sysctl } from '@app/kernel/sysctl.port';
import { PeerTable } from '@app/overlay/peer-table';
import type { CreateEndpointRequest, CreateNetworkRequest, DriverCapabilities, EndpointResult, JoinRequest, JoinResult, NetworkDriver } from '../driver-api';
import { type DriverLogger, NOOP_LOGGER } from '../logger';
import { runSteps, type Step } from '../steps';
import { hostVethName } from '../bridge/veth';
import { OVERLAY_TABLE_NAME, renderOverlayFirewall } from './overlay-firewall';
import { DEFAULT_VXLAN_PORT, type OverlayOptions, overlayBridgeName, overlayVxlanName, parseOverlayOptions, VXLAN_OVERHEAD } from './overlay.options';
import { type OverlayEndpoint, type OverlayNetwork, type OverlayPeer, type PeerAware, bridgeAddressOf } from './overlay.state';
import { JOIN_STEPS, type OverlayJoinCtx, type OverlayNetCtx, NETWORK_STEPS, addPeerEntries, purgeLegacyNeighbours, removePeerEntries } from './overlay.steps';
import { ignoreNotFound } from '../veth-steps';

export interface OverlayDriverDeps {
  readonly netlink: Netlink;
  readonly firewall: Firewall;
  readonly sysctl: Sysctl;
  /** The namespace the daemon acts in: bridges, vxlan devices and host veths live here. */
  readonly hostNs: NetnsRef;
  /** This node's VTEP (its cluster advertise address); undefined while it is in no cluster. */
  readonly vtep: () => IpAddr | undefined;
  /** UDP port of VXLAN (default 4789); every node of a cluster must use the same. */
  readonly vxlanPort?: number;
  readonly tableName?: string;
  readonly logger?: DriverLogger;
}

/**
 * Overlay networks over VXLAN: per network and host a bridge `ov-<12 hex>` with a vxlan
 * port `vx-<12 hex>` (learning off, ARP suppression on, no flood entries), endpoints as veths on the
 * bridge. The cluster feeds remote endpoints through {@link PeerAware.onPeerEvent}: each becomes a
 * static FDB entry (MAC → VTEP) and a permanent neighbour (IP → MAC) on the vxlan device, as Docker's
 * overlay does. A sandbox's ARP request floods on the bridge to the vxlan port, which answers from
 * that table, so nothing crosses hosts, sandboxes hold no entries, and a peer change or a join costs
 * the same however many containers run here. ARP for the gateway stays local because every host's
 * bridge carries the same gateway address (a distributed gateway, egress through its own host).
 */
export class OverlayDriver implements NetworkDriver<OverlayOptions>, PeerAware {
  readonly type = 'overlay' as const;
  readonly scope = 'global' as const;
  readonly capabilities: DriverCapabilities = { usesPools: true, singleton: false, sandbox: 'endpoint' };

  private readonly networks = new Map<string, OverlayNetwork>();
  private readonly endpoints = new Map<string, OverlayEndpoint>();
  private readonly peers = new PeerTable();
  /** Per network: MACs of FDB entries found on the vxlan device at first create, not yet re-announced. */
  private readonly unconfirmed = new Map<string, Set<string>>();
  /** Networks whose vxlan device an older netd made (no proxy): their sandboxes may hold its neighbours. */
  private readonly legacy = new Set<string>();
  private readonly log: DriverLogger;
  private readonly port: number;
  private readonly tableName: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: OverlayDriverDeps) {
    this.log = deps.logger ?? NOOP_LOGGER;
    this.port = deps.vxlanPort ?? DEFAULT_VXLAN_PORT;
    this.tableName = deps.tableName ?? OVERLAY_TABLE_NAME;
  }

  parseOptions(raw: Readonly<Record<string, string>>): OverlayOptions {
    return parseOverlayOptions(raw);
  }

  createNetwork(req: CreateNetworkRequest<OverlayOptions>): Promise<void> {
    return this.serial(() => this.doCreateNetwork(req));
  }

  private async doCreateNetwork(req: CreateNetworkRequest<OverlayOptions>): Promise<void> {
    const vtep = this.vtepOrThrow();
    if (req.options.vni === undefined) throw new InvalidParameterError(`overlay network ${req.name}: no VNI (the cluster assigns one)`);
    if (req.enableIpv6 || req.ipv6.length > 0) throw new InvalidParameterError(`overlay network ${req.name}: IPv6 is not supported`);
    if (req.ipv4.length !== 1) throw new InvalidParameterError(`overlay network ${req.name}: exactly one IPv4 subnet is required`);
    const known = this.networks.get(req.networkId);
    const net: OverlayNetwork = {
      id: req.networkId,
      name: req.name,
      bridge: overlayBridgeName(req.networkId),
      vxlan: overlayVxlanName(req.networkId),
      vni: req.options.vni,
      mtu: req.options.mtu ?? (await this.underlayMtu(vtep)) - VXLAN_OVERHEAD,
      internal: req.internal,
      ipv4: req.ipv4,
    };
    for (const other of this.networks.values()) {
      if (other.id !== net.id && other.vni === net.vni) throw new ConflictError(`VNI ${net.vni} is already used by network ${other.name}`);
    }
    this.networks.set(net.id, net);
    const ctx: OverlayNetCtx = { netlink: this.deps.netlink, sysctl: this.deps.sysctl, hostNs: this.deps.hostNs, net, vtep, port: this.port };
    const steps: Step<OverlayNetCtx>[] = [
      ...NETWORK_STEPS,
      { name: 'firewall', run: () => this.applyFirewall() },
      { name: 'note-inherited-fdb', when: () => !known, run: () => this.noteInheritedFdb(net) },
      { name: 'replay-peers', run: () => this.replayPeers(net) },
      { name: 'purge-legacy-neighbours', when: (c) => c.recreatedVxlan === true, run: () => this.purgeLegacy(net) },
    ];
    try {
      await runSteps(`create overlay network ${net.name}`, steps, ctx, this.log);
    } catch (err) {
      if (known) this.networks.set(known.id, known);
      else this.networks.delete(net.id);
      throw err;
    }
    this.log.info({ network: net.name, vni: net.vni, mtu: net.mtu }, 'overlay network up');
  }

  deleteNetwork(networkId: string): Promise<void> {
    return this.serial(async () => {
      const net = this.network(networkId);
      const { netlink, hostNs } = this.deps;
      const errors: unknown[] = [];
      for (const ep of [...this.endpoints.values()].filter((e) => e.networkId === networkId)) {
        if (ep.attachment) await netlink.deleteLink(hostNs, ep.attachment.hostVeth).catch(ignoreNotFound).catch((e) => errors.push(e));
        this.endpoints.delete(ep.id);
      }
      this.networks.delete(networkId);
      this.peers.deleteNetwork(networkId);
      this.unconfirmed.delete(networkId);
      this.legacy.delete(networkId);
      // The vxlan device takes its FDB entries with it.
      for (const dev of [net.vxlan, net.bridge]) await netlink.deleteLink(hostNs, dev).catch(ignoreNotFound).catch((e) => errors.push(e));
      await this.applyFirewall().catch((e) => errors.push(e));
      throwIfAny(`delete overlay network ${net.name}`, errors);
    });
  }

  async createEndpoint(req: CreateEndpointRequest): Promise<EndpointResult> {
    const net = this.network(req.networkId);
    hostVethName(req.endpointId);
    const v4 = req.addresses.find((a) => a.family === 4);
    if (!v4 || req.addresses.length !== 1) throw new InvalidParameterError(`an endpoint of overlay network ${net.name} needs exactly one IPv4 address`);
    if (!net.ipv4.some((s) => s.subnet.contains(v4.address))) throw new InvalidParameterError(`address ${v4} is not in the subnet of network ${net.name}`);
    const existing = this.endpoints.get(req.endpointId);
    if (existing) return { mac: existing.mac };
    // Derived from the address, as Docker does: unique cluster-wide because addresses are.
    const mac = req.mac ?? MacAddr.fromIpv4(v4.address);
    this.endpoints.set(req.endpointId, { id: req.endpointId, networkId: net.id, addresses: [v4], mac });
    return { mac };
  }

  async deleteEndpoint(networkId: string, endpointId: string): Promise<void> {
    const ep = this.endpoint(networkId, endpointId);
    const errors: unknown[] = [];
    if (ep.attachment) await this.leave(networkId, endpointId).catch((e) => errors.push(e));
    this.endpoints.delete(endpointId);
    throwIfAny(`delete endpoint ${endpointId}`, errors);
  }

  join(req: JoinRequest): Promise<JoinResult> {
    return this.serial(async () => {
      const net = this.network(req.networkId);
      const ep = this.endpoint(req.networkId, req.endpointId);
      const hostVeth = hostVethName(ep.id);
      const prior = ep.attachment;
      if (prior && (prior.sandbox.path !== req.sandbox.path || prior.ifname !== req.ifname)) {
        throw new ConflictError(`endpoint ${ep.id} is already joined to ${prior.sandbox.path} as ${prior.ifname}`);
      }
      const ctx: OverlayJoinCtx = {
        netlink: this.deps.netlink,
        sysctl: this.deps.sysctl,
        hostNs: this.deps.hostNs,
        net,
        ep,
        sandbox: req.sandbox,
        ifname: req.ifname,
        hostVeth,
        bridge: net.bridge,
        mtu: net.mtu,
        defaultRoute: req.defaultRoute && !net.internal,
        legacyNeighbours: this.legacy.has(net.id),
      };
      const steps: Step<OverlayJoinCtx>[] = [
        ...JOIN_STEPS,
        { name: 'record-attachment', run: async () => void (ep.attachment = { sandbox: req.sandbox, ifname: req.ifname, hostVeth }), undo: async () => void (ep.attachment = prior) },
      ];
      await runSteps(`join ${ep.id.slice(0, 12)} to overlay ${net.name}`, steps, ctx, this.log);
      return { ifname: req.ifname, gateway: bridgeAddressOf(net) };
    });
  }

  leave(networkId: string, endpointId: string): Promise<void> {
    return this.serial(async () => {
      this.network(networkId);
      const ep = this.endpoint(networkId, endpointId);
      if (!ep.attachment) return;
      await this.deps.netlink.deleteLink(this.deps.hostNs, ep.attachment.hostVeth).catch(ignoreNotFound);
      ep.attachment = undefined;
    });
  }

  onPeerEvent(networkId: string, event: { readonly kind: 'add' | 'remove'; readonly peer: OverlayPeer }): Promise<void> {
    return this.serial(async () => {
      const { peer } = event;
      if (peer.networkId !== networkId) throw new InvalidParameterError(`peer ${peer.endpointId} belongs to network ${peer.networkId}, not ${networkId}`);
      if (this.isLocal(peer)) return;
      const vteps = this.vtepKey();
      if (event.kind === 'add') this.unconfirmed.get(networkId)?.delete(peer.mac.toString());
      const change = event.kind === 'add' ? this.peers.add(peer) : this.peers.remove(peer);
      const net = this.networks.get(networkId);
      if (net) {
        const ctx = this.peerCtx(net);
        if (change.previous) await removePeerEntries(ctx, change.previous);
        if (change.current) await addPeerEntries(ctx, change.current);
      }
      if (this.vtepKey() !== vteps) await this.applyFirewall();
    });
  }

  /**
   * Delete the FDB entries a previous daemon left on the network's vxlan device (it was killed, so
   * peers that vanished meanwhile were never withdrawn) that no peer event has confirmed since. The
   * cluster calls it once the current peers have been replayed into the driver.
   */
  pruneInheritedFdb(networkId: string): Promise<void> {
    return this.serial(async () => {
      const net = this.networks.get(networkId);
      const stale = this.unconfirmed.get(networkId);
      this.unconfirmed.delete(networkId);
      if (!net || !stale || stale.size === 0) return;
      const { netlink, hostNs } = this.deps;
      for (const e of await netlink.listFdbEntries(hostNs, net.vxlan)) {
        if (e.dst && stale.has(e.mac.toString())) await netlink.deleteFdbEntry(hostNs, { dev: net.vxlan, mac: e.mac, dst: e.dst }).catch(ignoreNotFound);
      }
      for (const n of await netlink.listNeighbors(hostNs, net.vxlan)) {
        if (stale.has(n.mac.toString())) await netlink.deleteNeighbor(hostNs, n).catch(ignoreNotFound);
      }
      this.log.info({ network: net.name, removed: stale.size }, 'stale FDB entries from before a restart removed');
    });
  }

  /** Resolves once every queued kernel change (peer events included) is done. */
  async idle(): Promise<void> {
    await this.queue;
  }

  /** The remote peers this host programs for a network (for tests and `network inspect`). */
  remotePeers(networkId: string): OverlayPeer[] {
    return this.peers.peersOf(networkId);
  }

  private async noteInheritedFdb(net: OverlayNetwork): Promise<void> {
    const entries = await this.deps.netlink.listFdbEntries(this.deps.hostNs, net.vxlan);
    const macs = entries.filter((e) => e.dst !== undefined && !this.peers.peersOf(net.id).some((p) => p.mac.equals(e.mac))).map((e) => e.mac.toString());
    if (macs.length > 0) this.unconfirmed.set(net.id, new Set(macs));
  }

  private async replayPeers(net: OverlayNetwork): Promise<void> {
    const ctx = this.peerCtx(net);
    for (const p of this.peers.peersOf(net.id)) await addPeerEntries(ctx, p);
  }

  private peerCtx(net: OverlayNetwork) {
    return { netlink: this.deps.netlink, hostNs: this.deps.hostNs, net };
  }

  /** After the vxlan device was made again with proxy: sandboxes joined later are purged on join. */
  private async purgeLegacy(net: OverlayNetwork): Promise<void> {
    this.legacy.add(net.id);
    for (const ep of this.endpoints.values()) {
      if (ep.networkId === net.id && ep.attachment) await purgeLegacyNeighbours(this.deps.netlink, net, ep.attachment).catch(ignoreNotFound);
    }
    this.log.info({ network: net.name }, 'vxlan device made again with ARP suppression; FDB entries carried over');
  }

  private isLocal(peer: OverlayPeer): boolean {
    const vtep = this.deps.vtep();
    return this.endpoints.has(peer.endpointId) || (vtep !== undefined && vtep.equals(peer.vtep));
  }

  private allVteps(): IpAddr[] {
    const seen = new Map<string, IpAddr>();
    for (const id of this.networks.keys()) for (const p of this.peers.peersOf(id)) seen.set(p.vtep.toString(), p.vtep);
    return [...seen.values()];
  }

  private vtepKey(): string {
    return this.allVteps().map(String).sort().join(',');
  }

  private applyFirewall(): Promise<void> {
    const networks = [...this.networks.values()].map((n) => {
      const own = bridgeAddressOf(n);
      return { bridge: n.bridge, internal: n.internal, subnets: n.ipv4.map((s) => s.subnet), hostAddresses: own ? [own] : [] };
    });
    return this.deps.firewall.apply(this.deps.hostNs, renderOverlayFirewall({ vxlanPort: this.port, vtep: this.deps.vtep(), peers: this.allVteps(), networks }, this.tableName));
  }

  /** The MTU of the underlay: the device that carries this node's VTEP address. */
  private async underlayMtu(vtep: IpAddr): Promise<number> {
    const { netlink, hostNs } = this.deps;
    for (const link of await netlink.listLinks(hostNs)) {
      const addrs = await netlink.listAddresses(hostNs, link.name).catch(() => [] as Prefix[]);
      if (addrs.some((a) => a.address.equals(vtep))) return link.mtu;
    }
    throw new InvalidParameterError(`no interface carries the advertise address ${vtep}`);
  }

  private vtepOrThrow(): IpAddr {
    const vtep = this.deps.vtep();
    if (!vtep) throw new UnavailableError('this node is not part of a cluster: run `netctl cluster init` or `netctl cluster join` first');
    return vtep;
  }

  /** Kernel work is serialised: peer events and joins touch the same FDB and neighbour tables. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private network(id: string): OverlayNetwork {
    const net = this.networks.get(id);
    if (!net) throw new NotFoundError(`network ${id} not found`);
    return net;
  }

  private endpoint(networkId: string, endpointId: string): OverlayEndpoint {
    const ep = this.endpoints.get(endpointId);
    if (!ep || ep.networkId !== networkId) throw new NotFoundError(`endpoint ${endpointId} not found in network ${networkId}`);
    return ep;
  }
}
