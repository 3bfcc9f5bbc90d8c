import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Per-node identity. A node's id is its Ed25519 public key (the one its Noise connections use),
 * and every record it writes is signed with that key (./record-signature). The cluster key only
 * admits a node: the admission is an HMAC of the node's key under the cluster key, which only a
 * holder of the key can make, carried by every record next to the owner's signature.
 */
const ADMISSION_LABEL = Buffer.from('netd-cluster-admission-v1');

export function admissionOf(clusterKey: Uint8Array, nodeKey: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha256', clusterKey).update(ADMISSION_LABEL).update(nodeKey).digest());
}

export function checkAdmission(clusterKey: Uint8Array, nodeKey: Uint8Array, admission: Uint8Array): boolean {
  const expected = admissionOf(clusterKey, nodeKey);
  return admission.length === expected.length && timingSafeEqual(admission, expected);
}

/** Short fingerprint of a public key, as `cluster inspect` shows it: `SHA256:` + 16 hex characters. */
export function fingerprint(publicKey: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(publicKey).digest('hex').slice(0, 16)}`;
}
