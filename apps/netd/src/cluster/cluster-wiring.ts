import { OverlayDriver } from '@app/drivers';
import type { Firewall, Netlink, NetnsRef, Sysctl } from '@app/kernel';
import type { Logger } from 'pino';
import type { Runtime } from '../runtime';
import type { Db } from '../store/database';
import { AnnouncingOverlayDriver } from './announcing-driver';
import { ClusterService } from './cluster.service';
import { ClusterStore } from './cluster-store';
import { globalNetworks } from './global-networks';

/**
 * The overlay driver and the cluster service, built before the runtime (the driver goes into the
 * driver set) and bound to it after (the service needs the runtime's store and IPAM).
 */
export function clusterParts(kernel: { netlink: Netlink; firewall: Firewall; sysctl: Sysctl }, hostNs: NetnsRef, log: Logger, db: Db) {
  const clusterStore = new ClusterStore(db);
  let cluster: ClusterService | undefined;
  const inner = new OverlayDriver({ ...kernel, hostNs, logger: log.child({ component: 'overlay' }), vtep: () => cluster?.vtep() });
  const driver = new AnnouncingOverlayDriver(inner, () => cluster);
  const bind = (rt: Runtime): ClusterService => {
    cluster = new ClusterService({ store: rt.store, ipam: rt.ipam, clusterStore, driver: inner, log: log.child({ component: 'cluster' }), dns: () => rt.dns });
    rt.cluster = cluster;
    rt.networks.useGlobalNetworks(globalNetworks(() => cluster));
    return cluster;
  };
  return { driver, bind };
}
