import { ForbiddenError, InvalidParameterError, UnavailableError, type IpAddr } from '@app/common';
import type { CreateNetworkInput } from '../networks/networks.service';
import type { ClusterService } from './cluster.service';

/**
 * Networks of global-scope drivers (overlay) as the Engine API's networks service hands them over:
 * they are defined cluster-wide, not locally, and appear on this node (and every other) when the
 * cluster state carries them. Outside a cluster the answer is Docker's 403 for overlay without swarm.
 */
export interface GlobalNetworks {
  create(driver: string, input: CreateNetworkInput): Promise<{ Id: string; Warning: string }>;
  delete(networkId: string): void;
  /**
   * The address for a new endpoint of this node (undefined: take the static one the caller has,
   * after its block was leased). Runs under the network's lock. Unavailable when none can be had.
   */
  address(networkId: string, poolId: string, raw?: string): Promise<IpAddr | undefined>;
  /** An endpoint of this node released its address: blocks left empty go back to the cluster. */
  released(networkId: string): void;
  /** netd's own inspect field: which blocks of the subnet each node holds. */
  blocks(networkId: string): { Node: string; Name: string; Blocks: string[] }[];
}

export const NOT_IN_CLUSTER =
  'This node is not part of a cluster. Use "netctl cluster init" or "netctl cluster join" to connect this node to a cluster and try again.';

export function globalNetworks(cluster: ClusterService | undefined): GlobalNetworks {
  const active = (): ClusterService => {
    const c = cluster;
    if (!c?.active) throw new ForbiddenError(NOT_IN_CLUSTER);
    return c;
  };
  return {
    async create(driver, input) {
      const c = active();
      if (driver !== c.driverType) throw new ForbiddenError(`${driver} networks are not supported by netd clusters`);
      const configs = input.ipam?.config ?? [];
      if (input.enableIpv6) throw new InvalidParameterError('overlay networks are IPv4 only in netd');
      if (configs.length !== 1 || !configs[0].Subnet) throw new InvalidParameterError('an overlay network needs exactly one IPv4 subnet (--subnet)');
      if (configs[0].IPRange || configs[0].AuxiliaryAddresses) throw new InvalidParameterError('overlay networks take no --ip-range or --aux-address: each node leases blocks of the subnet');
      // Validates the driver options (unknown keys, encryption) before anything is published.
      const options = c.parseOverlayOptions(input.options ?? {});
      if (options.vni !== undefined || options.mtu !== undefined) throw new InvalidParameterError('overlay networks take their VNI and MTU from the cluster');
      const res = await c.createNetwork({ name: input.name, subnet: configs[0].Subnet, gateway: configs[0].Gateway, internal: input.internal, attachable: input.attachable });
      return { Id: res.Id, Warning: '' };
    },
    delete(networkId) {
      active().deleteNetwork(networkId);
    },
    address(networkId, poolId, raw) {
      const c = cluster;
      if (!c?.active) return Promise.reject(new UnavailableError(`network ${networkId}: this node is not connected to a cluster`));
      return c.addressFor(networkId, poolId, raw);
    },
    released(networkId) {
      cluster?.releaseEmptyBlocks(networkId);
    },
    blocks(networkId) {
      return cluster?.blockHolders(networkId) ?? [];
    },
  };
}
