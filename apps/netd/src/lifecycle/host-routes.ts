import type { Ipam } from '@app/ipam/ipam.contract';
import type { Netlink, NetnsRef, RouteWatch } from '@app/kernel';

/**
 * The host namespace's routes, which new pools must avoid, kept in IPAM as they change. Every
 * network create asks first; with a route watch that costs a round trip and the changes since
 * the last ask, where a dump of every route grew with every network (≈ 5 routes per bridge
 * across the main and local tables, 10 ms a create at 2,000 networks).
 * Routes of netd's own bridges go to IPAM too: equal to their pool's subnet, they add nothing
 * while the pool exists, and block the subnet after its release until the route is gone.
 */
export class HostRoutes {
  private watch?: Promise<RouteWatch>;

  private readonly ipam: Ipam;
  private readonly netlink: Netlink;
  private readonly hostNs: NetnsRef;

  constructor(deps: { ipam: Ipam; netlink: Netlink; hostNs: NetnsRef }) {
    this.ipam = deps.ipam;
    this.netlink = deps.netlink;
    this.hostNs = deps.hostNs;
  }

  async refresh(): Promise<void> {
    if (!this.watch) {
      const { ipam } = this;
      const opening = this.netlink.watchRouteDestinations(this.hostNs, {
        reset: (dsts) => ipam.setHostRoutes(dsts),
        add: (dst) => ipam.addHostRoute(dst),
        remove: (dst) => ipam.removeHostRoute(dst),
      });
      this.watch = opening;
      // A failed start is tried again by the next refresh.
      opening.catch(() => (this.watch === opening ? (this.watch = undefined) : undefined));
    }
    await (await this.watch).sync();
  }

  close(): void {
    const w = this.watch;
    this.watch = undefined;
    w?.then((x) => x.close(), () => undefined);
  }
}
