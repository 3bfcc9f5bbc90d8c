import { IpAddr, MacAddr, NotFoundError, Prefix } from '@app/common';
import { errnoError } from '../errno';
import type { FdbEntry, NetnsRef } from '../netlink.port';
export { checkIfName, checkMtu, checkUnicastMac, isZeroMac } from '../link-checks';

/** One link as FakeNetlink keeps it. */
export interface FakeLinkState {
  ns: FakeNamespace;
  name: string;
  index: number;
  kind?: string;
  mtu: number;
  /** The MTU was set explicitly (a bridge then stops following its ports' minimum). */
  mtuSet: boolean;
  mac: MacAddr;
  up: boolean;
  master?: FakeLinkState;
  peer?: FakeLinkState;
  hairpin: boolean;
  vxlan?: { vni: number; port: number; learning: boolean; proxy: boolean; local?: IpAddr };
  addresses: Prefix[];
  fdb: FdbEntry[];
}

export interface StoredRoute {
  dst: Prefix;
  gateway?: IpAddr;
  dev: FakeLinkState;
  /** Kernel metric: 0 for IPv4 unless given, 1024 for IPv6 unless given (256 for prefix routes). */
  metric: number;
  /** A prefix route the kernel made for an address (proto kernel). */
  connected: boolean;
}

export interface FakeNamespace {
  path: string;
  links: FakeLinkState[];
  routes: StoredRoute[];
  neighbors: Array<{ dev: FakeLinkState; ip: IpAddr; mac: MacAddr }>;
}

export const LOOPBACK_V4 = Prefix.parse('127.0.0.1/8');
export const LOOPBACK_V6 = Prefix.parse('::1/128');
/** The namespaces and the global ifindex counter; the lookups every verb starts with. */
export class FakeWorld {
  readonly namespaces = new Map<string, FakeNamespace>();
  private nextIndex = 2;

  addNamespace(path: string): FakeNamespace {
    let ns = this.namespaces.get(path);
    if (!ns) {
      ns = { path, links: [], routes: [], neighbors: [] };
      ns.links.push(this.newLink(ns, 'lo', { index: 1, mtu: 65536, mac: MacAddr.fromBytes([0, 0, 0, 0, 0, 0]) }));
      this.namespaces.set(path, ns);
    }
    return ns;
  }

  ns(ref: NetnsRef | string): FakeNamespace {
    const path = typeof ref === 'string' ? ref : ref.path;
    const ns = this.namespaces.get(path);
    if (!ns) throw new NotFoundError(`network namespace ${path}: ENOENT (No such file or directory)`);
    return ns;
  }

  find(ns: FakeNamespace, name: string): FakeLinkState | undefined {
    return ns.links.find((l) => l.name === name);
  }

  link(ns: FakeNamespace, name: string, context: string): FakeLinkState {
    const l = this.find(ns, name);
    if (!l) throw errnoError('ENODEV', `${context} ${name}`);
    return l;
  }

  newLink(
    ns: FakeNamespace,
    name: string,
    o: { index?: number; kind?: string; mtu: number; mac?: MacAddr },
  ): FakeLinkState {
    return {
      ns,
      name,
      index: o.index ?? this.nextIndex++,
      kind: o.kind,
      mtu: o.mtu,
      mtuSet: false,
      mac: o.mac ?? this.randomMac(),
      up: false,
      hairpin: false,
      addresses: [],
      fdb: [],
    };
  }

  private randomMac(): MacAddr {
    return MacAddr.random((n) => Uint8Array.from({ length: n }, () => Math.floor(Math.random() * 256)));
  }
}
