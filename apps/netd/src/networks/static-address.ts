import { ConflictError, InvalidParameterError, IpAddr } from '@app/common';
import type { Ipam } from '@app/ipam/ipam.contract';
import type { NetworkRecord } from '../store/state-store';

/**
 * The pool of `family` on network `n`, and the user's static address (`--ip`/`--ip6`,
 * IPAMConfig.IPv4Address/IPv6Address) checked as Docker checks it, with Docker's messages.
 * Used at container create and at connect, so a bad address is refused before anything exists
 * (an address another container holds now is refused at create too; one a stopped container will
 * want again is only found taken at start, as with Docker).
 */
export function checkStaticAddress(
  n: NetworkRecord,
  ipam: Pick<Ipam, 'getPool' | 'checkAddress'>,
  family: 4 | 6,
  raw: string | undefined,
): { poolId?: string; wanted?: IpAddr } {
  const poolId = n.poolIds.find((id) => ipam.getPool(id)?.subnet.family === family);
  if (!raw) return { poolId };
  const wanted = IpAddr.tryParse(raw);
  if (!wanted || wanted.family !== family) throw new InvalidParameterError(`invalid IPv${family} address: ${raw}`);
  if (!n.userSubnet) {
    throw new InvalidParameterError('user specified IP address is supported only when connecting to networks with user configured subnets');
  }
  const pool = poolId ? ipam.getPool(poolId) : undefined;
  if (!pool || !pool.subnet.contains(wanted)) {
    throw new InvalidParameterError(`Invalid address ${wanted}: It does not belong to any of this network's subnets.`);
  }
  if (pool.gateway?.equals(wanted)) throw new ConflictError('Address already in use.');
  // the network and broadcast addresses, aux addresses, and addresses held by running containers
  ipam.checkAddress(poolId!, wanted);
  return { poolId, wanted };
}
