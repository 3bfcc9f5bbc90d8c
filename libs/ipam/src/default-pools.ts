import { createHash } from 'node:crypto';
import { IpAddr, Prefix } from '@app/common';

/** One entry of dockerd's `default-address-pools`: `base` is split into subnets of `/size`. */
export interface PoolSpec {
  readonly base: Prefix;
  readonly size: number;
}

const spec = (base: string, size: number): PoolSpec => ({ base: Prefix.parse(base), size });

/**
 * Docker's local defaults (libnetwork ipamutils): 172.17-19 as /16s, 172.20/14, 172.24/14 and
 * 172.28/14 split into /16s, then 192.168/16 split into /20s: 15 + 16 = 31 networks. The first,
 * 172.17.0.0/16, goes to the default bridge because it is requested first.
 */
export const DEFAULT_LOCAL_POOLS: readonly PoolSpec[] = [
  spec('172.17.0.0/16', 16),
  spec('172.18.0.0/16', 16),
  spec('172.19.0.0/16', 16),
  spec('172.20.0.0/14', 16),
  spec('172.24.0.0/14', 16),
  spec('172.28.0.0/14', 16),
  spec('192.168.0.0/16', 20),
];

/** Docker's global (swarm/overlay) default: 10.0.0.0/8 split into /24s. */
export const DEFAULT_GLOBAL_POOLS: readonly PoolSpec[] = [spec('10.0.0.0/8', 24)];

/** Size of the IPv6 subnets handed out from the host's ULA /48. */
export const ULA_SUBNET_SIZE = 64;

/**
 * The host's ULA /48, as dockerd derives it (deriveULABaseNetwork): the 40 low bits of the first
 * 8 bytes of SHA-256(hostId) after `fd`. Stable across restarts for one host id.
 */
export function ulaPrefix(hostId: string): Prefix {
  const sha = createHash('sha256').update(hostId).digest();
  const bytes = new Uint8Array(16);
  bytes[0] = 0xfd;
  bytes.set(sha.subarray(3, 8), 1);
  return Prefix.of(IpAddr.fromBytes(bytes), 48);
}
