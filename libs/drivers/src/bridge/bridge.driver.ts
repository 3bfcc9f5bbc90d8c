import { randomBytes } from 'node:crypto';
import { ConflictError, InvalidParameterError, MacAddr, NotFoundError, type Prefix, throwIfAny } from '@app/common';
import type { Firewall } from '@app/kernel/firewall.port';
import type { LinkInfo, Netlink, NetnsRef } from '@app/kernel/netlink.port';
import type { Netns } from '@app/kernel/netns.port';
import type { Sysctl } from '@app/kernel/sysctl.port';
import type {
  CreateEndpointRequest,
  CreateNetworkRequest,
  DriverCapabilities,
  EndpointResult,
  JoinRequest,
  JoinResult,
  NetworkDriver,
  NetworkRestorer,
  Reconcilable,
} from '../driver-api';
import { type DriverLogger, NOOP_LOGGER } from '../logger';
import { type BridgeOptions, DEFAULT_BRIDGE_NAME, parseBridgeOptions, resolveBridgeName } from './bridge.options';
import { type BridgeEndpoint, type BridgeNetwork, firstGateway, gatewayPrefixes } from './bridge.state';
import { JOIN_STEPS, type JoinCtx, NETWORK_STEPS, type NetworkCtx } from './bridge.steps';
import { runSteps, type Step } from '../steps';
import {
  DEFAULT_TABLE_NAME,
  type FirewallNetwork,
  fragmentDelta,
  type NetworkFragment,
  networkFragment,
  publishChain,
  type PublishedPort,
  renderTable,
} from './firewall-rules';
import { resolvePublished } from './port-mappings';
import { containerIfname, hasMarkerMac, hostVethName, VETH_NAME_PATTERN } from './veth';
import { ignoreNotFound } from '../veth-steps';

export interface BridgeDriverDeps {
  readonly netlink: Netlink;
  readonly netns?: Netns;
  readonly firewall: Firewall;
  readonly sysctl: Sysctl;
  /** The namespace the daemon acts in: bridges, host veths and netd's nft tables live here. */
  readonly hostNs: NetnsRef;
  readonly logger?: DriverLogger;
  /** Device of the default network "bridge" (default `netd0`). */
  readonly defaultBridgeName?: string;
  /** Name of netd's nft tables (default `netd`). */
  readonly tableName?: string;
}

/** Docker's bridge driver on netlink + nftables (see STYLE.md §2). */
export class BridgeDriver implements NetworkDriver<BridgeOptions>, Reconcilable, NetworkRestorer<BridgeOptions> {
  readonly type = 'bridge' as const;
  readonly scope = 'local' as const;
  readonly capabilities: DriverCapabilities = { usesPools: true, singleton: false, sandbox: 'endpoint' };

  private readonly networks = new Map<string, BridgeNetwork>();
  /** Network id by bridge name, so a create checks the name in O(1) at any network count. */
  private readonly byBridge = new Map<string, string>();
  private readonly endpoints = new Map<string, BridgeEndpoint>();
  private readonly log: DriverLogger;
  private readonly defaultBridgeName: string;
  private readonly tableName: string;
  private firewallQueue: Promise<void> = Promise.resolve();
  /** What the table holds per network id, as last applied. */
  private readonly fragments = new Map<string, NetworkFragment>();
  /** Networks using each prefix length's sets (`4_24` → count). */
  private readonly lengthUsers = new Map<string, number>();

  constructor(private readonly deps: BridgeDriverDeps) {
    this.log = deps.logger ?? NOOP_LOGGER;
    this.defaultBridgeName = deps.defaultBridgeName ?? DEFAULT_BRIDGE_NAME;
    this.tableName = deps.tableName ?? DEFAULT_TABLE_NAME;
  }

  parseOptions(raw: Readonly<Record<string, string>>): BridgeOptions {
    return parseBridgeOptions(raw);
  }

  async createNetwork(req: CreateNetworkRequest<BridgeOptions>): Promise<void> {
    const bridge = this.admit(req);
    const link = await this.deps.netlink.getLink(this.deps.hostNs, bridge);
    await this.bringUp(req, bridge, { link: link ?? null }, true);
    this.log.info({ network: req.name, bridge }, 'bridge network up');
  }

  /**
   * Startup: createNetwork for each request, with one dump of the links and one of the addresses
   * for all of them (per network, listing the addresses dumped every address of the namespace:
   * O(n²) at restart) and the firewall replaced once at the end instead of a delta per network.
   */
  async restoreNetworks(reqs: readonly CreateNetworkRequest<BridgeOptions>[]): Promise<void> {
    const { netlink, hostNs } = this.deps;
    const links = new Map((await netlink.listLinks(hostNs)).map((l) => [l.name, l]));
    const addresses = await netlink.listAllAddresses(hostNs);
    const errors: unknown[] = [];
    for (const req of reqs) {
      try {
        const bridge = this.admit(req);
        const link = links.get(bridge);
        await this.bringUp(req, bridge, { link: link ?? null, addresses: link ? (addresses.get(link.index) ?? []) : undefined }, false);
      } catch (err) {
        errors.push(err);
      }
    }
    await this.syncFirewall().catch((e) => errors.push(e));
    this.log.info({ networks: reqs.length - errors.length, failed: errors.length }, 'bridge networks restored');
    throwIfAny('restore bridge networks', errors);
  }

  /** The checks that need no kernel; returns the bridge's name. */
  private admit(req: CreateNetworkRequest<BridgeOptions>): string {
    const bridge = resolveBridgeName(req.networkId, req.options, this.defaultBridgeName);
    const owner = this.byBridge.get(bridge);
    if (owner !== undefined && owner !== req.networkId) {
      throw new ConflictError(`bridge name ${bridge} is already used by network ${this.networks.get(owner)?.name ?? owner}`);
    }
    if (req.enableIpv6 && req.ipv6.length === 0) {
      throw new InvalidParameterError(`network ${req.name}: IPv6 is enabled but no IPv6 subnet was given`);
    }
    return bridge;
  }

  /** The kernel steps of a network, given what is already known of its bridge. */
  private async bringUp(
    req: CreateNetworkRequest<BridgeOptions>,
    bridge: string,
    seen: { link: LinkInfo | null; addresses?: readonly Prefix[] },
    firewall: boolean,
  ): Promise<void> {
    const link = seen.link;
    if (link && link.kind !== 'bridge') {
      throw new ConflictError(`cannot use ${bridge} as a bridge: a ${link.kind ?? 'non-bridge'} link with that name exists`);
    }
    const known = this.networks.get(req.networkId);
    const net: BridgeNetwork = {
      id: req.networkId,
      name: req.name,
      bridge,
      options: req.options,
      internal: req.internal,
      enableIpv6: req.enableIpv6,
      ipv4: req.ipv4,
      ipv6: req.enableIpv6 ? req.ipv6 : [],
      ownsBridge: known?.ownsBridge ?? (!link || hasMarkerMac(link.mac)),
    };
    this.setNetwork(net);
    const ctx: NetworkCtx = { ...this.kernel(), net, link, addresses: seen.addresses };
    const steps: Step<NetworkCtx>[] = [...NETWORK_STEPS, { name: 'firewall', when: () => firewall, run: () => this.syncFirewall(net.id) }];
    try {
      await runSteps(`create network ${net.name}`, steps, ctx, this.log);
    } catch (err) {
      if (known) this.setNetwork(known);
      else this.dropNetwork(net.id);
      throw err;
    }
  }

  private setNetwork(net: BridgeNetwork): void {
    const prior = this.networks.get(net.id);
    if (prior && this.byBridge.get(prior.bridge) === net.id) this.byBridge.delete(prior.bridge);
    this.networks.set(net.id, net);
    this.byBridge.set(net.bridge, net.id);
  }

  private dropNetwork(id: string): void {
    const net = this.networks.get(id);
    if (!net) return;
    this.networks.delete(id);
    if (this.byBridge.get(net.bridge) === id) this.byBridge.delete(net.bridge);
  }

  async deleteNetwork(networkId: string): Promise<void> {
    const net = this.network(networkId);
    const errors: unknown[] = [];
    for (const ep of [...this.endpoints.values()].filter((e) => e.networkId === networkId)) {
      if (ep.attachment) await this.removeVeth(ep.attachment.hostVeth).catch((e) => errors.push(e));
      this.endpoints.delete(ep.id);
    }
    this.dropNetwork(networkId);
    await this.syncFirewall(networkId).catch((e) => errors.push(e));
    const { netlink, hostNs } = this.deps;
    if (net.ownsBridge) {
      await netlink.deleteLink(hostNs, net.bridge).catch(ignoreNotFound).catch((e) => errors.push(e));
    } else {
      for (const gw of gatewayPrefixes(net)) {
        await netlink.deleteAddress(hostNs, net.bridge, gw).catch(ignoreNotFound).catch((e) => errors.push(e));
      }
    }
    throwIfAny(`delete network ${net.name}`, errors);
  }

  async createEndpoint(req: CreateEndpointRequest): Promise<EndpointResult> {
    const net = this.network(req.networkId);
    hostVethName(req.endpointId);
    for (const a of req.addresses) {
      const subnets = a.family === 4 ? net.ipv4 : net.ipv6;
      if (!subnets.some((s) => s.subnet.contains(a.address))) {
        throw new InvalidParameterError(`address ${a} is not in any IPv${a.family} subnet of network ${net.name}`);
      }
    }
    const existing = this.endpoints.get(req.endpointId);
    if (existing) return { mac: existing.mac };
    const v4 = req.addresses.find((a) => a.family === 4);
    const mac = req.mac ?? (v4 ? MacAddr.fromIpv4(v4.address) : MacAddr.random((n) => randomBytes(n)));
    this.endpoints.set(req.endpointId, { id: req.endpointId, networkId: net.id, addresses: [...req.addresses], mac });
    return { mac };
  }

  async deleteEndpoint(networkId: string, endpointId: string): Promise<void> {
    const ep = this.endpoint(networkId, endpointId);
    const errors: unknown[] = [];
    if (ep.attachment) await this.leave(networkId, endpointId).catch((e) => errors.push(e));
    this.endpoints.delete(endpointId);
    throwIfAny(`delete endpoint ${endpointId}`, errors);
  }

  async join(req: JoinRequest): Promise<JoinResult> {
    const net = this.network(req.networkId);
    const ep = this.endpoint(req.networkId, req.endpointId);
    const ifname = containerIfname(req.ifname, net.options.containerIfacePrefix);
    const hostVeth = hostVethName(ep.id);
    const prior = ep.attachment;
    if (prior && (prior.sandbox.path !== req.sandbox.path || prior.ifname !== ifname)) {
      throw new ConflictError(`endpoint ${ep.id} is already joined to ${prior.sandbox.path} as ${prior.ifname}`);
    }
    for (const other of this.endpoints.values()) {
      if (other !== ep && other.attachment?.hostVeth === hostVeth) {
        throw new ConflictError(`endpoint ${ep.id} and ${other.id} would share the veth name ${hostVeth}`);
      }
    }
    const taken = this.allPublished().filter((p) => !prior?.published.includes(p));
    const published = net.internal ? [] : resolvePublished(net, ep, req.portMappings ?? [], taken);
    const ctx: JoinCtx = { ...this.kernel(), net, ep, sandbox: req.sandbox, ifname, hostVeth, defaultRoute: req.defaultRoute, bridge: net.bridge, mtu: net.options.mtu };
    const needsFirewall = published.length > 0 || (prior?.published.length ?? 0) > 0 || !net.options.enableIcc;
    const steps: Step<JoinCtx>[] = [
      ...JOIN_STEPS,
      {
        name: 'record-attachment',
        run: async () => void (ep.attachment = { sandbox: req.sandbox, ifname, hostVeth, published }),
        undo: async () => void (ep.attachment = prior),
      },
      { name: 'firewall', when: () => needsFirewall, run: () => this.syncFirewall(net.id) },
    ];
    await runSteps(`join ${ep.id.slice(0, 12)} to ${net.name}`, steps, ctx, this.log);
    return {
      ifname,
      gateway: firstGateway(net, 4),
      gatewayV6: net.enableIpv6 ? firstGateway(net, 6) : undefined,
    };
  }

  async leave(networkId: string, endpointId: string): Promise<void> {
    const net = this.network(networkId);
    const ep = this.endpoint(networkId, endpointId);
    const att = ep.attachment;
    if (!att) return;
    const errors: unknown[] = [];
    await this.removeVeth(att.hostVeth).catch((e) => errors.push(e));
    ep.attachment = undefined;
    if (att.published.length > 0 || !net.options.enableIcc) await this.syncFirewall(net.id).catch((e) => errors.push(e));
    throwIfAny(`leave ${endpointId}`, errors);
  }

  /**
   * Remove `br-*` and `veth*` links of netd (name scheme AND netd's MAC prefix, so dockerd's
   * look-alikes are safe) that belong to no known network or endpoint; forget unknown state;
   * re-render the firewall.
   */
  async reconcile(known: { networkIds: readonly string[]; endpointIds: readonly string[] }): Promise<{ removed: string[] }> {
    const { netlink, hostNs } = this.deps;
    const networkIds = new Set(known.networkIds);
    const endpointIds = new Set(known.endpointIds);
    for (const id of [...this.networks.keys()]) if (!networkIds.has(id)) this.dropNetwork(id);
    for (const id of [...this.endpoints.keys()]) if (!endpointIds.has(id)) this.endpoints.delete(id);
    const bridges = new Set([...this.networks.values()].map((n) => n.bridge));
    const shortNets = new Set(known.networkIds.map((id) => `br-${id.slice(0, 12)}`));
    const shortEps = new Set(known.endpointIds.map((id) => hostVethNameSafe(id)));
    const removed: string[] = [];
    const errors: unknown[] = [];
    for (const link of await netlink.listLinks(hostNs)) {
      if (!hasMarkerMac(link.mac)) continue;
      const orphanBridge = link.kind === 'bridge' && /^br-[0-9a-f]{12}$/.test(link.name) && !bridges.has(link.name) && !shortNets.has(link.name);
      const orphanVeth = link.kind === 'veth' && VETH_NAME_PATTERN.test(link.name) && !shortEps.has(link.name);
      if (!orphanBridge && !orphanVeth) continue;
      try {
        await netlink.deleteLink(hostNs, link.name);
        removed.push(link.name);
      } catch (err) {
        if (!(err instanceof NotFoundError)) errors.push(err);
      }
    }
    await this.syncFirewall().catch((e) => errors.push(e));
    throwIfAny('reconcile bridge driver', errors);
    if (removed.length > 0) this.log.info({ removed }, 'removed orphaned links');
    return { removed };
  }

  /**
   * Bring the firewall in line with the driver's state: for one network, a delta of its
   * elements and chains (the same cost at 1 or 1,000 networks); without one, the whole table
   * replaced (reconcile). Calls are queued so they apply in order and the last state wins.
   */
  private syncFirewall(networkId?: string): Promise<void> {
    const run = this.firewallQueue.then(() => (networkId === undefined ? this.replaceFirewall() : this.updateFirewall(networkId)));
    this.firewallQueue = run.catch(() => undefined);
    return run;
  }

  private async updateFirewall(networkId: string): Promise<void> {
    const net = this.networks.get(networkId);
    const after = net ? networkFragment(this.firewallNetwork(net)) : undefined;
    const before = this.fragments.get(networkId);
    const lengthsBefore = new Set(this.lengthUsers.keys());
    // Kept O(1) at any network count: the maps change in place (and back on failure); the full
    // table is rendered only if the port needs it (fallback, re-apply after a flush).
    this.setFragment(networkId, after);
    const lengths = { before: lengthsBefore, after: new Set(this.lengthUsers.keys()) };
    const ops = fragmentDelta(before, after, { lengths, publish: () => publishChain(this.fragments.values()) });
    if (ops.length === 0) return;
    const target = () => renderTable(this.fragments.values(), this.tableName);
    try {
      await this.deps.firewall.update(this.deps.hostNs, { family: 'inet', name: this.tableName, ops, target });
    } catch (err) {
      this.setFragment(networkId, before);
      throw err;
    }
  }

  private setFragment(networkId: string, f: NetworkFragment | undefined): void {
    for (const k of this.fragments.get(networkId)?.lengths ?? []) {
      const n = (this.lengthUsers.get(k) ?? 0) - 1;
      if (n > 0) this.lengthUsers.set(k, n);
      else this.lengthUsers.delete(k);
    }
    if (f) this.fragments.set(networkId, f);
    else this.fragments.delete(networkId);
    for (const k of f?.lengths ?? []) this.lengthUsers.set(k, (this.lengthUsers.get(k) ?? 0) + 1);
  }

  private async replaceFirewall(): Promise<void> {
    const next = new Map([...this.networks.values()].map((n) => [n.id, networkFragment(this.firewallNetwork(n))]));
    await this.deps.firewall.apply(this.deps.hostNs, renderTable(next.values(), this.tableName));
    this.fragments.clear();
    this.lengthUsers.clear();
    for (const [id, f] of next) this.setFragment(id, f);
  }

  private firewallNetwork(n: BridgeNetwork): FirewallNetwork {
    const eps = [...this.endpoints.values()].filter((e) => e.networkId === n.id && e.attachment);
    return {
      bridge: n.bridge,
      internal: n.internal,
      icc: n.options.enableIcc,
      masquerade: n.options.enableIpMasquerade,
      subnets: [...n.ipv4, ...n.ipv6].map((s) => s.subnet),
      gateways: [...n.ipv4, ...n.ipv6].flatMap((s) => (s.gateway ? [s.gateway] : [])),
      ports: eps.map((e) => e.attachment!.hostVeth),
      published: eps.flatMap((e) => e.attachment!.published),
    };
  }

  private allPublished(): PublishedPort[] {
    return [...this.endpoints.values()].flatMap((e) => e.attachment?.published ?? []);
  }

  private async removeVeth(name: string): Promise<void> {
    await this.deps.netlink.deleteLink(this.deps.hostNs, name).catch(ignoreNotFound);
  }

  private kernel() {
    return { netlink: this.deps.netlink, sysctl: this.deps.sysctl, hostNs: this.deps.hostNs };
  }

  private network(id: string): BridgeNetwork {
    const net = this.networks.get(id);
    if (!net) throw new NotFoundError(`network ${id} not found`);
    return net;
  }

  private endpoint(networkId: string, endpointId: string): BridgeEndpoint {
    const ep = this.endpoints.get(endpointId);
    if (!ep || ep.networkId !== networkId) throw new NotFoundError(`endpoint ${endpointId} not found in network ${networkId}`);
    return ep;
  }
}

function hostVethNameSafe(id: string): string {
  try {
    return hostVethName(id);
  } catch {
    return '';
  }
}
