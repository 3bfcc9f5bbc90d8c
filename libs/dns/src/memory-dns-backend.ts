import { IpAddr, InvalidParameterError, NotFoundError, SHORT_ID_LENGTH } from '@app/common';
import { Asker, DnsBackend, ListenerScope, LookupResult, UpstreamPlan } from './dns-backend';

/** A network the DNS serves. */
export interface DnsNetwork {
  readonly id: string;
  /** The network's name: `container.<name>` resolves, and PTR answers end in it. */
  readonly name: string;
  /** Internal networks never forward (Docker, aardvark). */
  readonly internal?: boolean;
  /** False: answer no container names on this network, only forward (Docker's default bridge). */
  readonly names?: boolean;
}

/** A container's endpoint on one network, as the daemon knows it. */
export interface DnsEndpoint {
  readonly networkId: string;
  readonly endpointId: string;
  /** Groups endpoints into one asker; its first 12 characters resolve as the short id. */
  readonly containerId: string;
  /** Container name, without Docker's leading `/`. */
  readonly name: string;
  readonly hostname?: string;
  /** `--network-alias` values. */
  readonly aliases?: readonly string[];
  /** Link aliases on this network: alias → target container name, visible to this endpoint only. */
  readonly links?: Readonly<Record<string, string>>;
  readonly ipv4?: string;
  readonly ipv6?: string;
  /** The container's `--dns` servers (first in the forwarding order). */
  readonly upstreams?: readonly string[];
  /**
   * The container's `--add-host` entries (name → addresses, `host-gateway` already resolved),
   * visible to this container only and answered before any network name, as /etc/hosts
   * comes before DNS for a libc resolver.
   */
  readonly extraHosts?: Readonly<Record<string, readonly string[]>>;
}

/** A record learnt from another host (overlay). It resolves but never asks. */
export interface RemoteDnsRecord {
  readonly id: string;
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly ipv4?: string;
  readonly ipv6?: string;
}

export interface MemoryDnsBackendOptions {
  /**
   * Answer TTL in seconds. Default 10: records change the moment a container stops or is
   * renamed, and Docker's 600 s keeps a dead address in clients' caches for ten minutes;
   * aardvark's 0 defeats every cache (glibc does not cache, but nscd, musl-based apps and JVMs
   * do). 10 s bounds staleness to one retry interval while still absorbing query bursts.
   */
  readonly ttl?: number;
  /** Called after every change (the daemon mirrors the records into a resolver process). */
  readonly onChange?: () => void;
}

/**
 * Everything a backend answers from, as plain data: `snapshot()` gives it, `load()` takes it.
 * A resolver in another process is kept in step by whole snapshots (idempotent, so adopting a
 * running resolver after a daemon restart is the same step as any update).
 */
export interface DnsRecords {
  readonly ttl: number;
  readonly networks: readonly DnsNetwork[];
  readonly endpoints: readonly DnsEndpoint[];
  readonly remotes: readonly { readonly networkId: string; readonly record: RemoteDnsRecord }[];
  readonly upstreams: { readonly daemon: readonly string[]; readonly host: readonly string[] };
  readonly hostGateway: readonly string[];
}

const MAX_UPSTREAMS = 3;

interface Entry {
  readonly ep: DnsEndpoint | RemoteDnsRecord;
  readonly names: readonly string[];
}

interface NetState {
  readonly net: DnsNetwork;
  /** endpointId → endpoint (local) */
  readonly local: Map<string, DnsEndpoint>;
  readonly remote: Map<string, RemoteDnsRecord>;
  /** Built lazily after a change: lower-case name → matching entries. */
  index?: Map<string, Entry[]>;
  reverse?: Map<string, string>;
  bySource?: Map<string, DnsEndpoint>;
}

/**
 * The names netd serves, per network: pure, synchronous, in memory (the daemon replays its
 * SQLite state into it at start). Every mutation validates first and changes nothing on error.
 */
export class MemoryDnsBackend extends DnsBackend {
  private answerTtl: number;
  private gen = 0;
  private readonly nets = new Map<string, NetState>();
  /** containerId → networkIds in connect order (a Map keeps insertion order). */
  private readonly sandboxes = new Map<string, Map<string, DnsEndpoint>>();
  private daemonUpstreams: readonly string[] = [];
  private hostUpstreams: readonly string[] = [];
  private hostGateway: readonly string[] = [];
  /** `${networkId} ${endpointId}` → link alias → target name (lower case). */
  private readonly links = new Map<string, Map<string, string>>();
  /** `${networkId} ${endpointId}` → the container's `--add-host` name (lower case) → addresses. */
  private readonly hosts = new Map<string, Map<string, readonly string[]>>();

  private readonly onChange?: () => void;

  constructor(opts: MemoryDnsBackendOptions = {}) {
    super();
    this.onChange = opts.onChange;
    this.answerTtl = checkTtl(opts.ttl ?? 10);
  }

  get ttl(): number {
    return this.answerTtl;
  }

  get generation(): number {
    return this.gen;
  }

  upsertNetwork(net: DnsNetwork): void {
    if (!net.id || !isName(net.name)) throw new InvalidParameterError(`invalid network name for DNS: ${net.name}`);
    const old = this.nets.get(net.id);
    this.nets.set(net.id, { net, local: old?.local ?? new Map(), remote: old?.remote ?? new Map() });
    this.changed();
  }

  hasNetwork(networkId: string): boolean {
    return this.nets.has(networkId);
  }

  /** Forget a network and every endpoint and remote record on it. */
  removeNetwork(networkId: string): void {
    const st = this.net(networkId);
    for (const ep of st.local.values()) {
      this.sandboxes.get(ep.containerId)?.delete(networkId);
      this.dropEmptySandbox(ep.containerId);
      this.forgetPerEndpoint(networkId, ep.endpointId);
    }
    this.nets.delete(networkId);
    this.changed();
  }

  /** Add or replace the endpoint (connect, start, alias change). */
  upsertEndpoint(ep: DnsEndpoint): void {
    const st = this.net(ep.networkId);
    const links = new Map(Object.entries(ep.links ?? {}).map(([a, t]) => [a.toLowerCase(), t.toLowerCase()]));
    const clean = { ...ep, ...canonicalAddrs(ep), upstreams: ep.upstreams?.map(checkUpstream) };
    const hosts = extraHostsOf(ep.extraHosts);
    checkNames(ep.name, ep.hostname, ep.aliases, [...links.keys(), ...links.values()]);
    if (!ep.endpointId || !ep.containerId) throw new InvalidParameterError('endpoint and container ids are required');
    this.links.set(linkKey(ep.networkId, ep.endpointId), links);
    if (hosts.size > 0) this.hosts.set(linkKey(ep.networkId, ep.endpointId), hosts);
    else this.hosts.delete(linkKey(ep.networkId, ep.endpointId));
    st.local.set(ep.endpointId, clean);
    let sb = this.sandboxes.get(ep.containerId);
    if (!sb) this.sandboxes.set(ep.containerId, (sb = new Map()));
    sb.set(ep.networkId, clean);
    this.changed(st);
  }

  /** Disconnect / stop: the endpoint's names stop resolving at once. */
  removeEndpoint(networkId: string, endpointId: string): void {
    const st = this.net(networkId);
    const ep = st.local.get(endpointId);
    if (!ep) throw new NotFoundError(`endpoint ${endpointId} not found in DNS network ${networkId}`);
    st.local.delete(endpointId);
    this.forgetPerEndpoint(networkId, endpointId);
    this.sandboxes.get(ep.containerId)?.delete(networkId);
    this.dropEmptySandbox(ep.containerId);
    this.changed(st);
  }

  /** Remove every endpoint of a container (stop). No-op for an unknown container. */
  removeContainer(containerId: string): void {
    const sb = this.sandboxes.get(containerId);
    if (!sb) return;
    for (const [networkId, ep] of sb) {
      this.nets.get(networkId)?.local.delete(ep.endpointId);
      this.forgetPerEndpoint(networkId, ep.endpointId);
    }
    this.sandboxes.delete(containerId);
    this.changed();
  }

  renameContainer(containerId: string, name: string): void {
    checkNames(name);
    const sb = this.sandboxes.get(containerId);
    if (!sb) throw new NotFoundError(`container ${containerId} not found in DNS`);
    for (const [networkId, ep] of sb) {
      const renamed = { ...ep, name };
      sb.set(networkId, renamed);
      this.net(networkId).local.set(ep.endpointId, renamed);
    }
    this.changed();
  }

  /** A record learnt from another host on `networkId` (add or replace by id). */
  upsertRemote(networkId: string, rec: RemoteDnsRecord): void {
    const st = this.net(networkId);
    checkNames(rec.name, undefined, rec.aliases);
    if (!rec.id) throw new InvalidParameterError('remote record id is required');
    st.remote.set(rec.id, { ...rec, ...canonicalAddrs(rec) });
    this.changed(st);
  }

  removeRemote(networkId: string, id: string): void {
    const st = this.net(networkId);
    if (!st.remote.delete(id)) throw new NotFoundError(`remote record ${id} not found in DNS network ${networkId}`);
    this.changed(st);
  }

  /** Daemon `dns` servers, then the host's resolv.conf servers (loopback ones included). */
  setUpstreams(u: { daemon?: readonly string[]; host?: readonly string[] }): void {
    const daemon = u.daemon?.map(checkUpstream);
    const host = u.host?.map(checkUpstream);
    if (daemon) this.daemonUpstreams = daemon;
    if (host) this.hostUpstreams = host;
    this.changed();
  }

  /** Change the TTL put on answers (a daemon reload); a bad value changes nothing. */
  setTtl(ttl: number): void {
    this.answerTtl = checkTtl(ttl);
    this.changed();
  }

  /** Addresses `host.docker.internal` resolves to (the daemon's `host-gateway-ip`); [] = off. */
  setHostGateway(addresses: readonly string[]): void {
    this.hostGateway = addresses.map((a) => IpAddr.parse(a).toString());
    this.changed();
  }

  snapshot(): DnsRecords {
    const networks: DnsNetwork[] = [];
    const endpoints: DnsEndpoint[] = [];
    const remotes: { networkId: string; record: RemoteDnsRecord }[] = [];
    for (const st of this.nets.values()) {
      networks.push(st.net);
      endpoints.push(...st.local.values());
      for (const record of st.remote.values()) remotes.push({ networkId: st.net.id, record });
    }
    // Endpoints in each sandbox's connect order: the asker's first network wins a name on two.
    const order = new Map<DnsEndpoint, number>();
    let i = 0;
    for (const sb of this.sandboxes.values()) for (const ep of sb.values()) order.set(ep, i++);
    endpoints.sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
    return {
      ttl: this.ttl,
      networks,
      endpoints,
      remotes,
      upstreams: { daemon: this.daemonUpstreams, host: this.hostUpstreams },
      hostGateway: this.hostGateway,
    };
  }

  /**
   * Replace everything with `records`, TTL included. Entries that do not
   * validate are skipped and returned as messages: a snapshot comes from another backend that
   * validated them already, so a skip means a version mismatch, never a reason to serve nothing.
   */
  load(records: DnsRecords): string[] {
    const skipped: string[] = [];
    const quiet = <T>(what: string, fn: () => T): void => {
      try {
        fn();
      } catch (e) {
        skipped.push(`${what}: ${(e as Error).message}`);
      }
    };
    this.nets.clear();
    this.sandboxes.clear();
    this.links.clear();
    this.hosts.clear();
    this.daemonUpstreams = this.hostUpstreams = this.hostGateway = [];
    quiet('ttl', () => (this.answerTtl = checkTtl(records.ttl)));
    for (const n of records.networks ?? []) quiet(`network ${n?.id}`, () => this.upsertNetwork(n));
    for (const ep of records.endpoints ?? []) quiet(`endpoint ${ep?.endpointId}`, () => this.upsertEndpoint(ep));
    for (const r of records.remotes ?? []) quiet(`remote ${r?.record?.id}`, () => this.upsertRemote(r.networkId, r.record));
    quiet('upstreams', () => this.setUpstreams(records.upstreams ?? {}));
    quiet('host gateway', () => this.setHostGateway(records.hostGateway ?? []));
    this.changed();
    return skipped;
  }

  asker(scope: ListenerScope, source: string): Asker | undefined {
    if ('sandbox' in scope) return this.sandboxes.has(scope.sandbox) ? askerOf(scope.sandbox) : undefined;
    const st = this.nets.get(scope.network);
    if (!st) return undefined;
    const bySource = st.bySource ?? this.build(st).bySource!;
    const ep = bySource.get(source) ?? bySource.get(canonicalSource(source));
    return ep ? askerOf(ep.containerId) : undefined;
  }

  lookup(asker: Asker, name: string, family: 4 | 6): LookupResult {
    const sb = this.sandboxes.get(asker.sandbox);
    if (!sb) return UNKNOWN;
    for (const [networkId, self] of sb) {
      const own = this.hosts.get(linkKey(networkId, self.endpointId))?.get(name);
      if (own) return { kind: 'found', addresses: own.filter((a) => a.includes(':') === (family === 6)) };
    }
    let found = false;
    for (const [networkId, self] of sb) {
      const st = this.nets.get(networkId);
      if (!st || st.net.names === false) continue;
      const index = st.index ?? this.build(st).index!;
      const entries = index.get(this.links.get(linkKey(networkId, self.endpointId))?.get(name) ?? name);
      if (!entries) continue;
      found = true;
      const addrs: string[] = [];
      for (const e of entries) {
        const a = family === 4 ? e.ep.ipv4 : e.ep.ipv6;
        if (a) addrs.push(a);
      }
      if (addrs.length > 0) return { kind: 'found', addresses: addrs };
    }
    if (name === 'host.docker.internal' && this.hostGateway.length > 0) {
      return { kind: 'found', addresses: this.hostGateway.filter((a) => a.includes(':') === (family === 6)) };
    }
    return found ? NO_DATA : UNKNOWN;
  }

  reverse(asker: Asker, address: string): string | undefined {
    const sb = this.sandboxes.get(asker.sandbox);
    if (!sb) return undefined;
    for (const networkId of sb.keys()) {
      const st = this.nets.get(networkId);
      if (!st || st.net.names === false) continue;
      const ptr = (st.reverse ?? this.build(st).reverse!).get(address);
      if (ptr) return ptr;
    }
    return undefined;
  }

  upstreams(asker: Asker): UpstreamPlan {
    const sb = this.sandboxes.get(asker.sandbox);
    if (!sb) return NONE;
    let external = false;
    let own: readonly string[] | undefined;
    for (const [networkId, ep] of sb) {
      if (this.nets.get(networkId)?.net.internal !== true) external = true;
      if (ep.upstreams && ep.upstreams.length > 0) own ??= ep.upstreams;
    }
    if (!external) return NONE;
    const servers = own ?? (this.daemonUpstreams.length > 0 ? this.daemonUpstreams : this.hostUpstreams);
    return servers.length > 0 ? { kind: 'forward', servers: servers.slice(0, MAX_UPSTREAMS) } : NONE;
  }

  private net(id: string): NetState {
    const st = this.nets.get(id);
    if (!st) throw new NotFoundError(`network ${id} not found in DNS`);
    return st;
  }

  private forgetPerEndpoint(networkId: string, endpointId: string): void {
    this.links.delete(linkKey(networkId, endpointId));
    this.hosts.delete(linkKey(networkId, endpointId));
  }

  private dropEmptySandbox(containerId: string): void {
    if (this.sandboxes.get(containerId)?.size === 0) this.sandboxes.delete(containerId);
  }

  private changed(st?: NetState): void {
    this.gen++;
    const targets = st ? [st] : this.nets.values();
    for (const s of targets) s.index = s.reverse = s.bySource = undefined;
    this.onChange?.();
  }

  private build(st: NetState): NetState {
    const index = new Map<string, Entry[]>();
    const reverse = new Map<string, string>();
    const bySource = new Map<string, DnsEndpoint>();
    const suffix = `.${st.net.name.toLowerCase()}`;
    const add = (ep: DnsEndpoint | RemoteDnsRecord, names: string[]): void => {
      const uniq = [...new Set(names.map((n) => n.toLowerCase()))];
      const entry = { ep, names: uniq };
      for (const n of uniq) {
        for (const key of [n, n + suffix]) {
          const list = index.get(key);
          if (!list) index.set(key, [entry]);
          else if (!list.includes(entry)) list.push(entry);
        }
      }
      const ptr = `${ep.name}${suffix}`;
      if (ep.ipv4 && !reverse.has(ep.ipv4)) reverse.set(ep.ipv4, ptr);
      if (ep.ipv6 && !reverse.has(ep.ipv6)) reverse.set(ep.ipv6, ptr);
    };
    for (const ep of st.local.values()) {
      const names = [ep.name, ...(ep.aliases ?? [])];
      if (ep.hostname) names.push(ep.hostname);
      if (ep.containerId.length >= SHORT_ID_LENGTH) names.push(ep.containerId.slice(0, SHORT_ID_LENGTH));
      add(ep, names);
      if (ep.ipv4) bySource.set(ep.ipv4, ep);
      if (ep.ipv6) bySource.set(ep.ipv6, ep);
    }
    for (const rec of st.remote.values()) add(rec, [rec.name, ...(rec.aliases ?? [])]);
    st.index = index;
    st.reverse = reverse;
    st.bySource = bySource;
    return st;
  }
}

function checkTtl(ttl: number): number {
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 0x7fffffff) throw new InvalidParameterError(`invalid DNS TTL: ${ttl}`);
  return ttl;
}

const linkKey = (networkId: string, endpointId: string): string => `${networkId} ${endpointId}`;
const UNKNOWN: LookupResult = { kind: 'unknown' };
const NO_DATA: LookupResult = { kind: 'found', addresses: [] };
const NONE: UpstreamPlan = { kind: 'none' };
const askers = new Map<string, Asker>();

function askerOf(sandbox: string): Asker {
  let a = askers.get(sandbox);
  if (!a) {
    if (askers.size > 65536) askers.clear();
    askers.set(sandbox, (a = { sandbox, key: `${sandbox}\u0000` }));
  }
  return a;
}

/** DNS names we accept for containers and aliases (RFC 1123 labels, plus `_`, as Docker allows). */
const NAME_RE = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*$/;

/** Whether the backend serves `n` as a name (Docker accepts aliases such as `-x` that are not). */
export function isDnsName(n: unknown): n is string {
  return isName(n);
}

function isName(n: unknown): n is string {
  return typeof n === 'string' && NAME_RE.test(n);
}

function checkNames(name: string, hostname?: string, aliases?: readonly string[], more: readonly string[] = []): void {
  for (const n of [name, ...(hostname !== undefined ? [hostname] : []), ...(aliases ?? []), ...more]) {
    if (!isName(n)) throw new InvalidParameterError(`invalid DNS name: ${JSON.stringify(n)}`);
  }
}

function extraHostsOf(raw: DnsEndpoint['extraHosts']): Map<string, readonly string[]> {
  const out = new Map<string, string[]>();
  for (const [name, addrs] of Object.entries(raw ?? {})) {
    checkNames(name);
    const list = out.get(name.toLowerCase()) ?? [];
    for (const a of addrs) {
      const ip = IpAddr.tryParse(a);
      if (!ip) throw new InvalidParameterError(`invalid address for ${name}: ${JSON.stringify(a)}`);
      if (!list.includes(ip.toString())) list.push(ip.toString());
    }
    out.set(name.toLowerCase(), list);
  }
  return out;
}

function canonicalAddrs(r: { ipv4?: string; ipv6?: string }): { ipv4?: string; ipv6?: string } {
  const v4 = r.ipv4 !== undefined ? IpAddr.parse(r.ipv4) : undefined;
  const v6 = r.ipv6 !== undefined ? IpAddr.parse(r.ipv6) : undefined;
  if (v4 && v4.family !== 4) throw new InvalidParameterError(`not an IPv4 address: ${r.ipv4}`);
  if (v6 && v6.family !== 6) throw new InvalidParameterError(`not an IPv6 address: ${r.ipv6}`);
  return { ipv4: v4?.toString(), ipv6: v6?.toString() };
}

function canonicalSource(source: string): string {
  const s = source.startsWith('::ffff:') && source.includes('.') ? source.slice(7) : source;
  return IpAddr.tryParse(s)?.toString() ?? s;
}

/** An upstream is `addr`, `addr:port` (IPv4) or `[addr]:port` (IPv6). */
export function parseUpstream(text: string): { address: string; port: number; family: 4 | 6 } {
  const m = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([0-9.]+):(\d{1,5})$/.exec(text);
  const ip = IpAddr.tryParse(m ? m[1] : text);
  const port = m ? Number(m[2]) : 53;
  if (!ip || port < 1 || port > 65535) throw new InvalidParameterError(`invalid DNS server: ${text}`);
  return { address: ip.toString(), port, family: ip.family };
}

function checkUpstream(text: string): string {
  parseUpstream(text);
  return text;
}
