import type { Ipam } from '@app/ipam/ipam.contract';
import { RtNetlink, spawnDetached, withNetns, type NetnsRef, type Netlink } from '@app/kernel';
import type { Logger } from 'pino';
import type { NetdConfig } from '../config/netd-config';
import type { EventsService } from '../events/events.service';
import type { SandboxesService } from '../sandboxes/sandboxes.service';
import { SqliteContainerStore } from '../store/sqlite-container-store';
import type { StateStore } from '../store/state-store';
import { containerDnsView } from './container-dns';
import { DnsService } from './dns.service';
import { hostGatewayOf } from '../networks/host-gateway';
import { ensureResolver, stopResolver } from './resolver-client';
import { resolverBuildId } from './resolver-process';
import { loopbackUp, namespaceBinder } from './sandbox-binder';

export interface DnsParts {
  config: NetdConfig;
  log: Logger;
  netlink: Netlink;
  hostNs: NetnsRef;
  store: StateStore;
  events: EventsService;
  sandboxes: SandboxesService;
  ipam: Ipam;
  /** Node and the script whose `dns-resolver` command runs the resolver; default: this process's. */
  resolverCommand?: readonly [string, string];
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
              command: p.resolverCommand ?? [process.execPath, process.argv[1]],
              spawn: spawnDetached,
              log: say,
            }),
          prepare: (ns) => loopbackUp(p.netlink, ns),
        }
      : undefined,
    stopResolver: real && !processMode ? () => stopResolver(p.config.execRoot, say) : undefined,
    container: (id) => {
      const rec = containers.getSync(id);
      return rec && containerDnsView(rec, hostGateway(), (entry, why) => log.debug({ container: id, entry, why }, 'dns: --add-host not served'));
    },
    enterHostNs: real && p.hostNs.path !== OWN_NETNS ? (fn) => withNetns(p.hostNs, fn) : undefined,
  });
}
