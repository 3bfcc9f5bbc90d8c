import { createHash } from 'node:crypto';
import { InvalidParameterError, IpAddr, Prefix } from '@app/common';

/**
 * Choose a free block of `subnet` (blocks of /`blockLength`). Nodes start probing at a point derived
 * from their own id, so nodes leasing at the same moment mostly pick different blocks and the
 * confirmation round rarely has to break a tie. Pure. Returns undefined when every block is taken.
 */
export function pickBlock(subnet: Prefix, blockLength: number, taken: ReadonlySet<string>, seed: string): Prefix | undefined {
  const count = 1n << BigInt(blockLength - subnet.length);
  const step = 1n << BigInt(subnet.address.bits - blockLength);
  const start = BigInt('0x' + createHash('sha256').update(seed).digest('hex').slice(0, 16)) % count;
  for (let i = 0n; i < count; i++) {
    const block = Prefix.of(subnet.nth(((start + i) % count) * step), blockLength);
    if (!taken.has(block.toString())) return block;
  }
  return undefined;
}

/** Fewest blocks a subnet is cut into when it is large enough: room for hosts that join later. */
const MIN_BLOCKS = 32;
/** Blocks never exceed a /24: a /16 gives 256 hosts a block each, and one host rarely needs more. */
const LARGEST_BLOCK = 24;
/** Blocks never go below a /29 (8 addresses): smaller ones spend most addresses on leases. */
const SMALLEST_BLOCK = 29;

/**
 * The block length of a new network: enough blocks for four per known host and at least
 * {@link MIN_BLOCKS}, each between a /24 and a /29 when the subnet allows (a /24 gives /29s: 32
 * blocks of 8 addresses, so at least 16 hosts get one and a busy host takes more as it fills them).
 * A subnet smaller than a /29 is one block. IPv4 only, like the overlays.
 */
export function blockLengthFor(subnet: Prefix, hosts: number): number {
  if (subnet.family !== 4) throw new InvalidParameterError('overlay networks are IPv4 only in netd');
  const wanted = Math.max(MIN_BLOCKS, 4 * Math.max(1, hosts));
  const bits = Math.ceil(Math.log2(wanted));
  const length = Math.min(Math.max(subnet.length + bits, LARGEST_BLOCK), SMALLEST_BLOCK);
  return Math.max(subnet.length, length);
}

/** The block of /`blockLength` that holds `address`. */
export function blockOf(blockLength: number, address: IpAddr): Prefix {
  return Prefix.of(address, blockLength).network();
}
