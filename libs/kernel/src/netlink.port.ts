import type { IpAddr, MacAddr, Prefix } from '@app/common';

/**
 * A network namespace, named by a path that holds it open: `/run/netns/<name>` or
 * `/proc/<pid>/ns/net`. The daemon's own namespace is whatever path it is configured with
 * (tests run drivers inside a "host" namespace they created, never the machine's).
 */
export type NetnsRef = { readonly path: string };

export type LinkKind = 'bridge' | 'veth' | 'vxlan' | 'dummy';

/** What the kernel reports about a link. */
/** Receives the route destinations of a namespace from {@link Netlink.watchRouteDestinations}. */
export interface RouteWatchHandler {
  /** Every destination present (at the start, and after the watch had to read them all again). */
  reset(dsts: readonly Prefix[]): void;
  /** A destination that had no route now has one. */
  add(dst: Prefix): void;
  /** The last route to a destination is gone. */
  remove(dst: Prefix): void;
}

export interface RouteWatch {
  /** Hand the handler every change the kernel made before this call. */
  sync(): Promise<void>;
  close(): void;
}

export interface LinkInfo {
  readonly name: string;
  readonly index: number;
  /** IFLA_INFO_KIND, e.g. 'bridge', 'veth', 'vxlan'; undefined for physical/loopback devices. */
  readonly kind?: string;
  readonly mtu: number;
  readonly mac?: MacAddr;
  /** Administratively up (IFF_UP). */
  readonly up: boolean;
  /** Name of the master (bridge) device, when enslaved. */
  readonly master?: string;
  /** For a vxlan link, the settings a caller may need to check an existing device against (set at creation only). */
  readonly vxlan?: { readonly proxy: boolean };
}

/** Interface names are at most 15 bytes (IFNAMSIZ − 1). */
export const IFNAMSIZ_MAX = 15;

interface LinkCommon {
  readonly name: string;
  readonly mtu?: number;
  readonly mac?: MacAddr;
}

export type CreateLinkSpec =
  | (LinkCommon & { readonly kind: 'bridge' })
  | (LinkCommon & { readonly kind: 'dummy' })
  | (LinkCommon & {
      readonly kind: 'veth';
      /** The peer is created directly in `peer.ns` (default: the same namespace) under `peer.name`. */
      readonly peer: { readonly name: string; readonly ns?: NetnsRef; readonly mac?: MacAddr; readonly mtu?: number };
    })
  | (LinkCommon & {
      readonly kind: 'vxlan';
      readonly vni: number;
      /** Local VTEP address (IFLA_VXLAN_LOCAL). */
      readonly local?: IpAddr;
      /** UDP destination port; default 4789. */
      readonly port?: number;
      /** MAC learning; netd programs the FDB itself, so default false. */
      readonly learning?: boolean;
      /**
       * ARP suppression (IFLA_VXLAN_PROXY): the device answers ARP requests that reach it from its
       * own permanent neighbour entries instead of sending them to a VTEP. Default false. The
       * kernel refuses to change it on an existing device (EOPNOTSUPP): delete and create again.
       */
      readonly proxy?: boolean;
    });

export interface RouteSpec {
  /** Destination; `0.0.0.0/0` or `::/0` for a default route. */
  readonly dst: Prefix;
  readonly gateway?: IpAddr;
  /** Output device name. */
  readonly dev?: string;
  readonly metric?: number;
}

/** A bridge forwarding entry on a vxlan (or bridge port) device: MAC → remote VTEP. */
export interface FdbEntry {
  readonly dev: string;
  readonly mac: MacAddr;
  /** Remote VTEP; absent for a local bridge entry. */
  readonly dst?: IpAddr;
}

/** A permanent neighbour (ARP/NDP) entry. */
export interface NeighborEntry {
  readonly dev: string;
  readonly ip: IpAddr;
  readonly mac: MacAddr;
}

/**
 * rtnetlink verbs, strict: each fails with an exact error kind instead of converging. Drivers
 * build idempotent `ensure…` steps from `get…` + `create…`.
 *
 * Every verb takes the namespace to act in. Errors: ConflictError when the object exists
 * (EEXIST), NotFoundError when the device/address/route is missing (ENODEV, ESRCH, EADDRNOTAVAIL)
 * or the namespace path does not exist, InvalidParameterError for names over {@link IFNAMSIZ_MAX}
 * bytes or values the kernel rejects (EINVAL, ERANGE, EOPNOTSUPP, e.g. enslaving to a non-bridge),
 * and for requests that do not fit the namespace's state (ENETUNREACH: a gateway no connected
 * route reaches; ENETDOWN: an IPv4 device route on a down link), SystemError for anything else,
 * with the errno in the message.
 */
export abstract class Netlink {
  /** The link named `name` in `ns`, or undefined. Never throws NotFound. */
  abstract getLink(ns: NetnsRef, name: string): Promise<LinkInfo | undefined>;

  /** Every link in `ns`. */
  abstract listLinks(ns: NetnsRef): Promise<LinkInfo[]>;

  /**
   * Create a link (down). Conflict if a link of that name exists in `ns` (or, for a veth, if the
   * peer name exists in the peer's namespace). Nothing is left behind when it fails.
   */
  abstract createLink(ns: NetnsRef, spec: CreateLinkSpec): Promise<void>;

  /** Delete a link; a veth takes its peer with it. NotFound if missing. */
  abstract deleteLink(ns: NetnsRef, name: string): Promise<void>;

  /** Set IFF_UP. NotFound if missing. */
  abstract setLinkUp(ns: NetnsRef, name: string): Promise<void>;

  /** Clear IFF_UP. NotFound if missing. */
  abstract setLinkDown(ns: NetnsRef, name: string): Promise<void>;

  /** Enslave `name` to the bridge `master`; `master` undefined detaches it. */
  abstract setLinkMaster(ns: NetnsRef, name: string, master: string | undefined): Promise<void>;

  /** Set the MTU; InvalidParameter if the kernel refuses the value. */
  abstract setLinkMtu(ns: NetnsRef, name: string, mtu: number): Promise<void>;

  /** Set the hardware address. */
  abstract setLinkMac(ns: NetnsRef, name: string, mac: MacAddr): Promise<void>;

  /** Rename a (down) link. Conflict if `newName` exists. */
  abstract renameLink(ns: NetnsRef, name: string, newName: string): Promise<void>;

  /** Move a link to another namespace, optionally renaming it there. */
  abstract moveLink(ns: NetnsRef, name: string, to: NetnsRef, newName?: string): Promise<void>;

  /** Set hairpin mode on a bridge port (traffic may leave by the port it came in on). */
  abstract setBridgePortHairpin(ns: NetnsRef, name: string, on: boolean): Promise<void>;

  /** Add an address (`addr` carries the prefix length). Conflict if present. */
  abstract addAddress(ns: NetnsRef, link: string, addr: Prefix): Promise<void>;

  /** Remove an address. NotFound if absent. */
  abstract deleteAddress(ns: NetnsRef, link: string, addr: Prefix): Promise<void>;

  /** Addresses on a link (both families, permanent and dynamic, link-local included). */
  abstract listAddresses(ns: NetnsRef, link: string): Promise<Prefix[]>;

  /** Add a route to the main table. Conflict if present. */
  abstract addRoute(ns: NetnsRef, route: RouteSpec): Promise<void>;

  /** Delete a route from the main table. NotFound if absent. */
  abstract deleteRoute(ns: NetnsRef, route: RouteSpec): Promise<void>;

  /** Routes of the main table, both families (what `ip route` shows). */
  abstract listRoutes(ns: NetnsRef): Promise<RouteSpec[]>;

  /**
   * Destinations of the main table's unicast routes, both families, default routes included:
   * what listRoutes gives without gateways and devices. One route dump and nothing else, for
   * callers that ask on every network create (listRoutes also dumps every link, for the names).
   */
  abstract listRouteDestinations(ns: NetnsRef): Promise<Prefix[]>;

  /**
   * Follow the destinations of the main table's unicast routes in `ns` (both families, default
   * routes included): `handler.reset` gets them all first, then `add`/`remove` each destination
   * that gains its first route or loses its last. Changes reach the handler by `sync()` at the
   * latest. Costs O(changes), where listRouteDestinations costs O(routes) every time.
   */
  abstract watchRouteDestinations(ns: NetnsRef, handler: RouteWatchHandler): Promise<RouteWatch>;

  /**
   * Every address in `ns` by link index (pair with listLinks for names): one dump, where one
   * listAddresses per link would dump them all once per link.
   */
  abstract listAllAddresses(ns: NetnsRef): Promise<Map<number, Prefix[]>>;

  /**
   * Add a permanent FDB entry. An all-zero MAC with `dst` appends a flood entry (several may
   * exist); any other MAC is exclusive (Conflict if present).
   */
  abstract addFdbEntry(ns: NetnsRef, entry: FdbEntry): Promise<void>;

  /** Delete an FDB entry. NotFound if absent. */
  abstract deleteFdbEntry(ns: NetnsRef, entry: FdbEntry): Promise<void>;

  /** Permanent FDB entries on `dev` that netd could have added (those with a `dst`). */
  abstract listFdbEntries(ns: NetnsRef, dev: string): Promise<FdbEntry[]>;

  /** Add a permanent neighbour entry. Conflict if present. */
  abstract addNeighbor(ns: NetnsRef, entry: NeighborEntry): Promise<void>;

  /** Delete a neighbour entry. NotFound if absent. */
  abstract deleteNeighbor(ns: NetnsRef, entry: NeighborEntry): Promise<void>;

  /** Permanent neighbour entries on `dev` (the ones netd could have added). NotFound if `dev` is missing. */
  abstract listNeighbors(ns: NetnsRef, dev: string): Promise<NeighborEntry[]>;
}
