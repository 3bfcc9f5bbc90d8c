import { ConflictError, ForbiddenError, IpAddr, NotFoundError, Prefix, shortId } from '@app/common';
import { containerPaths, rewriteNetworkFiles, type ContainerRecord, type FilesContext } from '@app/container';
import type { DriverCapabilities, PortMapping } from '@app/drivers/driver-api';
import { HOST_NETWORK_CONFLICT, NONE_NETWORK_CONFLICT, refuseDisconnect } from '../networks/driver-set';
import type { NetnsRef, Netlink } from '@app/kernel';
import type { Logger } from 'pino';
import type { SandboxDns, SandboxDnsOptions } from '../dns/sandbox-dns';
import type { EndpointsService } from '../networks/endpoints.service';
import type { KeyedMutex } from '../networks/keyed-mutex';
import type { NetworksService } from '../networks/networks.service';
import type { SandboxesService } from '../sandboxes/sandboxes.service';
import type { ContainerNet, NetAttachment, SqliteContainerStore } from '../store/sqlite-container-store';
import type { EndpointRecord, StateStore } from '../store/state-store';

export interface ContainerNetworkDeps {
  store: StateStore;
  containers: SqliteContainerStore;
  sandboxes: SandboxesService;
  endpoints: EndpointsService;
  networks: NetworksService;
  netlink: Netlink;
  dns?: SandboxDns;
  files: FilesContext;
  /** Container directories (`<data-root>/containers`). */
  stateDir: string;
  netnsDir: string;
  /** The namespace `--network host` containers share (the daemon's host namespace). */
  hostNetnsPath: string;
  locks: KeyedMutex;
  log: Logger;
}

/** A container's namespace name: short, fixed from the id, unlike names that can be reused. */
export const netnsNameOf = (id: string) => `netd-c-${id.slice(0, 12)}`;

/**
 * The network side of a container's life. `setUp` before its process starts (namespace, lo,
 * one endpoint per requested network, embedded DNS, hosts/resolv.conf), `tearDown` once it is
 * not going to run again (Docker releases endpoints on stop: a stopped container is in no
 * network's inspect output). Both are idempotent and serialised per container.
 */
export class ContainerNetworking {
  private readonly containers: SqliteContainerStore;
  private readonly dns?: SandboxDns;
  private readonly endpoints: EndpointsService;
  private readonly files: FilesContext;
  private readonly locks: KeyedMutex;
  private readonly log: Logger;
  private readonly netlink: Netlink;
  private readonly netnsDir: string;
  private readonly networks: NetworksService;
  private readonly sandboxes: SandboxesService;
  private readonly stateDir: string;
  private readonly store: StateStore;

  constructor(deps: ContainerNetworkDeps) {
    this.containers = deps.containers;
    this.dns = deps.dns;
    this.endpoints = deps.endpoints;
    this.files = deps.files;
    this.locks = deps.locks;
    this.log = deps.log;
    this.netlink = deps.netlink;
    this.netnsDir = deps.netnsDir;
    this.networks = deps.networks;
    this.sandboxes = deps.sandboxes;
    this.stateDir = deps.stateDir;
    this.store = deps.store;
  }

  net(id: string): ContainerNet {
    return this.containers.net(id) ?? { mode: 'none', kind: 'none', networks: [], ports: [], exposed: [], legacyLinks: [], netns: netnsNameOf(id) };
  }

  /** The namespace path the container's OCI config names. */
  netnsPathFor(net: ContainerNet, id: string): string | 'host' {
    if (net.kind === 'host') return 'host';
    if (net.kind === 'container' && net.sharedWith) {
      const other = this.net(net.sharedWith);
      return other.kind === 'host' ? 'host' : `${this.netnsDir}/${other.netns ?? netnsNameOf(net.sharedWith)}`;
    }
    return `${this.netnsDir}/${net.netns ?? netnsNameOf(id)}`;
  }

  /** `namespaceReady` (if given) is called as soon as the namespace exists, before the endpoints. */
  setUp(id: string, namespaceReady: () => void = () => undefined): Promise<void> {
    return this.locks.run(id, () => this.setUpLocked(id, namespaceReady));
  }

  tearDown(id: string): Promise<void> {
    return this.locks.run(id, () => this.tearDownLocked(id));
  }

  private async setUpLocked(id: string, namespaceReady: () => void): Promise<void> {
    const rec = this.containers.getSync(id);
    if (!rec) throw new NotFoundError(`No such container: ${id}`);
    const net = this.net(id);
    if (net.kind === 'container' && net.sharedWith) {
      const other = this.containers.getSync(net.sharedWith);
      if (!other?.state.running) throw new ConflictError(`cannot join network of a non running container: ${net.sharedWith}`);
    }
    if (net.kind !== 'networks' && net.kind !== 'none') {
      namespaceReady();
      return this.writeFiles(rec, net);
    }
    try {
      const { ns } = await this.sandboxes.ensureForContainer(id, rec.name.slice(1), net.netns ?? netnsNameOf(id));
      namespaceReady();
      await this.netlink.setLinkUp(ns, 'lo');
      const published = this.publishingNetwork(net);
      for (const a of net.networks) {
        if (this.store.endpointOf(a.networkId, id)) continue;
        await this.join(id, a, a.networkId === published ? net : undefined);
      }
      await this.dns?.sandboxUp(id, ns, dnsOptions(rec));
      await this.writeFiles(rec, net);
    } catch (e) {
      await this.tearDownLocked(id);
      throw e;
    }
  }

  /** `onActive`: in the transaction that marks the endpoint active (see EndpointsService.connect). */
  private async join(id: string, a: NetAttachment, withPorts?: ContainerNet, onActive?: () => void): Promise<EndpointRecord> {
    return this.endpoints.connect(
      a.networkId,
      {
        container: id,
        ipv4Address: a.ipv4,
        ipv6Address: a.ipv6,
        macAddress: a.mac,
        aliases: a.aliases,
        links: a.links,
        portMappings: withPorts && toMappings(withPorts),
      },
      { onActive },
    );
  }

  /**
   * The published ports of a container's endpoint on `networkId`: they go with its first
   * network that is not internal, as on `setUp`. Host ports are fixed at create, so a replay
   * after a daemon restart programs the same rules. Undefined for sandboxes that are not containers.
   */
  portMappingsFor(containerId: string, networkId: string): PortMapping[] | undefined {
    const net = this.containers.net(containerId);
    if (!net || net.kind !== 'networks' || this.publishingNetwork(net) !== networkId) return undefined;
    return toMappings(net);
  }

  /**
   * The network whose endpoint publishes the container's ports: dockerd's gateway endpoint, the
   * first that is not internal (an internal network publishes nothing), else the first. Compose
   * connects a service's networks in its own order, so an internal one can come first.
   */
  private publishingNetwork(net: ContainerNet): string | undefined {
    return (net.networks.find((a) => this.store.getNetwork(a.networkId)?.internal === false) ?? net.networks[0])?.networkId;
  }

  private async tearDownLocked(id: string): Promise<void> {
    const problems: unknown[] = [];
    await this.dns?.sandboxDown(id).catch((e) => problems.push(e));
    for (const ep of this.store.endpointsIn(id)) {
      await this.endpoints.disconnect(ep.networkId, id).catch((e) => problems.push(e));
    }
    await this.sandboxes.deleteForContainer(id).catch((e) => problems.push(e));
    for (const e of problems) this.log.warn({ err: e, container: id }, 'network teardown');
  }

  /** Whether the container's namespace and endpoints are up. */
  isUp(id: string): boolean {
    return this.store.sandboxById(id) !== undefined;
  }

  /**
   * At daemon start, for a running container: make its recorded networks those it has endpoints
   * on. Records written by earlier versions could disagree (a connect or disconnect whose record
   * was overwritten by a concurrent one); the endpoints are what the kernel has and what each
   * client was answered. Returns whether anything changed.
   */
  async alignWithEndpoints(id: string): Promise<boolean> {
    return this.locks.run(id, async () => {
      const net = this.containers.net(id);
      if (!net || net.kind !== 'networks' || !this.isUp(id)) return false;
      const eps = this.endpointsOf(id);
      const on = new Set(eps.map((e) => e.networkId));
      const missing = eps.filter((e) => !net.networks.some((a) => a.networkId === e.networkId));
      if (missing.length === 0 && net.networks.every((a) => on.has(a.networkId))) return false;
      this.containers.updateNet(id, (n) => ({
        ...n,
        networks: [
          ...n.networks.filter((a) => on.has(a.networkId)),
          ...missing.map((e) => ({ networkId: e.networkId, aliases: e.aliases, links: e.links ?? [] })),
        ],
      }));
      const rec = this.containers.getSync(id);
      if (rec) await this.writeFiles(rec, this.net(id));
      return true;
    });
  }

  /**
   * `network connect`: a running container gets the interface, hosts entries and DNS at once;
   * a created or stopped one only records the network for its next start.
   *
   * Everything is read under the container's lock and the attachment is written in the same
   * transaction that marks the endpoint active, so a connect racing another connect,
   * disconnect, start or stop of the container works on current state, and a crash leaves
   * either both records or an endpoint in `creating` that the reconciler undoes.
   */
  async connect(containerId: string, networkTerm: string, a: Omit<NetAttachment, 'networkId'>): Promise<void> {
    const target = this.networks.find(networkTerm);
    checkConnectable(this.networks.capabilities(target), this.net(containerId));
    await this.locks.run(containerId, async () => {
      const rec = this.containers.getSync(containerId);
      if (!rec) throw new NotFoundError(`No such container: ${containerId}`);
      const net = this.net(containerId);
      checkConnectable(this.networks.capabilities(target), net);
      if (net.networks.some((x) => x.networkId === target.id)) {
        throw new ConflictError(`endpoint with name ${rec.name.slice(1)} already exists in network ${target.name}`);
      }
      const attachment: NetAttachment = { ...a, networkId: target.id };
      const add = () => this.containers.updateNet(containerId, (n) => ({ ...n, networks: [...n.networks, attachment] }));
      if (this.isUp(containerId)) {
        const publishes = this.publishingNetwork({ ...net, networks: [...net.networks, attachment] }) === target.id && !this.hasPublishingEndpoint(containerId, net);
        await this.join(containerId, attachment, publishes ? net : undefined, add).catch((e) => {
          // the network was removed while this waited for it: name it as the client did
          if (e instanceof NotFoundError && !this.store.getNetwork(target.id)) throw new NotFoundError(`network ${networkTerm} not found`);
          throw e;
        });
        await this.rewriteFiles(rec);
        return;
      }
      // the network's lock orders this with its deletion: no attachment to a network being removed
      await this.locks.run(target.id, async () => {
        if (this.store.getNetwork(target.id)?.state !== 'active') throw new NotFoundError(`network ${networkTerm} not found`);
        add();
      });
    });
  }

  /** Whether one of the container's endpoints already carries its published ports. */
  private hasPublishingEndpoint(containerId: string, net: ContainerNet): boolean {
    const current = this.publishingNetwork(net);
    return current !== undefined && this.store.endpointOf(current, containerId) !== undefined && this.store.getNetwork(current)?.internal === false;
  }

  async disconnect(containerId: string, networkTerm: string): Promise<void> {
    const target = this.networks.find(networkTerm);
    refuseDisconnect(this.networks.capabilities(target));
    if (this.net(containerId).kind === 'host') throw new ForbiddenError(HOST_NETWORK_CONFLICT);
    await this.locks.run(containerId, async () => {
      const rec = this.containers.getSync(containerId);
      if (!rec) throw new NotFoundError(`No such container: ${containerId}`);
      if (!this.net(containerId).networks.some((x) => x.networkId === target.id)) {
        throw new ConflictError(`container ${containerId} is not connected to network ${target.name}`);
      }
      const drop = () => this.containers.updateNet(containerId, (n) => ({ ...n, networks: n.networks.filter((x) => x.networkId !== target.id) }));
      if (this.store.endpointOf(target.id, containerId)) await this.endpoints.disconnect(target.id, containerId, { onDeleting: drop });
      else drop();
      if (this.isUp(containerId)) await this.rewriteFiles(rec);
    });
  }

  /**
   * hosts/resolv.conf after a connect or disconnect. A container removed meanwhile (`rm -f` does
   * not wait for this lock; its directory goes first) is not found: its teardown, queued behind
   * this lock, removes the endpoints.
   */
  private async rewriteFiles(rec: ContainerRecord): Promise<void> {
    try {
      await this.writeFiles(rec, this.net(rec.id));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || !this.containers.getSync(rec.id)) throw new NotFoundError(`No such container: ${rec.id}`);
      throw e;
    }
  }

  /** Whether the container still has a record (the reconciler drops the network of one that has none). */
  hasContainer(id: string): boolean {
    return this.containers.getSync(id) !== undefined;
  }

  /** The container's addresses per network, for inspect and ps. */
  endpointsOf(id: string): EndpointRecord[] {
    return this.store.endpointsIn(id).filter((e) => e.state === 'active');
  }

  /** The IPv4 address a container has on the default bridge (legacy links), if running there. */
  private linkIp(targetId: string): string | undefined {
    const bridge = this.store.networkByName('bridge');
    const ep = bridge && this.store.endpointOf(bridge.id, targetId);
    return ep?.ipv4 ? Prefix.parse(ep.ipv4).address.toString() : undefined;
  }

  /** Rewrite hosts and resolv.conf from current state (in place: they are bind-mounted). */
  async writeFiles(rec: ContainerRecord, net: ContainerNet): Promise<void> {
    const addresses = this.endpointsOf(rec.id).flatMap((e) => [e.ipv4, e.ipv6].flatMap((a) => (a ? [Prefix.parse(a).address.toString()] : [])));
    const links = net.legacyLinks.flatMap((l) => {
      const t = this.containers.getSync(l.container);
      const ip = this.linkIp(l.container);
      return t && ip ? [{ ip, alias: l.alias, id: shortId(t.id), name: t.name.slice(1) }] : [];
    });
    const userNetwork = net.kind === 'networks' && net.networks.some((a) => {
      const n = this.store.getNetwork(a.networkId);
      return n !== undefined && !(n.predefined && n.name === 'bridge');
    });
    const view: ContainerRecord = { ...rec, networkFiles: { addresses, links, embeddedDns: userNetwork && this.dns !== undefined } };
    const paths = containerPaths(this.stateDir, rec.id);
    const resolv = this.dns && net.kind !== 'host' ? this.dns.resolvConf(dnsOptions(rec)) : undefined;
    await rewriteNetworkFiles(paths, view, this.files, resolv);
  }

  ref(id: string): Promise<NetnsRef | undefined> {
    const s = this.store.sandboxById(id);
    return s ? this.sandboxes.ref(s) : Promise.resolve(undefined);
  }
}

/** Docker's refusals for a connect that no state change can allow (the mode is fixed at create). */
function checkConnectable(target: DriverCapabilities, net: ContainerNet): void {
  if (target.sandbox === 'host' || net.kind === 'host') throw new ForbiddenError(HOST_NETWORK_CONFLICT);
  if (target.sandbox === 'none' || net.kind === 'none') throw new ForbiddenError(NONE_NETWORK_CONFLICT);
  if (net.kind === 'container') throw new ForbiddenError('container sharing network namespace with another container or host cannot be connected to any other network');
}

function toMappings(net: ContainerNet): PortMapping[] {
  return net.ports.map((p) => ({ proto: p.proto, containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIp ? IpAddr.parse(p.hostIp) : undefined }));
}

function dnsOptions(rec: ContainerRecord): SandboxDnsOptions {
  return { dns: rec.spec.dns?.dns, dnsSearch: rec.spec.dns?.dnsSearch, dnsOptions: rec.spec.dns?.dnsOptions };
}
