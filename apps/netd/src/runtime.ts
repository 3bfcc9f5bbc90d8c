import type { NetnsRef, Netlink, Netns } from '@app/kernel';
import type { Ipam } from '@app/ipam/ipam.contract';
import type { Logger } from 'pino';
import type { NetdConfig } from './config/netd-config';
import { EventsService } from './events/events.service';
import { HostRoutes } from './lifecycle/host-routes';
import type { DriverSet } from './networks/driver-set';
import { EndpointsService } from './networks/endpoints.service';
import { KeyedMutex } from './networks/keyed-mutex';
import { NetworksService } from './networks/networks.service';
import { SandboxesService } from './sandboxes/sandboxes.service';
import type { RemoteNames, SandboxDns } from './dns/sandbox-dns';
import type { ClusterService } from './cluster/cluster.service';
import { createDnsService } from './dns/dns.factory';
import type { Db } from './store/database';
import { StateStore } from './store/state-store';
import { ContainerManager, detectCgroupMode, type FilesContext, type Runtime as ContainerRuntime } from '@app/container';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ContainerNetworking } from './containers/container-network';
import { ContainerViews } from './containers/container-views.service';
import { ContainersService } from './containers/containers.service';
import { NetworkedRuntime } from './containers/networked-runtime';
import { ImagesService } from './images/images.service';
import { ContainerBuildStepRunner } from './images/build-step-runner';
import { SqliteContainerStore } from './store/sqlite-container-store';
import { hostGatewayOf } from './networks/host-gateway';
import { Volumes } from '@app/volume';
import { SqliteVolumeStore } from './store/sqlite-volume-store';
import { VolumesService } from './volumes/volumes.service';

/** Everything the daemon is made of, built without Nest (the composition root). */
export interface Runtime {
  config: NetdConfig;
  /** This daemon's persistent identity (`<data-root>/engine-id`): `docker info`'s ID, the ULA seed. */
  engineId: string;
  log: Logger;
  db: Db;
  store: StateStore;
  ipam: Ipam;
  drivers: DriverSet;
  netlink: Netlink;
  netns: Netns;
  hostNs: NetnsRef;
  events: EventsService;
  /** Host routes followed into IPAM (new pools avoid them). */
  hostRoutes: HostRoutes;
  networks: NetworksService;
  endpoints: EndpointsService;
  sandboxes: SandboxesService;
  /** The embedded DNS, when enabled (apps/netd/src/dns). */
  dns?: SandboxDns & RemoteNames;
  /** Cluster membership and overlay networks (apps/netd/src/cluster); set by the daemon's assembly. */
  cluster?: ClusterService;
  images: ImagesService;
  volumes: VolumesService;
  containers: ContainersService;
  containerViews: ContainerViews;
  containerNet: ContainerNetworking;
  containerStore: SqliteContainerStore;
  startedAt: Date;
}

export interface RuntimeParts {
  config: NetdConfig;
  engineId: string;
  log: Logger;
  db: Db;
  ipam: Ipam;
  drivers: DriverSet;
  netlink: Netlink;
  netns: Netns;
  hostNs: NetnsRef;
  /** runc + conmon in production, FakeRuntime in unit tests. */
  containerRuntime: ContainerRuntime;
}

export function buildRuntime(p: RuntimeParts): Runtime {
  const store = new StateStore(p.db);
  const events = new EventsService();
  const locks = new KeyedMutex();
  const hostRoutes = new HostRoutes({ ipam: p.ipam, netlink: p.netlink, hostNs: p.hostNs });
  const networks = new NetworksService({ store, ipam: p.ipam, drivers: p.drivers, events, locks, refreshHostRoutes: () => hostRoutes.refresh() });
  const sandboxes = new SandboxesService(store, p.netns);
  const endpoints = new EndpointsService({ store, ipam: p.ipam, drivers: p.drivers, events, locks, networks, sandboxes });
  const dns = createDnsService({ ...p, store, events, sandboxes });
  const rt: Runtime = { ...p, store, events, hostRoutes, networks, endpoints, sandboxes, dns, startedAt: new Date() } as unknown as Runtime;
  rt.images = new ImagesService({
    store: join(p.config.dataRoot, 'image'),
    insecureRegistries: p.config.insecureRegistries,
    onEvent: (action, id, attributes) => events.publish(action, id, attributes, 'image'),
    usedBy: (imageId) => rt.containerStore.listSync().filter((r) => r.spec.imageId === imageId).map((r) => r.id),
    runner: new ContainerBuildStepRunner({ containers: () => rt.containers, stateDir: join(p.config.dataRoot, 'containers') }),
  });
  // Containers that mount a volume will hold a reference (Volumes.reference) and answer the
  // usedBy hook from their records after a restart; until mounting exists no container uses one.
  rt.volumes = new VolumesService(new Volumes({
    store: new SqliteVolumeStore(p.db),
    root: join(p.config.dataRoot, 'volumes'),
    onEvent: (action, name, attributes) => events.publish(action, name, attributes, 'volume'),
  }));
  buildContainers(rt, p.containerRuntime, locks);
  return rt;
}

/** Containers: ContainerManager on the runtime, records in SQLite, networking through the services above. */
function buildContainers(rt: Runtime, inner: ContainerRuntime, locks: KeyedMutex): void {
  const stateDir = join(rt.config.dataRoot, 'containers');
  const containerStore = new SqliteContainerStore(rt.db);
  const files: FilesContext = {
    hostResolvConf: () => readResolvConf(),
    get hostGateway() {
      return hostGatewayOf(rt.config, rt.store, rt.ipam);
    },
  };
  const hostNetns = rt.config.hostNetns === '/proc/self/ns/net' ? 'host' : rt.config.hostNetns;
  const log = rt.log.child({ component: 'containers' });
  const containerNet = new ContainerNetworking({
    store: rt.store, containers: containerStore, sandboxes: rt.sandboxes, endpoints: rt.endpoints, networks: rt.networks,
    netlink: rt.netlink, dns: rt.dns, files, stateDir, netnsDir: rt.config.netnsDir, hostNetnsPath: hostNetns, locks, log,
  });
  const runtime = new NetworkedRuntime(inner, { setUp: (id, namespaceReady) => containerNet.setUp(id, namespaceReady), tearDown: (id) => containerNet.tearDown(id) });
  const manager = new ContainerManager({
    runtime, store: containerStore, stateDir, cgroupMode: detectCgroupMode(), hostResolvConf: files.hostResolvConf,
    get hostGateway() { return files.hostGateway; },
    onEvent: (e) => rt.containers.onManagerEvent(e),
  } as ConstructorParameters<typeof ContainerManager>[0]);
  rt.containerStore = containerStore;
  rt.containerNet = containerNet;
  rt.containers = new ContainersService({
    manager, runtime: inner, containers: containerStore, net: containerNet, images: rt.images, networks: rt.networks, store: rt.store,
    ipam: rt.ipam, events: rt.events, log, hostNetns, stateDir,
  });
  rt.containerViews = new ContainerViews({
    containers: containerStore, store: rt.store, ipam: rt.ipam, net: containerNet, svc: rt.containers, stateDir, netnsDir: rt.config.netnsDir,
  });
}

function readResolvConf(): string {
  try {
    return readFileSync('/etc/resolv.conf', 'utf8');
  } catch {
    return '';
  }
}
