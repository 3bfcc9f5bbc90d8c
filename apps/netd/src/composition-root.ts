import { ContainerManager, detectCgroupMode, RuncRuntime, type FilesContext, type Runtime as ContainerRuntime } from '@app/container';
import { BridgeDriver, HostDriver, NullDriver, OverlayDriver } from '@app/drivers';
import { FileImageStore, Images } from '@app/image';
import { DefaultIpam } from '@app/ipam';
import type { Ipam } from '@app/ipam/ipam.contract';
import { RtNetlink, spawnDetached, withNetns, type Firewall, type Netlink, type Netns, type NetnsRef, type Sysctl } from '@app/kernel';
import { Volumes } from '@app/volume';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AnnouncingOverlayDriver } from './cluster/announcing-driver';
import { ClusterStore } from './cluster/cluster-store';
import { ClusterService } from './cluster/cluster.service';
import { globalNetworks } from './cluster/global-networks';
import type { NetdConfig } from './config/netd-config';
import { ContainerNetworking } from './containers/container-network';
import { ContainerViews } from './containers/container-views.service';
import { ContainerOps } from './containers/container-ops';
import { containerEventAttributes, HealthMonitor } from './containers/health';
import { ContainerStats } from './containers/stats';
import { ContainerArchive } from './containers/archive';
import { ContainersService } from './containers/containers.service';
import { containerDnsView } from './dns/container-dns';
import { DnsService } from './dns/dns.service';
import { ensureResolver, stopResolver } from './dns/resolver-client';
import { resolverBuildId } from './dns/resolver-process';
import { loopbackUp, namespaceBinder } from './dns/sandbox-binder';
import { EventsService } from './events/events.service';
import { ContainerBuildStepRunner } from './images/build-step-runner';
import { ImagesService } from './images/images.service';
import { engineId as readEngineId } from './lifecycle/engine-id';
import { HostRoutes } from './lifecycle/host-routes';
import { MapDriverSet, type DriverSet } from './networks/driver-set';
import { EndpointsService } from './networks/endpoints.service';
import { hostGatewayOf } from './networks/host-gateway';
import { KeyedMutex } from './networks/keyed-mutex';
import { NetworkLifecycle } from './networks/network-lifecycle';
import { NetworksService } from './networks/networks.service';
import { SandboxesService } from './sandboxes/sandboxes.service';
import { openDatabase, type Db } from './store/database';
import { SqliteContainerStore } from './store/sqlite-container-store';
import { SqliteIpamStore } from './store/sqlite-ipam-store';
import { SqliteVolumeStore } from './store/sqlite-volume-store';
import { StateStore, type EndpointRecord } from './store/state-store';
import { VolumesService } from './volumes/volumes.service';
import { mountsVolume } from './containers/mounts';
import { instrumentKernel, timedRuntime } from './metrics/metrics-server';
import { runtimeSources } from './metrics/metrics-sources';
import { NetdMetrics } from './metrics/netd-metrics';

/** What the daemon runs on: the kernel's ports (real or fake) and the container runtime. */
export interface KernelPorts {
  /** The container runtime; default runc + conmon under the exec root (unit tests pass FakeRuntime). */
  containerRuntime?: ContainerRuntime;
  netlink: Netlink;
  netns: Netns;
  firewall: Firewall;
  sysctl: Sysctl;
}

/** Everything the daemon is made of, built without Nest by {@link composeServices}. */
export interface Services {
  readonly config: NetdConfig;
  /** This daemon's persistent identity (`<data-root>/engine-id`): `docker info`'s ID, the ULA seed. */
  readonly engineId: string;
  readonly log: Logger;
  readonly db: Db;
  readonly store: StateStore;
  readonly ipam: Ipam;
  readonly drivers: DriverSet;
  readonly netlink: Netlink;
  readonly netns: Netns;
  readonly hostNs: NetnsRef;
  readonly events: EventsService;
  /** Host routes followed into IPAM (new pools avoid them). */
  readonly hostRoutes: HostRoutes;
  readonly networks: NetworksService;
  readonly endpoints: EndpointsService;
  readonly sandboxes: SandboxesService;
  /** The embedded DNS (apps/netd/src/dns). */
  readonly dns: DnsService;
  /** Cluster membership and overlay networks (apps/netd/src/cluster). */
  readonly cluster: ClusterService;
  readonly images: ImagesService;
  readonly volumes: VolumesService;
  readonly containers: ContainersService;
  /** The container lifecycle's owner (start, stop, restart decisions, waits). */
  readonly containerManager: ContainerManager;
  readonly containerViews: ContainerViews;
  /** rename, pause/unpause, update, top, prune (containers/container-ops.ts). */
  readonly containerOps: ContainerOps;
  /** Health checks of running containers (containers/health.ts). */
  readonly health: HealthMonitor;
  /** `GET /containers/{id}/stats` from cgroups (containers/stats.ts). */
  readonly containerStats: ContainerStats;
  /** `docker cp` (containers/archive.ts). */
  readonly containerArchive: ContainerArchive;
  readonly containerNet: ContainerNetworking;
  readonly containerStore: SqliteContainerStore;
  readonly startedAt: Date;
  /** Prometheus metrics, when `metrics-addr` is set: the kernel ports and the runtime are then timed. */
  readonly metrics?: NetdMetrics;
}

/**
 * The composition root: the one place the daemon's services are constructed, each after what it
 * needs, and handed whole to the Nest module (app.module.ts), which only registers them. No listener
 * and no reconciliation here (daemon.ts does those).
 *
 * Two dependencies run against construction order and are broken by splitting who owns what:
 * - the overlay driver needs this node's VTEP, which the cluster service decides: the membership
 *   (and so the VTEP) is owned by ClusterStore, built before both;
 * - the build-step runner runs containers, and containers need images: the containers service
 *   depends on the image catalog (`Images`), the images API service on the runner.
 * The container manager reports lifecycle events to whoever subscribes (the containers service,
 * built on it), so it knows nothing of its user.
 */
export function composeServices(config: NetdConfig, kernelPorts: KernelPorts, log: Logger): Services {
  const metrics = config.metricsAddr ? new NetdMetrics() : undefined;
  const kernel = metrics ? instrumentKernel(kernelPorts, metrics) : kernelPorts;
  const db = openDatabase(config.dataRoot);
  const hostNs = { path: config.hostNetns };
  const engineId = readEngineId(config.dataRoot);
  const { netlink, netns } = kernel;
  const ipam = new DefaultIpam({
    store: new SqliteIpamStore(db),
    localPools: config.defaultAddressPools.length > 0 ? config.defaultAddressPools : undefined,
    hostId: engineId,
  });
  const store = new StateStore(db);
  const events = new EventsService();
  const locks = new KeyedMutex();
  const hostRoutes = new HostRoutes({ ipam, netlink, hostNs });
  const sandboxes = new SandboxesService(store, netns);
  const containerStore = new SqliteContainerStore(db);
  const dns = dnsService({ config, log, netlink, hostNs, store, events, sandboxes, ipam, containers: containerStore });

  const clusterStore = new ClusterStore(db, join(config.dataRoot, 'cluster', 'node.key'));
  const overlay = new OverlayDriver({ ...kernel, hostNs, logger: log.child({ component: 'overlay' }), vtep: () => clusterStore.vtep() });
  const lifecycle = new NetworkLifecycle({ store, ipam });
  // A lost block's containers reconnect, taking an address from a block this node holds (the
  // containers service is built below; this runs only on a lease-lost event, long after).
  const renumber = async (networkId: string, eps: readonly EndpointRecord[]) => {
    for (const ep of eps) {
      await containers.disconnectNetwork(networkId, ep.sandboxId);
      await containers.connectNetwork(networkId, ep.sandboxId, { Aliases: [...ep.aliases] });
    }
  };
  const cluster = new ClusterService({ store, ipam, lifecycle, clusterStore, driver: overlay, log: log.child({ component: 'cluster' }), dns, renumber });
  const driverLog = log.child({ component: 'driver' });
  const drivers = new MapDriverSet(new Map([
    new BridgeDriver({ ...kernel, hostNs, logger: driverLog, defaultBridgeName: config.bridge }),
    new HostDriver(),
    new NullDriver({ netlink, hostNs }),
    new AnnouncingOverlayDriver(overlay, cluster),
  ].map((d) => [d.type, d])));
  const networks = new NetworksService({ store, ipam, drivers, events, locks, lifecycle, refreshHostRoutes: () => hostRoutes.refresh(), global: globalNetworks(cluster) });
  const endpoints = new EndpointsService({ store, ipam, drivers, events, locks, networks, sandboxes });

  const imageRoot = join(config.dataRoot, 'image');
  const imageCatalog = new Images(new FileImageStore(imageRoot), {
    usedBy: (imageId) => containerStore.listSync().filter((r) => r.spec.imageId === imageId).map((r) => r.id),
  });

  const stateDir = join(config.dataRoot, 'containers');
  const files: FilesContext = {
    hostResolvConf: () => readResolvConf(),
    get hostGateway() {
      return hostGatewayOf(config, store, ipam);
    },
  };
  const hostNetns = config.hostNetns === '/proc/self/ns/net' ? 'host' : config.hostNetns;
  const containerLog = log.child({ component: 'containers' });
  const containerNet = new ContainerNetworking({
    store, containers: containerStore, sandboxes, endpoints, networks,
    netlink, dns, files, stateDir, netnsDir: config.netnsDir, hostNetnsPath: hostNetns, locks, log: containerLog,
  });
  const containerRuntime = timedRuntime(kernel.containerRuntime ?? new RuncRuntime({
    stateDir,
    runcRoot: join(config.execRoot, 'runc'),
    // conmon's attach sockets: a short path, unix socket paths are limited to 107 bytes
    socketDir: join(config.execRoot, 's'),
  }), metrics);
  const manager = new ContainerManager({
    runtime: containerRuntime, network: containerNet, store: containerStore, stateDir, cgroupMode: detectCgroupMode(), hostResolvConf: files.hostResolvConf,
    get hostGateway() { return files.hostGateway; },
  });
  // A container uses the volumes its record mounts, running or not (dockerd's references).
  const volumeLib = new Volumes({
    store: new SqliteVolumeStore(db),
    root: join(config.dataRoot, 'volumes'),
    usedBy: (name) => containerStore.listSync().filter((r) => mountsVolume(r, name)).map((r) => r.id),
    onEvent: (action, name, attributes) => events.publish(action, name, attributes, 'volume'),
  });
  const volumes = new VolumesService(volumeLib);
  const containers = new ContainersService({
    manager, runtime: containerRuntime, containers: containerStore, net: containerNet, images: imageCatalog, networks, store,
    ipam, events, log: containerLog, hostNetns, stateDir, volumes: volumeLib,
  });
  const containerViews = new ContainerViews({
    containers: containerStore, store, ipam, net: containerNet, svc: containers, stateDir, netnsDir: config.netnsDir,
  });
  const containerOps = new ContainerOps({ manager, runtime: containerRuntime, containers: containerStore, store, events, svc: containers, stateDir });
  const health = new HealthMonitor({
    manager, events, log: containerLog, publish: (action, r) => events.publish(action, r.id, containerEventAttributes(r), 'container'),
  });
  const containerStats = new ContainerStats({ manager });
  const containerArchive = new ContainerArchive({ manager });
  const images = new ImagesService({
    images: imageCatalog,
    tmpDir: join(imageRoot, 'tmp'),
    insecureRegistries: config.insecureRegistries,
    onEvent: (action, id, attributes) => events.publish(action, id, attributes, 'image'),
    runner: new ContainerBuildStepRunner({ containers, stateDir }),
  });
  const services: Services = {
    config, engineId, log, db, store, ipam, drivers, netlink, netns, hostNs, events, hostRoutes, networks, endpoints, sandboxes, dns,
    cluster, images, volumes, containers, containerManager: manager, containerViews, containerOps, health, containerStats, containerArchive, containerNet, containerStore, startedAt: new Date(), metrics,
  };
  metrics?.bind(runtimeSources(services));
  return services;
}

const OWN_NETNS = '/proc/self/ns/net';

/**
 * The daemon's DNS. Sockets are opened only on the real kernel: a fake kernel's namespace paths
 * (/run/netns/<name>) may name real namespaces of someone else on the machine.
 */
function dnsService(p: {
  config: NetdConfig;
  log: Logger;
  netlink: Netlink;
  hostNs: NetnsRef;
  store: StateStore;
  events: EventsService;
  sandboxes: SandboxesService;
  ipam: Ipam;
  containers: SqliteContainerStore;
}): DnsService {
  const real = p.netlink instanceof RtNetlink;
  const log = p.log.child({ component: 'dns' });
  const hostGateway = (): string | undefined => hostGatewayOf(p.config, p.store, p.ipam)?.toString();
  const hostNetns = p.hostNs.path !== OWN_NETNS ? p.hostNs.path : undefined;
  const say = (level: 'info' | 'warn', msg: string, extra: Record<string, unknown> = {}): void => log[level](extra, msg);
  const processMode = real && p.config.dnsResolver === 'process';
  return new DnsService({
    config: p.config,
    store: p.store,
    events: p.events,
    sandboxes: p.sandboxes,
    log,
    bind: real && !processMode ? namespaceBinder(p.netlink) : undefined,
    resolver: processMode
      ? {
          connect: () =>
            ensureResolver({
              execRoot: p.config.execRoot,
              dataRoot: p.config.dataRoot,
              hostNetns,
              version: resolverBuildId(),
              command: [process.execPath, process.argv[1]],
              spawn: spawnDetached,
              log: say,
            }),
          prepare: (ns) => loopbackUp(p.netlink, ns),
        }
      : undefined,
    stopResolver: real && !processMode ? () => stopResolver(p.config.execRoot, say) : undefined,
    container: (id) => {
      const rec = p.containers.getSync(id);
      return rec && containerDnsView(rec, hostGateway(), (entry, why) => log.debug({ container: id, entry, why }, 'dns: --add-host not served'));
    },
    enterHostNs: real && p.hostNs.path !== OWN_NETNS ? (fn) => withNetns(p.hostNs, fn) : undefined,
  });
}

function readResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}
