import { InvalidParameterError, IpAddr, MacAddr, Prefix } from '@app/common';
import { errnoError } from '../errno';
import {
  Netlink,
  type CreateLinkSpec,
  type FdbEntry,
  type LinkInfo,
  type NeighborEntry,
  type NetnsRef,
  type RouteSpec,
  type RouteWatch,
  type RouteWatchHandler,
} from '../netlink.port';
import {
  checkIfName,
  checkMtu,
  checkUnicastMac,
  FakeWorld,
  isZeroMac,
  LOOPBACK_V4,
  LOOPBACK_V6,
  type FakeLinkState,
  type FakeNamespace,
} from './fake-netlink-model';

/** What {@link FakeNetlink.linksIn} reports: LinkInfo plus what only the model knows. */
export interface FakeLink extends LinkInfo {
  /** The other end of a veth: its namespace path and current name. */
  readonly peer?: { readonly ns: string; readonly name: string };
  readonly hairpin: boolean;
  readonly vxlan?: { readonly vni: number; readonly port: number; readonly learning: boolean; readonly proxy: boolean; readonly local?: IpAddr };
}

/**
 * An in-memory model of rtnetlink across namespaces. It enforces the kernel's rules (names,
 * duplicates, missing devices, veth pairs, bridge ports, moves, prefix routes, reachable
 * gateways) and fails with the same error kinds as RtNetlink; the shared contract suite keeps
 * the two in step.
 *
 * Namespaces must be registered first (`addNamespace`, or through a FakeNetns wired to this
 * model); an unknown namespace path is NotFound, as opening a missing file would be.
 *
 * Not modelled: IPv6 autoconfiguration (link-local addresses and their routes), carrier,
 * a bridge taking its lowest port's MAC.
 */
export class FakeNetlink extends Netlink {
  private readonly world = new FakeWorld();

  /** Register a namespace (idempotent); it starts with `lo`, down. */
  addNamespace(ref: NetnsRef | string): NetnsRef {
    const path = typeof ref === 'string' ? ref : ref.path;
    this.world.addNamespace(path);
    return { path };
  }

  /** The namespace is gone: its links die, and with them their veth peers elsewhere. */
  removeNamespace(ref: NetnsRef | string): void {
    const ns = this.world.ns(ref);
    for (const l of [...ns.links]) this.destroy(l);
    this.world.namespaces.delete(ns.path);
  }

  hasNamespace(ref: NetnsRef | string): boolean {
    return this.world.namespaces.has(typeof ref === 'string' ? ref : ref.path);
  }

  // ---- read helpers for assertions -------------------------------------------------------

  linksIn(ns: NetnsRef | string): FakeLink[] {
    return this.world.ns(ns).links.map((l) => this.describe(l));
  }

  addressesOf(ns: NetnsRef | string, link: string): Prefix[] {
    return [...this.world.link(this.world.ns(ns), link, 'addressesOf').addresses];
  }

  routesIn(ns: NetnsRef | string): RouteSpec[] {
    return this.world.ns(ns).routes.map(toRouteSpec);
  }

  fdbOf(ns: NetnsRef | string, dev: string): FdbEntry[] {
    return [...this.world.link(this.world.ns(ns), dev, 'fdbOf').fdb];
  }

  neighborsOf(ns: NetnsRef | string, dev: string): NeighborEntry[] {
    return this.world.ns(ns).neighbors.filter((n) => n.dev.name === dev).map((n) => ({ dev, ip: n.ip, mac: n.mac }));
  }

  // ---- links ------------------------------------------------------------------------------

  async getLink(ref: NetnsRef, name: string): Promise<LinkInfo | undefined> {
    const l = this.world.find(this.world.ns(ref), name);
    return l && toLinkInfo(l);
  }

  async listLinks(ref: NetnsRef): Promise<LinkInfo[]> {
    return this.world.ns(ref).links.map(toLinkInfo);
  }

  async createLink(ref: NetnsRef, spec: CreateLinkSpec): Promise<void> {
    const ns = this.world.ns(ref);
    const context = `create ${spec.kind} ${spec.name}`;
    checkIfName(spec.name);
    if (spec.mtu !== undefined) checkMtu(spec.mtu, context);
    if (spec.mac) checkUnicastMac(spec.mac, context);
    if (spec.kind === 'veth') {
      checkIfName(spec.peer.name);
      if (spec.peer.mtu !== undefined) checkMtu(spec.peer.mtu, context);
      if (spec.peer.mac) checkUnicastMac(spec.peer.mac, context);
    }
    if (spec.kind === 'vxlan') checkVxlan(spec.vni, spec.port);
    if (this.world.find(ns, spec.name)) throw errnoError('EEXIST', context);

    const mtu = spec.mtu ?? 1500;
    const link = this.world.newLink(ns, spec.name, { kind: spec.kind, mtu, mac: spec.mac });
    link.mtuSet = spec.mtu !== undefined;
    if (spec.kind === 'vxlan') {
      const port = spec.port ?? 4789;
      if (ns.links.some((l) => l.vxlan?.vni === spec.vni && l.vxlan.port === port)) {
        throw errnoError('EEXIST', `${context}: a vxlan device with VNI ${spec.vni} exists`);
      }
      link.vxlan = { vni: spec.vni, port, learning: spec.learning ?? false, proxy: spec.proxy ?? false, local: spec.local };
    }
    if (spec.kind === 'veth') {
      const peerNs = spec.peer.ns ? this.world.ns(spec.peer.ns) : ns;
      if (this.world.find(peerNs, spec.peer.name) || (peerNs === ns && spec.peer.name === spec.name)) {
        throw errnoError('EEXIST', `${context} peer ${spec.peer.name}`);
      }
      const peer = this.world.newLink(peerNs, spec.peer.name, { kind: 'veth', mtu: spec.peer.mtu ?? mtu, mac: spec.peer.mac });
      link.peer = peer;
      peer.peer = link;
      peerNs.links.push(peer);
    }
    ns.links.push(link);
  }

  async deleteLink(ref: NetnsRef, name: string): Promise<void> {
    const ns = this.world.ns(ref);
    const l = this.world.link(ns, name, 'delete link');
    if (l.index === 1) throw errnoError('EOPNOTSUPP', `delete link ${name}`);
    this.destroy(l);
  }

  async setLinkUp(ref: NetnsRef, name: string): Promise<void> {
    const l = this.world.link(this.world.ns(ref), name, 'set up');
    if (l.up) return;
    l.up = true;
    if (l.index === 1) {
      if (!l.addresses.some((a) => a.equals(LOOPBACK_V4))) l.addresses.push(LOOPBACK_V4);
      if (!l.addresses.some((a) => a.equals(LOOPBACK_V6))) l.addresses.push(LOOPBACK_V6);
    }
    for (const a of l.addresses) this.addPrefixRoute(l, a);
  }

  async setLinkDown(ref: NetnsRef, name: string): Promise<void> {
    const l = this.world.link(this.world.ns(ref), name, 'set down');
    if (!l.up) return;
    l.up = false;
    const ns = l.ns;
    // IPv4 routes and neighbours through a device that goes down are flushed; IPv6 routes stay.
    ns.routes = ns.routes.filter((r) => r.dev !== l || (r.dst.family === 6 && !r.connected));
    ns.neighbors = ns.neighbors.filter((n) => n.dev !== l);
  }

  async setLinkMaster(ref: NetnsRef, name: string, master: string | undefined): Promise<void> {
    const ns = this.world.ns(ref);
    const l = this.world.link(ns, name, 'set master of');
    if (master === undefined) {
      l.master = undefined;
      l.hairpin = false;
      return;
    }
    const m = this.world.link(ns, master, `set master of ${name} to`);
    if (m.kind !== 'bridge') throw errnoError('EOPNOTSUPP', `set master of ${name} to ${master}`);
    if (m === l || l.index === 1 || l.kind === 'bridge') throw errnoError('EINVAL', `enslave ${name} to ${master}`);
    if (l.master === m) return;
    l.master = m;
    l.hairpin = false;
    if (!m.mtuSet) m.mtu = Math.min(...this.portsOf(m).map((p) => p.mtu));
  }

  async setLinkMtu(ref: NetnsRef, name: string, mtu: number): Promise<void> {
    const l = this.world.link(this.world.ns(ref), name, 'set mtu of');
    checkMtu(mtu, `set mtu of ${name}`);
    l.mtu = mtu;
    l.mtuSet = true;
  }

  async setLinkMac(ref: NetnsRef, name: string, mac: MacAddr): Promise<void> {
    const l = this.world.link(this.world.ns(ref), name, 'set address of');
    checkUnicastMac(mac, `set address of ${name}`);
    l.mac = mac;
  }

  async renameLink(ref: NetnsRef, name: string, newName: string): Promise<void> {
    const ns = this.world.ns(ref);
    const l = this.world.link(ns, name, 'rename');
    checkIfName(newName);
    if (newName === name) return;
    if (this.world.find(ns, newName)) throw errnoError('EEXIST', `rename ${name} to ${newName}`);
    if (l.up) throw errnoError('EBUSY', `rename ${name} (link is up)`);
    l.name = newName;
  }

  async moveLink(ref: NetnsRef, name: string, to: NetnsRef, newName?: string): Promise<void> {
    const ns = this.world.ns(ref);
    const target = this.world.ns(to);
    const l = this.world.link(ns, name, 'move');
    const finalName = newName ?? name;
    checkIfName(finalName);
    if (l.index === 1 || l.kind === 'bridge' || l.kind === 'vxlan') throw errnoError('EINVAL', `move ${name} (namespace-local device)`);
    if (this.world.find(target, finalName)) throw errnoError('EEXIST', `move ${name} to ${to.path} as ${finalName}`);
    if (target === ns) {
      if (finalName !== name) await this.renameLink(ref, name, finalName);
      return;
    }
    this.detach(l);
    ns.links = ns.links.filter((x) => x !== l);
    // The kernel unregisters and re-registers the device: down, no addresses, no master.
    l.up = false;
    l.master = undefined;
    l.hairpin = false;
    l.addresses = [];
    l.fdb = [];
    l.ns = target;
    l.name = finalName;
    target.links.push(l);
  }

  async setBridgePortHairpin(ref: NetnsRef, name: string, on: boolean): Promise<void> {
    const l = this.world.link(this.world.ns(ref), name, 'set hairpin on');
    if (!l.master) throw errnoError('EOPNOTSUPP', `set hairpin on ${name} (not a bridge port)`);
    l.hairpin = on;
  }

  // ---- addresses --------------------------------------------------------------------------

  async addAddress(ref: NetnsRef, link: string, addr: Prefix): Promise<void> {
    const l = this.world.link(this.world.ns(ref), link, 'add address to');
    if (l.addresses.some((a) => a.equals(addr))) throw errnoError('EEXIST', `add address ${addr} to ${link}`);
    l.addresses.push(addr);
    if (l.up) this.addPrefixRoute(l, addr);
  }

  async deleteAddress(ref: NetnsRef, link: string, addr: Prefix): Promise<void> {
    const l = this.world.link(this.world.ns(ref), link, 'delete address from');
    const i = l.addresses.findIndex((a) => a.equals(addr));
    if (i < 0) throw errnoError('EADDRNOTAVAIL', `delete address ${addr} from ${link}`);
    l.addresses.splice(i, 1);
    const net = addr.network();
    if (!l.addresses.some((a) => a.network().equals(net))) {
      l.ns.routes = l.ns.routes.filter((r) => !(r.connected && r.dev === l && r.dst.equals(net)));
    }
    // Routes whose gateway was reachable only through this address go with it (IPv4).
    if (addr.family === 4) {
      l.ns.routes = l.ns.routes.filter((r) => !r.gateway || r.dev !== l || r.gateway.family !== 4 || this.reaches(l, r.gateway));
    }
  }

  async listAddresses(ref: NetnsRef, link: string): Promise<Prefix[]> {
    return [...this.world.link(this.world.ns(ref), link, 'list addresses of').addresses];
  }

  // ---- routes -----------------------------------------------------------------------------

  async addRoute(ref: NetnsRef, route: RouteSpec): Promise<void> {
    const ns = this.world.ns(ref);
    const context = `add route ${route.dst}`;
    checkRoute(route, context);
    let dev = route.dev === undefined ? undefined : this.world.link(ns, route.dev, `${context} dev`);
    if (route.gateway) {
      const via = (dev ? [dev] : ns.links).find((l) => this.reaches(l, route.gateway!));
      if (!via && !(route.dst.family === 6 && dev)) throw errnoError('ENETUNREACH', `${context} via ${route.gateway}`);
      dev = dev ?? via;
    } else if (dev && route.dst.family === 4 && !dev.up) {
      throw errnoError('ENETDOWN', `${context} dev ${dev.name}`);
    }
    if (!dev) throw new InvalidParameterError(`${context}: a route needs a gateway or a device`);
    const metric = route.metric ?? (route.dst.family === 6 ? 1024 : 0);
    if (ns.routes.some((r) => r.dst.equals(route.dst) && r.metric === metric)) throw errnoError('EEXIST', context);
    ns.routes.push({ dst: route.dst, gateway: route.gateway, dev, metric, connected: false });
  }

  async deleteRoute(ref: NetnsRef, route: RouteSpec): Promise<void> {
    const ns = this.world.ns(ref);
    checkRoute(route, `delete route ${route.dst}`);
    const i = ns.routes.findIndex(
      (r) =>
        r.dst.equals(route.dst) &&
        (route.gateway === undefined || (r.gateway !== undefined && r.gateway.equals(route.gateway))) &&
        (route.dev === undefined || r.dev.name === route.dev) &&
        (route.metric === undefined || r.metric === route.metric),
    );
    if (i < 0) throw errnoError('ESRCH', `delete route ${route.dst}`);
    ns.routes.splice(i, 1);
  }

  async listRoutes(ref: NetnsRef): Promise<RouteSpec[]> {
    return this.routesIn(ref);
  }

  async listRouteDestinations(ref: NetnsRef): Promise<Prefix[]> {
    return this.routesIn(ref).map((r) => r.dst);
  }

  /** Changes reach the handler at sync(), as a diff against what it was last told. */
  async watchRouteDestinations(ref: NetnsRef, handler: RouteWatchHandler): Promise<RouteWatch> {
    const current = () => new Map(this.routesIn(ref).map((r) => [r.dst.toString(), r.dst]));
    let told = current();
    handler.reset([...told.values()]);
    let closed = false;
    return {
      sync: async () => {
        if (closed) return;
        const now = current();
        for (const [k, dst] of told) if (!now.has(k)) handler.remove(dst);
        for (const [k, dst] of now) if (!told.has(k)) handler.add(dst);
        told = now;
      },
      close: () => void (closed = true),
    };
  }

  async listAllAddresses(ref: NetnsRef): Promise<Map<number, Prefix[]>> {
    return new Map(this.world.ns(ref).links.map((l) => [l.index, [...l.addresses]]));
  }

  // ---- FDB and neighbours -----------------------------------------------------------------

  async addFdbEntry(ref: NetnsRef, entry: FdbEntry): Promise<void> {
    const l = this.world.link(this.world.ns(ref), entry.dev, 'add fdb entry on');
    const context = `add fdb entry ${entry.mac} on ${entry.dev}`;
    if (l.kind === 'vxlan' && !entry.dst) throw new InvalidParameterError(`${context}: a vxlan entry needs a dst`);
    const zero = isZeroMac(entry.mac);
    const clash = l.fdb.some((e) => e.mac.equals(entry.mac) && (!zero || sameIp(e.dst, entry.dst)));
    if (clash) throw errnoError('EEXIST', context);
    l.fdb.push({ dev: entry.dev, mac: entry.mac, dst: entry.dst });
  }

  async deleteFdbEntry(ref: NetnsRef, entry: FdbEntry): Promise<void> {
    const l = this.world.link(this.world.ns(ref), entry.dev, 'delete fdb entry on');
    const i = l.fdb.findIndex((e) => e.mac.equals(entry.mac) && (entry.dst === undefined || sameIp(e.dst, entry.dst)));
    if (i < 0) throw errnoError('ENOENT', `delete fdb entry ${entry.mac} on ${entry.dev}`);
    l.fdb.splice(i, 1);
  }

  async listFdbEntries(ref: NetnsRef, dev: string): Promise<FdbEntry[]> {
    const l = this.world.link(this.world.ns(ref), dev, 'list fdb of');
    return l.fdb.filter((e) => e.dst !== undefined).map((e) => ({ dev: l.name, mac: e.mac, dst: e.dst }));
  }

  async addNeighbor(ref: NetnsRef, entry: NeighborEntry): Promise<void> {
    const ns = this.world.ns(ref);
    const dev = this.world.link(ns, entry.dev, 'add neighbour on');
    if (ns.neighbors.some((n) => n.dev === dev && n.ip.equals(entry.ip))) {
      throw errnoError('EEXIST', `add neighbour ${entry.ip} on ${entry.dev}`);
    }
    ns.neighbors.push({ dev, ip: entry.ip, mac: entry.mac });
  }

  async deleteNeighbor(ref: NetnsRef, entry: NeighborEntry): Promise<void> {
    const ns = this.world.ns(ref);
    const dev = this.world.link(ns, entry.dev, 'delete neighbour on');
    const i = ns.neighbors.findIndex((n) => n.dev === dev && n.ip.equals(entry.ip));
    if (i < 0) throw errnoError('ENOENT', `delete neighbour ${entry.ip} on ${entry.dev}`);
    ns.neighbors.splice(i, 1);
  }

  async listNeighbors(ref: NetnsRef, dev: string): Promise<NeighborEntry[]> {
    this.world.link(this.world.ns(ref), dev, 'list neighbours of');
    return this.neighborsOf(ref, dev);
  }

  // ---- internals --------------------------------------------------------------------------

  private portsOf(bridge: FakeLinkState): FakeLinkState[] {
    return bridge.ns.links.filter((l) => l.master === bridge);
  }

  private reaches(l: FakeLinkState, gw: IpAddr): boolean {
    return l.up && l.addresses.some((a) => a.family === gw.family && a.network().contains(gw));
  }

  private addPrefixRoute(l: FakeLinkState, addr: Prefix): void {
    if (l.index === 1 || addr.length === addr.address.bits) return;
    const dst = addr.network();
    const metric = addr.family === 6 ? 256 : 0;
    if (l.ns.routes.some((r) => r.connected && r.dev === l && r.dst.equals(dst))) return;
    l.ns.routes.push({ dst, dev: l, metric, connected: true });
  }

  /** Remove the device and everything hanging off it (routes, neighbours, ports, veth peer). */
  private destroy(l: FakeLinkState): void {
    const peer = l.peer;
    this.detach(l);
    l.ns.links = l.ns.links.filter((x) => x !== l);
    if (peer && peer.peer === l) {
      peer.peer = undefined;
      this.destroy(peer);
    }
  }

  private detach(l: FakeLinkState): void {
    const ns = l.ns;
    ns.routes = ns.routes.filter((r) => r.dev !== l);
    ns.neighbors = ns.neighbors.filter((n) => n.dev !== l);
    for (const port of ns.links) {
      if (port.master === l) {
        port.master = undefined;
        port.hairpin = false;
      }
    }
  }

  private describe(l: FakeLinkState): FakeLink {
    return {
      ...toLinkInfo(l),
      peer: l.peer && { ns: l.peer.ns.path, name: l.peer.name },
      hairpin: l.hairpin,
      vxlan: l.vxlan && { ...l.vxlan },
    };
  }
}

function toLinkInfo(l: FakeLinkState): LinkInfo {
  return { name: l.name, index: l.index, kind: l.kind, mtu: l.mtu, mac: l.mac, up: l.up, master: l.master?.name, vxlan: l.vxlan && { proxy: l.vxlan.proxy } };
}

function toRouteSpec(r: FakeNamespace['routes'][number]): RouteSpec {
  const metric = r.dst.family === 4 && r.metric === 0 ? undefined : r.metric;
  return { dst: r.dst, gateway: r.gateway, dev: r.dev.name, metric };
}

function checkRoute(route: RouteSpec, context: string): void {
  if (!route.dst.isNetwork) throw new InvalidParameterError(`${context}: host bits set in the destination`);
  if (route.gateway && route.gateway.family !== route.dst.family) {
    throw new InvalidParameterError(`${context}: gateway ${route.gateway} is not IPv${route.dst.family}`);
  }
}

function checkVxlan(vni: number, port: number | undefined): void {
  if (!Number.isInteger(vni) || vni < 0 || vni >= 1 << 24) throw new InvalidParameterError(`invalid VNI ${vni}`);
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    throw new InvalidParameterError(`invalid vxlan port ${port}`);
  }
}

function sameIp(a: IpAddr | undefined, b: IpAddr | undefined): boolean {
  return a === undefined ? b === undefined : b !== undefined && a.equals(b);
}

