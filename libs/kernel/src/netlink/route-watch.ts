import { IpAddr, Prefix } from '@app/common';
import { createRtNetlink, type RtNetlinkSocket } from 'netlink';
import type { NetnsRef, RouteWatch, RouteWatchHandler } from '../netlink.port';
import { withNetns } from '../native/with-netns';

const AF_INET = 2;
const AF_INET6 = 10;
const RTM_NEWROUTE = 24;
const RTM_DELROUTE = 25;
const RTM_GETROUTE = 26;
const NLMSG_NOOP = 1;
const NLM_F_REPLACE = 0x100;
const NLM_F_DUMP = 0x300;
const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const IFF_UP = 0x1;
const RTNLGRP_LINK = 1;
const RTNLGRP_IPV4_ROUTE = 7;
const RTNLGRP_IPV6_ROUTE = 11;
const RT_TABLE_MAIN = 254;
const RTN_UNICAST = 1;
/** struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags (u32). */
export const RTMSG_LEN = 12;
const RTA_DST = 1;
const RTA_OIF = 4;
const RTA_GATEWAY = 5;
const RTA_PRIORITY = 6;
const RTA_TABLE = 15;
/**
 * Sequence numbers of the watch socket's own requests. A notification carries the seq of the
 * request (on another socket) that caused it, and the npm socket matches replies by seq alone,
 * so the watch's requests use a range no other requester here starts from (ours count from 1,
 * `ip` from the time in seconds).
 */
const SEQ_BASE = 0xc0000000;
/** Longest time between two full reads of the routes (a sync after it reads them all again). */
const RELOAD_MS = 60_000;

/** One unicast route of the main table, as read from an RTM_*ROUTE payload. */
export interface MainRoute {
  readonly dst: Prefix;
  readonly family: 4 | 6;
  /** Output interface index (0: none given). */
  readonly oif: number;
  /** What the kernel tells routes apart by within the table: family, destination, tos, metric. */
  readonly slot: string;
  /** The slot plus the next hop (IPv6 keeps one route per next hop in a slot). */
  readonly key: string;
}

/**
 * The main-table unicast route of one RTM_NEWROUTE/RTM_DELROUTE payload, else undefined.
 * Read by hand: the package's parser costs ~3 µs a route (every attribute into an object).
 * RTA_TABLE, when present, overrides the 8-bit rtm_table.
 */
export function parseMainRoute(data: Buffer): MainRoute | undefined {
  if (data.length < RTMSG_LEN) return undefined;
  const family = data[0];
  if ((family !== AF_INET && family !== AF_INET6) || data[7] !== RTN_UNICAST) return undefined;
  let table = data[4];
  let dst: Buffer | undefined;
  let oif = 0;
  let gateway = '';
  let priority = 0;
  for (let off = RTMSG_LEN; off + 4 <= data.length; ) {
    const len = data.readUInt16LE(off);
    if (len < 4 || off + len > data.length) break;
    const type = data.readUInt16LE(off + 2) & 0x3fff;
    if (type === RTA_DST) dst = data.subarray(off + 4, off + len);
    else if (type === RTA_TABLE && len >= 8) table = data.readUInt32LE(off + 4);
    else if (type === RTA_OIF && len >= 8) oif = data.readUInt32LE(off + 4);
    else if (type === RTA_PRIORITY && len >= 8) priority = data.readUInt32LE(off + 4);
    else if (type === RTA_GATEWAY) gateway = data.toString('hex', off + 4, off + len);
    off += (len + 3) & ~3;
  }
  if (table !== RT_TABLE_MAIN) return undefined;
  const bytes = family === AF_INET ? 4 : 16;
  if (dst && dst.length !== bytes) return undefined;
  const prefix = Prefix.of(dst ? IpAddr.fromBytes(dst) : IpAddr.fromBigInt(family === AF_INET ? 4 : 6, 0n), data[1]);
  const slot = `${prefix} ${data[3]} ${priority}`;
  return { dst: prefix, family: family === AF_INET ? 4 : 6, oif, slot, key: `${slot} ${oif} ${gateway}` };
}

/** Every main-table unicast route of `sock`'s namespace (one dump). */
export async function dumpMainRoutes(sock: RtNetlinkSocket): Promise<MainRoute[]> {
  const [msgs] = await sock.socket.request(RTM_GETROUTE, Buffer.alloc(RTMSG_LEN), { flags: NLM_F_DUMP });
  const out: MainRoute[] = [];
  for (const m of msgs) {
    const r = m.type === RTM_NEWROUTE ? parseMainRoute(m.data) : undefined;
    if (r) out.push(r);
  }
  return out;
}

type Change =
  | { readonly type: typeof RTM_NEWROUTE | typeof RTM_DELROUTE; readonly flags: number; readonly route: MainRoute }
  /** A link deleted (both families' routes through it go) or down (its IPv4 routes go). */
  | { readonly type: 'link-gone'; readonly index: number; readonly families: readonly (4 | 6)[] };

function toChange(type: number, flags: number, data: Buffer): Change | undefined {
  if (type === RTM_NEWROUTE || type === RTM_DELROUTE) {
    const route = parseMainRoute(data);
    return route && { type, flags, route };
  }
  // IPv4 drops the routes of a link that goes down or away without an RTM_DELROUTE (fib_flush
  // is silent); IPv6 announces its removals, but a deleted link's routes are gone either way.
  // struct ifinfomsg: family, pad, type (u16), index (s32), flags (u32), change (u32).
  if ((type === RTM_DELLINK || type === RTM_NEWLINK) && data.length >= 16) {
    const index = data.readInt32LE(4);
    if (type === RTM_DELLINK) return { type: 'link-gone', index, families: [4, 6] };
    if ((data.readUInt32LE(8) & IFF_UP) === 0) return { type: 'link-gone', index, families: [4] };
  }
  return undefined;
}

/**
 * The destinations of a namespace's main-table unicast routes, followed through rtnetlink
 * notifications (RTNLGRP_IPV4_ROUTE/IPV6_ROUTE) on a socket of its own, so knowing them costs
 * O(changes) instead of a dump of every route. Start: subscribe, then dump (on another socket:
 * a notification landing between the parts of a dump on this one would cut the dump short),
 * then replay what arrived meanwhile (idempotent by route key). Lost notifications (ENOBUFS)
 * make the next sync start over.
 */
export class RtRouteWatch implements RouteWatch {
  /** Routes by slot, then by key. */
  private readonly routes = new Map<string, Map<string, Prefix>>();
  /** Destinations by text, with how many slots hold routes to each. */
  private readonly dsts = new Map<string, { dst: Prefix; slots: number }>();
  /** Routes by output link index, then slot, then key (to drop a link's routes when it goes). */
  private readonly byOif = new Map<number, Map<string, Map<string, MainRoute>>>();
  private readonly oifOf = new Map<string, number>();
  private pending: Change[] | undefined = [];
  private lost = false;
  private loadedAt = 0;
  private closed = false;

  private constructor(
    private readonly sock: RtNetlinkSocket,
    private readonly dumpSocket: () => RtNetlinkSocket,
    private readonly handler: RouteWatchHandler,
  ) {
    sock.socket.seq = SEQ_BASE;
    sock.socket.on('message', (msg) => {
      for (const m of Array.isArray(msg) ? msg : [msg]) {
        const change = toChange(m.type, m.flags, m.data);
        if (!change) continue;
        if (this.pending) this.pending.push(change);
        else this.apply(change, true);
      }
    });
    sock.socket.on('error', () => {
      this.lost = true;
    });
  }

  static async open(ns: NetnsRef, dumpSocket: () => RtNetlinkSocket, handler: RouteWatchHandler): Promise<RtRouteWatch> {
    const sock = withNetns(ns, () => createRtNetlink());
    try {
      sock.socket.addMembership(RTNLGRP_LINK);
      sock.socket.addMembership(RTNLGRP_IPV4_ROUTE);
      sock.socket.addMembership(RTNLGRP_IPV6_ROUTE);
      const w = new RtRouteWatch(sock, dumpSocket, handler);
      await w.load();
      return w;
    } catch (e) {
      sock.socket.close();
      throw e;
    }
  }

  async sync(): Promise<void> {
    if (this.closed) return;
    // The kernel queued every notification of a change made before this call ahead of this
    // ack, and the socket hands them over in order: once it resolves, they have been applied.
    await this.sock.socket.request(NLMSG_NOOP, Buffer.alloc(0));
    // A full read now and then bounds what a kernel change that announces nothing could leave.
    if (this.lost || Date.now() - this.loadedAt > RELOAD_MS) await this.load();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.socket.close();
  }

  /** (Re)read every route, then apply what arrived while reading; tells the handler `reset`. */
  private async load(): Promise<void> {
    this.lost = false;
    this.pending = [];
    this.loadedAt = Date.now();
    let routes: MainRoute[];
    try {
      routes = await dumpMainRoutes(this.dumpSocket());
    } catch (e) {
      this.lost = true;
      this.pending = undefined;
      throw e;
    }
    this.routes.clear();
    this.dsts.clear();
    this.byOif.clear();
    this.oifOf.clear();
    for (const route of routes) this.apply({ type: RTM_NEWROUTE, flags: 0, route }, false);
    for (const c of this.pending) this.apply(c, false);
    this.pending = undefined;
    this.handler.reset([...this.dsts.values()].map((d) => d.dst));
  }

  private apply(c: Change, notify: boolean): void {
    if (c.type === 'link-gone') {
      const gone = [...(this.byOif.get(c.index)?.values() ?? [])].flatMap((routes) => [...routes.values()]);
      for (const r of gone) if (c.families.includes(r.family)) this.apply({ type: RTM_DELROUTE, flags: 0, route: r }, notify);
      return;
    }
    this.indexOif(c.route, c.type === RTM_NEWROUTE);
    const { slot, key, dst } = c.route;
    let slotRoutes = this.routes.get(slot);
    if (c.type === RTM_NEWROUTE) {
      // A replace takes the slot's place whatever next hop it had.
      if (slotRoutes && c.flags & NLM_F_REPLACE) {
        for (const k of [...slotRoutes.keys()]) if (k !== key) this.apply({ type: RTM_DELROUTE, flags: 0, route: { ...c.route, key: k, oif: this.oifOf.get(k) ?? 0 } }, notify);
        slotRoutes = this.routes.get(slot);
      }
      if (!slotRoutes || slotRoutes.size === 0) {
        if (!slotRoutes) this.routes.set(slot, (slotRoutes = new Map()));
        this.countSlot(dst, +1, notify);
      }
      slotRoutes.set(key, dst);
    } else if (slotRoutes?.delete(key) && slotRoutes.size === 0) {
      this.routes.delete(slot);
      this.countSlot(dst, -1, notify);
    }
  }

  /** Keeps byOif (routes by output link) in step with a route added or removed. */
  private indexOif(r: MainRoute, added: boolean): void {
    if (added) {
      this.oifOf.set(r.key, r.oif);
      if (r.oif === 0) return;
      let slots = this.byOif.get(r.oif);
      if (!slots) this.byOif.set(r.oif, (slots = new Map()));
      let keys = slots.get(r.slot);
      if (!keys) slots.set(r.slot, (keys = new Map()));
      keys.set(r.key, r);
      return;
    }
    const oif = this.oifOf.get(r.key) ?? r.oif;
    this.oifOf.delete(r.key);
    const slots = this.byOif.get(oif);
    const keys = slots?.get(r.slot);
    if (!slots || !keys) return;
    keys.delete(r.key);
    if (keys.size === 0) slots.delete(r.slot);
    if (slots.size === 0) this.byOif.delete(oif);
  }

  private countSlot(dst: Prefix, delta: 1 | -1, notify: boolean): void {
    const text = dst.toString();
    const d = this.dsts.get(text);
    if (delta > 0) {
      if (d) d.slots++;
      else {
        this.dsts.set(text, { dst, slots: 1 });
        if (notify) this.handler.add(dst);
      }
    } else if (d && --d.slots === 0) {
      this.dsts.delete(text);
      if (notify) this.handler.remove(dst);
    }
  }
}
