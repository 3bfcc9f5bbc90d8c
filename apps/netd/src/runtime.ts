import type { NetnsRef, Netlink, Netns } from '@app/kernel';
import type { Ipam } from '@app/ipam/ipam.contract';
import type { Logger } from 'pino';
import type { NetdConfig } from './config/netd-config';
import { EventsService } from './events/events.service';
import { refreshHostRoutes as refreshRoutes } from './lifecycle/reconciler';
import type { DriverSet } from './networks/driver-set';
import { EndpointsService } from './networks/endpoints.service';
import { KeyedMutex } from './networks/keyed-mutex';
import { NetworksService } from './networks/networks.service';
import { SandboxesService } from './sandboxes/sandboxes.service';
import type { SandboxDns } from './dns/sandbox-dns';
import type { Db } from './store/database';
import { StateStore } from './store/state-store';

/** Everything the daemon is made of, built without Nest (the composition root). */
export interface Runtime {
  config: NetdConfig;
  log: Logger;
  db: Db;
  store: StateStore;
  ipam: Ipam;
  drivers: DriverSet;
  netlink: Netlink;
  netns: Netns;
  hostNs: NetnsRef;
  events: EventsService;
  networks: NetworksService;
  endpoints: EndpointsService;
  sandboxes: SandboxesService;
  /** The embedded DNS, when enabled (apps/netd/src/dns). */
  dns?: SandboxDns;
  startedAt: Date;
}

export interface RuntimeParts {
  config: NetdConfig;
  log: Logger;
  db: Db;
  ipam: Ipam;
  drivers: DriverSet;
  netlink: Netlink;
  netns: Netns;
  hostNs: NetnsRef;
}

export function buildRuntime(p: RuntimeParts): Runtime {
  const store = new StateStore(p.db);
  const events = new EventsService();
  const locks = new KeyedMutex();
  const refreshHostRoutes = () => refreshRoutes({ ipam: p.ipam, netlink: p.netlink, hostNs: p.hostNs });
  const networks = new NetworksService({ store, ipam: p.ipam, drivers: p.drivers, events, locks, refreshHostRoutes });
  const sandboxes = new SandboxesService(store, p.netns);
  const endpoints = new EndpointsService({ store, ipam: p.ipam, drivers: p.drivers, events, locks, networks, sandboxes });
  return { ...p, store, events, networks, endpoints, sandboxes, startedAt: new Date() };
}
