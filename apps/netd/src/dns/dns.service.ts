import { readFileSync } from 'node:fs';
import { SystemError } from '@app/common';
import { DnsListener, DnsServer, type DnsStatsSnapshot, Forwarder, isDnsName, MemoryDnsBackend, NetnsEnter, parseResolvConf, RemoteDnsRecord, resolvConf, ResolvConf } from '@app/dns';
import type { NetnsRef } from '@app/kernel';
import type { Logger } from 'pino';
import type { NetdConfig } from '../config/netd-config';
import type { EventMessage, EventsService } from '../events/events.service';
import type { SandboxesService } from '../sandboxes/sandboxes.service';
import type { StateStore } from '../store/state-store';
import type { ContainerDnsView } from './container-dns';
import { dnsEndpoint, dnsNetwork, EndpointExtras, linkersOf } from './dns-records';
import { ResolverMirror } from './resolver-client';
import type { ResolverConnection, ResolverState } from './resolver-protocol';
import { SANDBOX_DNS_ADDRESS, SandboxBinder } from './sandbox-binder';
import type { SandboxDns, SandboxDnsOptions } from './sandbox-dns';

export interface DnsServiceDeps {
  config: NetdConfig;
  store: StateStore;
  events: EventsService;
  sandboxes: SandboxesService;
  log: Logger;
  /** Opens a sandbox's listeners in netd (inline); undefined = records only, or a resolver process. */
  bind?: SandboxBinder;
  /**
   * Serve from a resolver process instead (resolver-process.ts): `connect` adopts or starts it,
   * `prepare` readies a sandbox's namespace for it (lo up).
   */
  resolver?: { connect: () => Promise<ResolverConnection>; prepare: (ns: NetnsRef) => Promise<void> };
  /** Inline DNS on the real kernel: stop a resolver process left by an earlier netd, before binding. */
  stopResolver?: () => Promise<void>;
  /** Enters the namespace netd programs, when that is not the process's own (--host-netns). */
  enterHostNs?: NetnsEnter;
  /** The host's resolv.conf text; default: read /etc/resolv.conf (missing → empty). */
  readHostResolvConf?: () => string;
  forwarderTimeoutMs?: number;
  /**
   * The DNS view of the container whose sandbox has this id (hostname, --dns…, --add-host), read
   * from its record; undefined for sandboxes that are no container.
   */
  container?: (sandboxId: string) => ContainerDnsView | undefined;
}

interface Served {
  readonly ns: NetnsRef;
  readonly listeners: Promise<DnsListener[]>;
}

/** Events that can change a sandbox's names; the container core's actions are read as they appear. */
const SANDBOX_ACTIONS = new Set(['connect', 'disconnect', 'start', 'die', 'stop', 'destroy', 'rename', 'kill']);

/**
 * The daemon's embedded DNS: one DnsServer, backend and forwarder; 127.0.0.11:53 (UDP and TCP)
 * inside every sandbox with endpoints. The backend mirrors the state store: loaded at start,
 * then each event re-reads the records it touches (a network, or one sandbox's endpoints), so
 * answers change the moment the store does.
 */
export class DnsService implements SandboxDns {
  readonly backend: MemoryDnsBackend;
  readonly server: DnsServer;
  private readonly served = new Map<string, Served>();
  /** Resolver process mode: the sandboxes it is told to serve, and their namespaces. */
  private readonly delegated = new Map<string, NetnsRef>();
  private readonly mirror?: ResolverMirror;
  private starting?: Promise<void>;
  /** The container's own options from sandboxUp, kept until sandboxDown. */
  private readonly options = new Map<string, SandboxDnsOptions>();
  private unsubscribe?: () => void;
  private closed = false;

  private readonly bind?: SandboxBinder;
  private readonly config: NetdConfig;
  private readonly containerView?: (sandboxId: string) => ContainerDnsView | undefined;
  private readonly events: EventsService;
  private readonly log: Logger;
  private readonly readHostResolvConf?: () => string;
  private readonly resolver?: { connect: () => Promise<ResolverConnection>; prepare: (ns: NetnsRef) => Promise<void> };
  private readonly sandboxes: SandboxesService;
  private readonly stopResolver?: () => Promise<void>;
  private readonly store: StateStore;

  constructor(deps: DnsServiceDeps) {
    this.bind = deps.bind;
    this.config = deps.config;
    this.containerView = deps.container;
    this.events = deps.events;
    this.log = deps.log;
    this.readHostResolvConf = deps.readHostResolvConf;
    this.resolver = deps.resolver;
    this.sandboxes = deps.sandboxes;
    this.stopResolver = deps.stopResolver;
    this.store = deps.store;
    this.backend = new MemoryDnsBackend({ ttl: deps.config.dnsTtl, onChange: () => this.mirror?.changed() });
    if (deps.resolver) {
      this.mirror = new ResolverMirror(deps.resolver.connect, () => this.resolverState(), (level, msg, extra) => deps.log[level](extra ?? {}, msg));
    }
    const forwarder = new Forwarder({ timeoutMs: deps.forwarderTimeoutMs, enter: deps.enterHostNs });
    this.server = new DnsServer(this.backend, { forwarder, onError: (err) => deps.log.warn({ err }, 'dns') });
  }

  /**
   * After reconciliation: load the store, follow events, serve every sandbox with endpoints.
   * Once only; a resolver process hears of nothing before all of it is loaded.
   */
  start(): Promise<void> {
    return (this.starting ??= this.load());
  }

  private async load(): Promise<void> {
    if (!this.mirror) await this.stopResolver?.();
    this.backend.setUpstreams({ daemon: this.config.dns.map(String), host: this.host().nameservers });
    for (const n of this.store.listNetworks()) this.refreshNetwork(n.id);
    this.unsubscribe = this.events.subscribe(undefined, (e) => this.onEvent(e)).unsubscribe;
    const withEndpoints = new Set(this.store.listEndpoints().filter((ep) => ep.state === 'active').map((ep) => ep.sandboxId));
    await Promise.all([...withEndpoints].map((id) => this.autoUp(id)));
    if (this.mirror) {
      const failed = await this.mirror.start().catch((err) => {
        this.log.error({ err }, 'dns: the resolver process cannot be reached; containers resolve no names until it is');
        return {};
      });
      for (const [sandbox, why] of Object.entries(failed)) this.notServed(sandbox, why);
    }
  }

  /** A reload: the daemon's upstream servers and the answer TTL (the resolver process follows). */
  reconfigure(upstreams: readonly string[], ttl: number): void {
    this.backend.setTtl(ttl);
    this.backend.setUpstreams({ daemon: upstreams });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    // The resolver process keeps serving: containers resolve names while netd restarts.
    this.mirror?.close();
    await Promise.all([...this.served.keys()].map((id) => this.sandboxDown(id)));
    await this.server.close();
  }

  /**
   * Query counters of whoever serves 127.0.0.11: the resolver process (over its control
   * socket) or this process's own server. Undefined when the resolver process cannot say.
   */
  stats(): Promise<DnsStatsSnapshot | undefined> {
    return this.mirror ? this.mirror.stats() : Promise.resolve(this.server.resolver.stats.snapshot());
  }

  /** Nest lifecycle: the app is created after reconciliation and closed at shutdown. */
  onApplicationBootstrap(): Promise<void> {
    return this.start();
  }

  onApplicationShutdown(): Promise<void> {
    return this.close();
  }

  async sandboxUp(sandboxId: string, ns: NetnsRef, opts: SandboxDnsOptions): Promise<void> {
    // a container core that starts containers before the app: records first, then sockets
    if (this.mirror) await this.start();
    return this.up(sandboxId, ns, opts);
  }

  private async up(sandboxId: string, ns: NetnsRef, opts: SandboxDnsOptions): Promise<void> {
    this.options.set(sandboxId, opts);
    this.refreshSandbox(sandboxId);
    if (this.resolver) return this.upInResolver(sandboxId, ns);
    const bind = this.bind;
    if (!bind || this.closed) return;
    const current = this.served.get(sandboxId);
    if (current && current.ns.path === ns.path) {
      await current.listeners;
      return;
    }
    if (current) await this.sandboxDown(sandboxId, false);
    const listeners = bind(this.server, { sandbox: sandboxId }, ns);
    const entry = { ns, listeners };
    this.served.set(sandboxId, entry);
    try {
      await listeners;
    } catch (e) {
      if (this.served.get(sandboxId) === entry) this.served.delete(sandboxId);
      throw e;
    }
  }

  /** Tell the resolver process to serve the sandbox; resolves once it does (or says why not). */
  private async upInResolver(sandboxId: string, ns: NetnsRef): Promise<void> {
    if (this.closed) return;
    await this.resolver!.prepare(ns);
    this.delegated.set(sandboxId, ns);
    // before the first sync (start is loading), start sends every sandbox at once
    if (!this.mirror?.isStarted) return;
    const failed = await this.mirror.flush();
    if (failed[sandboxId] !== undefined) {
      this.notServed(sandboxId, failed[sandboxId]);
      throw new SystemError(`DNS for sandbox ${sandboxId}: ${failed[sandboxId]}`);
    }
  }

  private notServed(sandboxId: string, why: string): void {
    this.log.warn({ sandbox: sandboxId, why }, 'dns: the resolver cannot serve 127.0.0.11 in the sandbox');
    this.delegated.delete(sandboxId);
    this.mirror?.changed();
  }

  private resolverState(): ResolverState {
    return { records: this.backend.snapshot(), sandboxes: [...this.delegated].map(([id, ns]) => ({ id, ns: ns.path })) };
  }

  sandboxDown(sandboxId: string, forget = true): Promise<void> {
    if (forget) this.options.delete(sandboxId);
    if (this.delegated.delete(sandboxId)) {
      if (this.closed || !this.mirror) return Promise.resolve();
      return this.mirror.flush().then(
        () => undefined,
        (err) => this.log.warn({ err, sandbox: sandboxId }, 'dns: telling the resolver to stop serving failed'),
      );
    }
    const entry = this.served.get(sandboxId);
    if (!entry) return Promise.resolve();
    this.served.delete(sandboxId);
    return entry.listeners.then(
      (ls) => Promise.all(ls.map((l) => l.close())).then(() => undefined),
      () => undefined,
    );
  }

  resolvConf(opts: SandboxDnsOptions): string {
    return resolvConf({
      nameservers: [SANDBOX_DNS_ADDRESS],
      search: opts.dnsSearch && opts.dnsSearch.length > 0 ? opts.dnsSearch : this.host().search,
      options: opts.dnsOptions,
    });
  }

  /**
   * A record learnt from another host (the overlay's cluster service): it resolves for every
   * container on `networkId`, by name, aliases, `name.network` and PTR, until removeRemote or
   * the network's removal. InvalidParameter for a bad name or address, NotFound when the network
   * is not one the DNS serves; nothing changes on error.
   */
  upsertRemote(networkId: string, record: RemoteDnsRecord): void {
    if (!this.backend.hasNetwork(networkId)) this.refreshNetwork(networkId, false);
    this.backend.upsertRemote(networkId, record);
  }

  /** Forget a remote record (the other host withdrew it). NotFound when it is not known. */
  removeRemote(networkId: string, id: string): void {
    this.backend.removeRemote(networkId, id);
  }

  /** Whether 127.0.0.11 is being served in the sandbox (for tests and inspection). */
  isServing(sandboxId: string): boolean {
    return this.served.has(sandboxId) || this.delegated.has(sandboxId);
  }

  private onEvent(e: EventMessage): void {
    const type = e.Type;
    const action = e.Action;
    try {
      if (type === 'network' && (action === 'create' || action === 'destroy')) this.refreshNetwork(e.Actor.ID);
      const sandbox = type === 'network' ? e.Actor.Attributes.container : type === 'container' ? e.Actor.ID : undefined;
      if (!sandbox || !SANDBOX_ACTIONS.has(action)) return;
      if (type === 'network') this.refreshNetwork(e.Actor.ID, false);
      this.refreshSandbox(sandbox);
      if (action === 'rename') for (const linker of linkersOf(this.store, sandbox)) this.refreshSandbox(linker);
      const live = this.store.endpointsIn(sandbox).some((ep) => ep.state === 'active');
      // Daemon sandboxes have no container core to call sandboxUp: serve them from their first
      // endpoint (idempotent when the container core does call it) until their last is gone.
      if (live && !this.isServing(sandbox)) void this.autoUp(sandbox);
      else if (!live && this.isServing(sandbox)) void this.sandboxDown(sandbox, false);
    } catch (err) {
      this.log.error({ err, event: e }, 'dns: applying an event failed');
    }
  }

  /** Re-read one network (and, when `endpoints`, all its endpoints) from the store. */
  private refreshNetwork(networkId: string, endpoints = true): void {
    const rec = this.store.getNetwork(networkId);
    const net = rec && dnsNetwork(rec, this.config.embeddedDnsDefaultBridge);
    const known = this.backend.hasNetwork(networkId);
    if (!net) {
      if (known) this.backend.removeNetwork(networkId);
      return;
    }
    if (known && !endpoints) return;
    if (isDnsName(net.name)) this.backend.upsertNetwork(net);
    else {
      // A Docker network name need not be a DNS name ("my net", "a-"): `name.network` then uses
      // its short id (a full id is longer than a DNS label may be).
      this.log.warn({ network: net.name }, 'dns: network name is no DNS name; using its short id');
      this.backend.upsertNetwork({ ...net, name: net.id.slice(0, 12) });
    }
    if (!endpoints) return;
    for (const ep of this.store.endpointsOf(networkId)) this.upsertEndpoint(ep.sandboxId, ep);
  }

  /** Replace one sandbox's endpoints in the backend with what the store says now. */
  private refreshSandbox(sandboxId: string): void {
    this.backend.removeContainer(sandboxId);
    for (const ep of this.store.endpointsIn(sandboxId)) {
      if (!this.backend.hasNetwork(ep.networkId)) this.refreshNetwork(ep.networkId, false);
      this.upsertEndpoint(sandboxId, ep);
    }
  }

  private upsertEndpoint(sandboxId: string, ep: Parameters<typeof dnsEndpoint>[1]): void {
    if (!this.backend.hasNetwork(ep.networkId)) return;
    const rec = dnsEndpoint(this.store, ep, this.extras(sandboxId));
    if (!rec) return;
    try {
      this.backend.upsertEndpoint(rec);
    } catch (err) {
      // A hostname or --add-host name need not be a DNS name: serve the endpoint without them.
      this.log.warn({ err, sandbox: rec.name, network: ep.networkId }, 'dns: endpoint served without its hostname and extra hosts');
      try {
        this.backend.upsertEndpoint({ ...rec, hostname: undefined, extraHosts: undefined });
      } catch (err2) {
        this.log.warn({ err: err2, sandbox: rec.name, network: ep.networkId }, 'dns: endpoint not served');
      }
    }
  }

  private async autoUp(sandboxId: string): Promise<void> {
    if ((!this.bind && !this.resolver) || this.closed) return;
    try {
      const sandbox = this.store.sandboxById(sandboxId);
      const ns = sandbox && (await this.sandboxes.ref(sandbox));
      if (!ns) return;
      await this.up(sandboxId, ns, this.optionsOf(sandboxId));
    } catch (err) {
      this.log.warn({ err, sandbox: sandboxId }, 'dns: cannot serve 127.0.0.11 in the sandbox');
    }
  }

  /** sandboxUp's options, else (after a daemon restart) the container record's. */
  private optionsOf(sandboxId: string): SandboxDnsOptions {
    return this.options.get(sandboxId) ?? this.container(sandboxId)?.options ?? {};
  }

  private extras(sandboxId: string): EndpointExtras {
    const c = this.container(sandboxId);
    return { upstreams: this.optionsOf(sandboxId).dns, hostname: c?.hostname, extraHosts: c?.extraHosts };
  }

  private container(sandboxId: string): ContainerDnsView | undefined {
    try {
      return this.containerView?.(sandboxId);
    } catch (err) {
      this.log.warn({ err, sandbox: sandboxId }, 'dns: cannot read the container record');
      return undefined;
    }
  }

  private host(): ResolvConf {
    try {
      return parseResolvConf((this.readHostResolvConf ?? (() => readFileSync('/etc/resolv.conf', 'utf8')))());
    } catch {
      return { nameservers: [], search: [], options: [] };
    }
  }
}
