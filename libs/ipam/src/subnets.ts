import type { IpAddr, Prefix } from '@app/common';
import type { AllocatedPool } from './ipam.contract';

/** A pool as a driver sees it: the subnet and its gateway. */
export interface PoolSubnet {
  readonly subnet: Prefix;
  readonly gateway?: IpAddr;
}

/** A network's pools split by family, in their order, as a driver's create request takes them. */
export function subnetsByFamily(pools: readonly AllocatedPool[]): { ipv4: PoolSubnet[]; ipv6: PoolSubnet[] } {
  const of = (family: 4 | 6) => pools.filter((p) => p.subnet.family === family).map((p) => ({ subnet: p.subnet, gateway: p.gateway }));
  return { ipv4: of(4), ipv6: of(6) };
}
