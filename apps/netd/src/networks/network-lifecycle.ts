import { ConflictError } from '@app/common';
import type { NetworkDriver } from '@app/drivers/driver-api';
import type { AllocatedPool, Ipam, PoolRequest } from '@app/ipam/ipam.contract';
import { subnetsByFamily } from '@app/ipam/subnets';
import type { NetworkRecord, StateStore } from '../store/state-store';

/** How a reserve treats a name another network has. */
export interface NameCheck {
  readonly allowDuplicate?: boolean;
  /** Where the duplicate-name warning goes. */
  readonly warnings?: string[];
}

export interface NetworkLifecycleDeps {
  store: StateStore;
  ipam: Ipam;
}

/**
 * The one path of a network's life, whatever its driver (a local create and a cluster network
 * arriving on this node alike): reserve — name check, pools and the record in state `creating`, in
 * one transaction — then the driver's kernel work, then finish (state `active`); release — pools
 * and record, in one transaction — undoes a reserve or ends a deletion. A crash between reserve
 * and finish leaves a `creating` record, which the reconciler releases at the next start.
 */
export class NetworkLifecycle {
  private readonly ipam: Ipam;
  private readonly store: StateStore;

  constructor(deps: NetworkLifecycleDeps) {
    this.ipam = deps.ipam;
    this.store = deps.store;
  }

  /**
   * Reserve, bring the network up with `driver`, finish. When the driver fails, its work, the
   * pools and the record are undone and the failure is rethrown. `record` is in state `creating`
   * with no pools yet; it leaves with its pools and IPAM config filled in.
   * `names`: see {@link reserve}.
   */
  async create<Opts>(
    record: NetworkRecord,
    requests: readonly PoolRequest[],
    driver: Pick<NetworkDriver<Opts>, 'createNetwork' | 'deleteNetwork'>,
    options: Opts,
    names: NameCheck = {},
  ): Promise<void> {
    const pools = this.reserve(record, requests, names);
    try {
      await driver.createNetwork({
        networkId: record.id,
        name: record.name,
        options,
        internal: record.internal,
        enableIpv6: record.enableIpv6,
        ...subnetsByFamily(pools),
      });
    } catch (e) {
      await driver.deleteNetwork(record.id).catch(() => undefined);
      this.release(record);
      throw e;
    }
    this.finish(record.id);
  }

  /**
   * One transaction: name check, pools, record (state `creating`). The in-memory IPAM is
   * compensated on rollback. A taken name is a conflict unless `names.allowDuplicate` (dockerd's
   * CheckDuplicate unset), which adds Docker's warning to `names.warnings` instead.
   */
  reserve(record: NetworkRecord, requests: readonly PoolRequest[], names: NameCheck = {}): AllocatedPool[] {
    const pools: AllocatedPool[] = [];
    try {
      this.store.transaction(() => {
        const taken = this.store.networkByName(record.name);
        if (taken && !names.allowDuplicate) throw new ConflictError(`network with name ${record.name} already exists`);
        if (taken) names.warnings?.push(`Network with name ${taken.name} (id : ${taken.id}) already exists`);
        for (const r of requests) pools.push(this.ipam.requestPool(record.id, r));
        record.poolIds = pools.map((p) => p.poolId);
        record.ipam.config = pools.map((p, i) => ipamConfigOf(p, requests[i]));
        record.state = 'creating';
        this.store.insertNetwork(record);
      });
    } catch (e) {
      for (const p of pools) {
        try {
          this.ipam.releasePool(p.poolId);
        } catch {
          // already gone: nothing to compensate
        }
      }
      record.poolIds = [];
      record.ipam.config = [];
      throw e;
    }
    return pools;
  }

  /** The driver's work is done: the network is usable. */
  finish(networkId: string): void {
    this.store.setNetworkState(networkId, 'active');
  }

  /** Pools and record, in one transaction (after the driver's teardown, or to undo a reserve). */
  release(record: NetworkRecord): void {
    this.store.transaction(() => {
      for (const poolId of record.poolIds) if (this.ipam.getPool(poolId)) this.ipam.releasePool(poolId);
      this.store.deleteNetwork(record.id);
    });
  }
}

function ipamConfigOf(p: AllocatedPool, r: PoolRequest): NetworkRecord['ipam']['config'][number] {
  const aux = Object.fromEntries(Object.entries(p.auxAddresses).map(([k, v]) => [k, v.toString()]));
  return {
    Subnet: p.subnet.toString(),
    ...(p.ipRange && r.ipRange ? { IPRange: p.ipRange.toString() } : {}),
    ...(p.gateway ? { Gateway: p.gateway.toString() } : {}),
    ...(Object.keys(aux).length > 0 ? { AuxiliaryAddresses: aux } : {}),
  };
}
