import { InvalidParameterError, IpAddr, MacAddr, Prefix } from '@app/common';
import type { RtNetlinkSocket, rt } from 'netlink';
import { closeSync } from 'node:fs';
import { errnoError } from './errno';
import { checkIfName, checkMtu, checkUnicastMac, isZeroMac } from './link-checks';
import { openNetns } from './native/with-netns';
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
} from './netlink.port';
import { onNetnsRelease } from './netns-release';
import { bridgePortHairpin, kindOnly, parseKind, parseVxlan, vethInfo, vxlanInfo } from './netlink/linkinfo';
import { dumpMainRoutes, RtRouteWatch } from './netlink/route-watch';
import { SocketCache } from './netlink/socket-cache';

const NLM_F_EXCL = 0x200;
const NLM_F_CREATE = 0x400;
const NLM_F_APPEND = 0x800;
const AF_INET = 2;
const AF_BRIDGE = 7;
const AF_INET6 = 10;
const RT_TABLE_MAIN = 254;
const RTN_UNICAST = 1;
const RTPROT_BOOT = 3;
const RT_SCOPE_UNIVERSE = 0;
const RT_SCOPE_LINK = 253;
const RT_SCOPE_NOWHERE = 255;

const familyOf = (f: 4 | 6) => (f === 4 ? AF_INET : AF_INET6);
const bytes = (x: { toBytes(): Uint8Array }) => Buffer.from(x.toBytes());

export interface RtNetlinkOptions {
  /** Most namespaces with an open socket at once (least recently used closed first). */
  readonly maxSockets?: number;
}

/**
 * Netlink on rtnetlink sockets (npm `netlink`), one socket per namespace born inside it: no
 * process is spawned. Errors map from errno as the port documents.
 */
export class RtNetlink extends Netlink {
  private readonly sockets: SocketCache;
  private readonly unsubscribe: () => void;

  constructor(opts: RtNetlinkOptions = {}) {
    super();
    this.sockets = new SocketCache(opts.maxSockets);
    this.unsubscribe = onNetnsRelease((path) => this.sockets.close(path));
  }

  /** Close the socket kept for `ns` (it holds the namespace alive). */
  close(ns?: NetnsRef): void {
    if (ns) this.sockets.close(ns.path);
    else {
      this.sockets.closeAll();
      this.unsubscribe();
    }
  }

  async getLink(ns: NetnsRef, name: string): Promise<LinkInfo | undefined> {
    checkIfName(name);
    const sock = this.sockets.get(ns);
    try {
      const [msg] = await sock.getLink({}, { ifname: name });
      return msg && (await this.toLinkInfo(sock, msg));
    } catch (e) {
      if (errnoOf(e) === 'ENODEV') return undefined;
      throw wrap(e, `get link ${name}`);
    }
  }

  async listLinks(ns: NetnsRef): Promise<LinkInfo[]> {
    const sock = this.sockets.get(ns);
    const msgs = await call(sock.getLinks(), 'list links');
    const names = new Map(msgs.map((m) => [m.data.index, m.attrs.ifname]));
    return msgs.map((m) => linkInfoOf(m, names));
  }

  async createLink(ns: NetnsRef, spec: CreateLinkSpec): Promise<void> {
    const context = `create ${spec.kind} ${spec.name}`;
    checkIfName(spec.name);
    if (spec.mtu !== undefined) checkMtu(spec.mtu, context);
    if (spec.mac) checkUnicastMac(spec.mac, context);
    const sock = this.sockets.get(ns);
    let peerFd: number | undefined;
    try {
      let linkinfo: Buffer;
      if (spec.kind === 'veth') {
        checkIfName(spec.peer.name);
        if (spec.peer.mtu !== undefined) checkMtu(spec.peer.mtu, context);
        if (spec.peer.mac) checkUnicastMac(spec.peer.mac, context);
        if (spec.peer.ns && spec.peer.ns.path !== ns.path) peerFd = openNetns(spec.peer.ns);
        const peerMtu = spec.peer.mtu ?? spec.mtu;
        linkinfo = vethInfo({ name: spec.peer.name, nsFd: peerFd, mac: spec.peer.mac?.toBytes(), mtu: peerMtu });
      } else if (spec.kind === 'vxlan') {
        if (!Number.isInteger(spec.vni) || spec.vni < 0 || spec.vni >= 1 << 24) throw new InvalidParameterError(`${context}: invalid VNI ${spec.vni}`);
        const port = spec.port ?? 4789;
        if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidParameterError(`${context}: invalid port ${port}`);
        linkinfo = vxlanInfo({ vni: spec.vni, port, learning: spec.learning ?? false, proxy: spec.proxy ?? false, local: spec.local });
      } else {
        linkinfo = kindOnly(spec.kind);
      }
      const attrs = { ifname: spec.name, linkinfo, mtu: spec.mtu, address: spec.mac && bytes(spec.mac) };
      await call(sock.newLink({}, attrs, { flags: NLM_F_CREATE | NLM_F_EXCL }), context);
    } finally {
      if (peerFd !== undefined) closeSync(peerFd);
    }
  }

  async deleteLink(ns: NetnsRef, name: string): Promise<void> {
    const sock = this.sockets.get(ns);
    const index = await this.index(sock, name, 'delete link');
    await call(sock.delLink({ index }), `delete link ${name}`);
  }

  async setLinkUp(ns: NetnsRef, name: string): Promise<void> {
    await this.setLink(ns, name, 'set up', { change: { up: true }, flags: { up: true } });
  }

  async setLinkDown(ns: NetnsRef, name: string): Promise<void> {
    await this.setLink(ns, name, 'set down', { change: { up: true }, flags: {} });
  }

  async setLinkMaster(ns: NetnsRef, name: string, master: string | undefined): Promise<void> {
    const sock = this.sockets.get(ns);
    const index = await this.index(sock, name, 'set master of');
    const masterIndex = master === undefined ? 0 : await this.index(sock, master, `set master of ${name} to`);
    await call(sock.setLink({ index }, { master: masterIndex }), `set master of ${name} to ${master ?? 'none'}`);
  }

  async setLinkMtu(ns: NetnsRef, name: string, mtu: number): Promise<void> {
    checkMtu(mtu, `set mtu of ${name}`);
    await this.setLink(ns, name, 'set mtu of', {}, { mtu });
  }

  async setLinkMac(ns: NetnsRef, name: string, mac: MacAddr): Promise<void> {
    checkUnicastMac(mac, `set address of ${name}`);
    await this.setLink(ns, name, 'set address of', {}, { address: bytes(mac) });
  }

  async renameLink(ns: NetnsRef, name: string, newName: string): Promise<void> {
    checkIfName(newName);
    if (newName === name) return;
    await this.setLink(ns, name, `rename to ${newName}:`, {}, { ifname: newName });
  }

  async moveLink(ns: NetnsRef, name: string, to: NetnsRef, newName?: string): Promise<void> {
    if (newName !== undefined) checkIfName(newName);
    const fd = openNetns(to);
    try {
      await this.setLink(ns, name, `move to ${to.path}:`, {}, { netNsFd: fd, ifname: newName });
    } finally {
      closeSync(fd);
    }
  }

  async setBridgePortHairpin(ns: NetnsRef, name: string, on: boolean): Promise<void> {
    const sock = this.sockets.get(ns);
    const index = await this.index(sock, name, 'set hairpin on');
    await call(sock.newLink({ index }, { linkinfo: bridgePortHairpin(on) }), `set hairpin on ${name}`);
  }

  async addAddress(ns: NetnsRef, link: string, addr: Prefix): Promise<void> {
    await this.address(ns, link, addr, true);
  }

  async deleteAddress(ns: NetnsRef, link: string, addr: Prefix): Promise<void> {
    await this.address(ns, link, addr, false);
  }

  async listAddresses(ns: NetnsRef, link: string): Promise<Prefix[]> {
    const sock = this.sockets.get(ns);
    const index = await this.index(sock, link, 'list addresses of');
    const msgs = await call(sock.getAddresses(), `list addresses of ${link}`);
    return msgs
      .filter((m) => m.data.index === index)
      .map((m) => Prefix.of(IpAddr.fromBytes((m.attrs.local ?? m.attrs.address)!), m.data.prefixlen ?? 0));
  }

  async addRoute(ns: NetnsRef, route: RouteSpec): Promise<void> {
    await this.route(ns, route, true);
  }

  async deleteRoute(ns: NetnsRef, route: RouteSpec): Promise<void> {
    await this.route(ns, route, false);
  }

  async listRoutes(ns: NetnsRef): Promise<RouteSpec[]> {
    const sock = this.sockets.get(ns);
    const [routes, links] = [await call(sock.getRoutes(), 'list routes'), await call(sock.getLinks(), 'list links')];
    const names = new Map(links.map((m) => [m.data.index, m.attrs.ifname]));
    return routes
      .filter((m) => (m.attrs.table ?? m.data.table) === RT_TABLE_MAIN && (m.data.type === RTN_UNICAST || m.data.type === 'UNICAST'))
      .filter((m) => m.data.family === AF_INET || m.data.family === AF_INET6)
      .map((m) => {
        const family = m.data.family === AF_INET ? 4 : 6;
        const dst = m.attrs.dst ? IpAddr.fromBytes(m.attrs.dst) : IpAddr.fromBigInt(family, 0n);
        const metric = m.attrs.priority;
        return {
          dst: Prefix.of(dst, m.data.dstLen ?? 0),
          gateway: m.attrs.gateway && IpAddr.fromBytes(m.attrs.gateway),
          dev: m.attrs.oif === undefined ? undefined : names.get(m.attrs.oif),
          metric: family === 4 && !metric ? undefined : metric,
        };
      });
  }

  async listRouteDestinations(ns: NetnsRef): Promise<Prefix[]> {
    return (await call(dumpMainRoutes(this.sockets.get(ns)), 'list routes')).map((r) => r.dst);
  }

  async watchRouteDestinations(ns: NetnsRef, handler: RouteWatchHandler): Promise<RouteWatch> {
    this.sockets.get(ns); // NotFound for a missing namespace, before a socket is made in it
    return call(RtRouteWatch.open(ns, () => this.sockets.get(ns), handler), 'watch routes');
  }

  async listAllAddresses(ns: NetnsRef): Promise<Map<number, Prefix[]>> {
    const sock = this.sockets.get(ns);
    const out = new Map<number, Prefix[]>();
    for (const m of await call(sock.getAddresses(), 'list addresses')) {
      const index = m.data.index;
      const bytes = m.attrs.local ?? m.attrs.address;
      if (index === undefined || !bytes) continue;
      const list = out.get(index) ?? [];
      list.push(Prefix.of(IpAddr.fromBytes(bytes), m.data.prefixlen ?? 0));
      out.set(index, list);
    }
    return out;
  }

  async addFdbEntry(ns: NetnsRef, entry: FdbEntry): Promise<void> {
    const flags = NLM_F_CREATE | (isZeroMac(entry.mac) ? NLM_F_APPEND : NLM_F_EXCL);
    await this.neighbor(ns, AF_BRIDGE, entry.dev, entry.mac, entry.dst, flags, `add fdb entry ${entry.mac} on`);
  }

  async deleteFdbEntry(ns: NetnsRef, entry: FdbEntry): Promise<void> {
    await this.neighbor(ns, AF_BRIDGE, entry.dev, entry.mac, entry.dst, undefined, `delete fdb entry ${entry.mac} on`);
  }

  async listFdbEntries(ns: NetnsRef, dev: string): Promise<FdbEntry[]> {
    return (await this.neighbors(ns, AF_BRIDGE, dev)).filter((n) => n.dst).map((n) => ({ dev, mac: n.mac, dst: n.dst }));
  }

  async addNeighbor(ns: NetnsRef, entry: NeighborEntry): Promise<void> {
    const flags = NLM_F_CREATE | NLM_F_EXCL;
    await this.neighbor(ns, familyOf(entry.ip.family), entry.dev, entry.mac, entry.ip, flags, `add neighbour ${entry.ip} on`);
  }

  async deleteNeighbor(ns: NetnsRef, entry: NeighborEntry): Promise<void> {
    await this.neighbor(ns, familyOf(entry.ip.family), entry.dev, entry.mac, entry.ip, undefined, `delete neighbour ${entry.ip} on`);
  }

  async listNeighbors(ns: NetnsRef, dev: string): Promise<NeighborEntry[]> {
    const all = [...(await this.neighbors(ns, AF_INET, dev)), ...(await this.neighbors(ns, AF_INET6, dev))];
    return all.filter((n) => n.dst).map((n) => ({ dev, ip: n.dst!, mac: n.mac }));
  }

  // ---- internals --------------------------------------------------------------------------

  private async index(sock: RtNetlinkSocket, name: string, context: string): Promise<number> {
    checkIfName(name);
    const [msg] = await call(sock.getLink({}, { ifname: name }), `${context} ${name}`);
    return msg.data.index!;
  }

  private async setLink(ns: NetnsRef, name: string, context: string, data: rt.Link, attrs: Parameters<RtNetlinkSocket['setLink']>[1] = {}): Promise<void> {
    const sock = this.sockets.get(ns);
    const index = await this.index(sock, name, context);
    await call(sock.setLink({ ...data, index }, attrs), `${context} ${name}`);
  }

  private async address(ns: NetnsRef, link: string, addr: Prefix, add: boolean): Promise<void> {
    const context = `${add ? 'add' : 'delete'} address ${addr} ${add ? 'to' : 'from'}`;
    const sock = this.sockets.get(ns);
    const index = await this.index(sock, link, context);
    const data = { family: familyOf(addr.family), prefixlen: addr.length, index };
    const attrs = { local: bytes(addr.address), address: bytes(addr.address) };
    const p = add ? sock.newAddress(data, attrs, { flags: NLM_F_CREATE | NLM_F_EXCL }) : sock.delAddress(data, attrs);
    await call(p, `${context} ${link}`);
  }

  private async route(ns: NetnsRef, route: RouteSpec, add: boolean): Promise<void> {
    const context = `${add ? 'add' : 'delete'} route ${route.dst}`;
    if (!route.dst.isNetwork) throw new InvalidParameterError(`${context}: host bits set in the destination`);
    if (route.gateway && route.gateway.family !== route.dst.family) {
      throw new InvalidParameterError(`${context}: gateway ${route.gateway} is not IPv${route.dst.family}`);
    }
    if (add && !route.gateway && route.dev === undefined) throw new InvalidParameterError(`${context}: a route needs a gateway or a device`);
    const sock = this.sockets.get(ns);
    const oif = route.dev === undefined ? undefined : await this.index(sock, route.dev, `${context} dev`);
    const data: rt.Route = add
      ? { family: familyOf(route.dst.family), dstLen: route.dst.length, table: RT_TABLE_MAIN, protocol: RTPROT_BOOT, type: RTN_UNICAST, scope: route.gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK }
      : { family: familyOf(route.dst.family), dstLen: route.dst.length, table: RT_TABLE_MAIN, scope: RT_SCOPE_NOWHERE };
    const attrs = {
      dst: route.dst.length > 0 ? bytes(route.dst.address) : undefined,
      gateway: route.gateway && bytes(route.gateway),
      oif,
      priority: route.metric,
    };
    await call(add ? sock.newRoute(data, attrs, { flags: NLM_F_CREATE | NLM_F_EXCL }) : sock.delRoute(data, attrs), context);
  }

  private async neighbor(ns: NetnsRef, family: number, dev: string, mac: MacAddr, dst: IpAddr | undefined, flags: number | undefined, context: string): Promise<void> {
    const sock = this.sockets.get(ns);
    const ifindex = await this.index(sock, dev, context);
    const data: rt.Neighbor = { family, ifindex, state: { permanent: true }, flags: family === AF_BRIDGE ? { self: true } : {} };
    const attrs = { lladdr: bytes(mac), dst: dst && bytes(dst) };
    const p = flags === undefined ? sock.delNeighbor(data, attrs) : sock.newNeighbor(data, attrs, { flags });
    await call(p, `${context} ${dev}`);
  }

  private async neighbors(ns: NetnsRef, family: number, dev: string): Promise<Array<{ mac: MacAddr; dst?: IpAddr }>> {
    const sock = this.sockets.get(ns);
    const ifindex = await this.index(sock, dev, 'list neighbours of');
    const msgs = await call(sock.getNeighbors({ family }), `list neighbours of ${dev}`);
    return msgs
      .filter((m) => m.data.family === family && m.data.ifindex === ifindex && m.data.state?.permanent && m.attrs.lladdr?.length === 6)
      .map((m) => ({ mac: MacAddr.fromBytes(m.attrs.lladdr!), dst: m.attrs.dst && IpAddr.fromBytes(m.attrs.dst) }));
  }

  private async toLinkInfo(sock: RtNetlinkSocket, m: rt.LinkMessage): Promise<LinkInfo> {
    const names = new Map<number | undefined, string | undefined>();
    if (m.attrs.master) {
      const [master] = await call(sock.getLink({ index: m.attrs.master }), 'get master');
      names.set(m.attrs.master, master?.attrs.ifname);
    }
    return linkInfoOf(m, names);
  }
}

function linkInfoOf(m: rt.LinkMessage, names: Map<number | undefined, string | undefined>): LinkInfo {
  const mac = m.attrs.address?.length === 6 ? MacAddr.fromBytes(m.attrs.address) : undefined;
  return {
    name: m.attrs.ifname ?? '',
    index: m.data.index ?? 0,
    kind: parseKind(m.attrs.linkinfo),
    mtu: m.attrs.mtu ?? 0,
    mac,
    up: m.data.flags?.up === true,
    master: m.attrs.master ? names.get(m.attrs.master) : undefined,
    vxlan: parseVxlan(m.attrs.linkinfo),
  };
}

/** The errno name of a rejected request (`Request rejected: EEXIST`) or a socket error. */
function errnoOf(e: unknown): string | undefined {
  const code = (e as { code?: unknown })?.code;
  if (typeof code === 'string') return code;
  return /Request rejected: (\w+)/.exec((e as Error)?.message ?? '')?.[1];
}

function wrap(e: unknown, context: string): Error {
  const errno = errnoOf(e);
  if (errno && /^E[A-Z]+$/.test(errno)) return errnoError(errno, context, e);
  if (/^\d+$/.test(errno ?? '')) return errnoError(Number(errno), context, e);
  return e instanceof Error ? e : new Error(String(e));
}

async function call<T>(p: Promise<T>, context: string): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw wrap(e, context);
  }
}
