import type { Ipam } from '@app/ipam/ipam.contract';
import { RtNetlink, withNetns, type NetnsRef, type Netlink } from '@app/kernel';
import type { Logger } from 'pino';
import type { NetdConfig } from '../config/netd-config';
import type { EventsService } from '../events/events.service';
import type { SandboxesService } from '../sandboxes/sandboxes.service';
import { SqliteContainerStore } from '../store/sqlite-container-store';
import type { StateStore } from '../store/state-store';
import { containerDnsView } from './container-dns';
import { DnsService } from './dns.service';
import { namespaceBinder } from './sandbox-binder';
import { hostGatewayOf } from '../networks/host-gateway';

export interface DnsParts {
  config: NetdConfig;
  log: Logger;
  netlink: Netlink;
  hostNs: NetnsRef;
  store: StateStore;
  events: EventsService;
  sandboxes: SandboxesService;
  ipam: Ipam;
}

const OWN_NETNS = '/proc/self/ns/net';

/**
 * The daemon's DNS. Sockets are opened only on the real kernel: a fake kernel's namespace paths
 * (/run/netns/<name>) may name real namespaces of someone else on the machine.
 */
export function createDnsService(p: DnsParts): DnsService {
  const real = p.netlink instanceof RtNetlink;
  const log = p.log.child({ component: 'dns' });
  // Its own statements on the daemon's database: the container core's store is built later.
  const containers = new SqliteContainerStore(p.store.db);
  const hostGateway = (): string | undefined => hostGatewayOf(p.config, p.store, p.ipam)?.toString();
  return new DnsService({
    config: p.config,
    store: p.store,
    events: p.events,
    sandboxes: p.sandboxes,
    log,
    bind: real ? namespaceBinder(p.netlink) : undefined,
    container: (id) => {
      const rec = containers.getSync(id);
      return rec && containerDnsView(rec, hostGateway(), (entry, why) => log.debug({ container: id, entry, why }, 'dns: --add-host not served'));
    },
    enterHostNs: real && p.hostNs.path !== OWN_NETNS ? (fn) => withNetns(p.hostNs, fn) : undefined,
  });
}
