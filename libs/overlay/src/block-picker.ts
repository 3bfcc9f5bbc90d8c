import { createHash } from 'node:crypto';
import { Prefix } from '@app/common';

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
