import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Connection authentication. The hyperswarm topic is derived from the cluster key, but a topic is
 * only a rendezvous: anyone who learns it can connect. So each side of every connection proves that
 * it knows the key with an HMAC over both Noise public keys of that very connection (sorted, so both
 * sides compute the same input). The proof cannot be replayed on another connection, because another
 * connection has other keys, and it reveals nothing about the key.
 */
const LABEL = Buffer.from('netd-cluster-v1');

export const CLUSTER_KEY_BYTES = 32;
export const PROTOCOL_VERSION = 1;

export function connectionProof(clusterKey: Uint8Array, a: Uint8Array, b: Uint8Array): Uint8Array {
  const [lo, hi] = Buffer.compare(Buffer.from(a), Buffer.from(b)) <= 0 ? [a, b] : [b, a];
  return new Uint8Array(createHmac('sha256', clusterKey).update(LABEL).update(lo).update(hi).digest());
}

export function verifyProof(clusterKey: Uint8Array, a: Uint8Array, b: Uint8Array, proof: Uint8Array): boolean {
  const expected = connectionProof(clusterKey, a, b);
  return proof.length === expected.length && timingSafeEqual(proof, expected);
}
