import { RtNetlink, withNetns, type NetnsRef, type Netlink } from '@app/kernel';
import type { Logger } from 'pino';
import type { NetdConfig } from '../config/netd-config';
import type { EventsService } from '../events/events.service';
import type { SandboxesService } from '../sandboxes/sandboxes.service';
import type { StateStore } from '../store/state-store';
import { DnsService } from './dns.service';
import { namespaceBinder } from './sandbox-binder';

export interface DnsParts {
  config: NetdConfig;
  log: Logger;
  netlink: Netlink;
  hostNs: NetnsRef;
  store: StateStore;
  events: EventsService;
  sandboxes: SandboxesService;
}

const OWN_NETNS = '/proc/self/ns/net';

/**
 * The daemon's DNS. Sockets are opened only on the real kernel: a fake kernel's namespace paths
 * (/run/netns/<name>) may name real namespaces of someone else on the machine.
 */
export function createDnsService(p: DnsParts): DnsService {
  const real = p.netlink instanceof RtNetlink;
  return new DnsService({
    config: p.config,
    store: p.store,
    events: p.events,
    sandboxes: p.sandboxes,
    log: p.log.child({ component: 'dns' }),
    bind: real ? namespaceBinder(p.netlink) : undefined,
    enterHostNs: real && p.hostNs.path !== OWN_NETNS ? (fn) => withNetns(p.hostNs, fn) : undefined,
  });
}
