import { createHash, timingSafeEqual } from 'node:crypto';
import sodium from 'sodium-native';
import { InvalidParameterError } from '@app/common';
import { CLUSTER_KEY_BYTES } from './auth';
import type { NodeIdentity } from './cluster-token';
import { type KeyRotation, type NodeId, type PeerRecord, SEALED_KEY_BYTES, nodeIdBytes } from './peer-record';

/**
 * Rotation of the cluster key. The cluster key only admits nodes (./identity), so a new one need
 * not reach anyone but the members: any member makes a key of the next epoch and writes one signed
 * record that carries the key sealed to each member's node key (libsodium's crypto_box_seal to the
 * X25519 form of its Ed25519 key; only that member's secret key opens it). The key is in no record
 * and no log in the clear; the record names it by its SHA-256.
 *
 * Every member takes the rotation with the highest (epoch, owner), so concurrent rotations end with
 * one key everywhere. Members already admitted stay admitted by their node key (the recipients of
 * the winning rotation), whichever key they still hold; a node that is not one of them must prove
 * the current key, so a leaked old key admits no one new.
 */
export type RotationRecord = PeerRecord & { readonly body: { readonly type: 'cluster-key'; readonly rotation: KeyRotation } };

/** The SHA-256 of a cluster key: what rotations name a key by (the key itself is secret). */
export function keyHash(key: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(key).digest());
}

/** `key` sealed to the member whose Ed25519 public key is `recipient`. */
export function sealKey(key: Uint8Array, recipient: Uint8Array): Uint8Array {
  if (key.length !== CLUSTER_KEY_BYTES) throw new InvalidParameterError(`a cluster key must be ${CLUSTER_KEY_BYTES} bytes`);
  const pk = Buffer.alloc(sodium.crypto_box_PUBLICKEYBYTES);
  try {
    sodium.crypto_sign_ed25519_pk_to_curve25519(pk, Buffer.from(recipient));
  } catch (cause) {
    throw new InvalidParameterError('cannot seal the cluster key to a node key that is not a valid Ed25519 point', { cause });
  }
  const box = Buffer.alloc(CLUSTER_KEY_BYTES + sodium.crypto_box_SEALBYTES);
  sodium.crypto_box_seal(box, Buffer.from(key), pk);
  return new Uint8Array(box);
}

/** Open a box sealed to this node; undefined if it was not sealed to it or was altered. */
export function openSealedKey(box: Uint8Array, identity: NodeIdentity): Uint8Array | undefined {
  if (box.length !== SEALED_KEY_BYTES) return undefined;
  const pk = Buffer.alloc(sodium.crypto_box_PUBLICKEYBYTES);
  const sk = Buffer.alloc(sodium.crypto_box_SECRETKEYBYTES);
  const key = Buffer.alloc(CLUSTER_KEY_BYTES);
  try {
    sodium.crypto_sign_ed25519_pk_to_curve25519(pk, Buffer.from(identity.publicKey));
    sodium.crypto_sign_ed25519_sk_to_curve25519(sk, Buffer.from(identity.secretKey));
    return sodium.crypto_box_seal_open(key, Buffer.from(box), pk, sk) ? new Uint8Array(key) : undefined;
  } catch {
    return undefined;
  } finally {
    sodium.sodium_memzero(sk);
    sodium.sodium_memzero(key);
  }
}

/** A rotation to `key` at `epoch`, sealed to each of `recipients` (node ids). */
export function makeRotation(key: Uint8Array, epoch: number, recipients: Iterable<NodeId>): KeyRotation {
  if (!Number.isSafeInteger(epoch) || epoch < 1) throw new InvalidParameterError(`invalid cluster key epoch ${epoch}`);
  const sealed = [...new Set(recipients)].sort().map((node) => ({ node, box: sealKey(key, nodeIdBytes(node)) }));
  return { epoch, fingerprint: keyHash(key), sealed };
}

export function isRotation(r: PeerRecord): r is RotationRecord {
  return r.body.type === 'cluster-key' && !r.tombstone;
}

/** The highest of two rotations: by epoch, then by owner id (the same choice on every node). */
export function compareRotations(a: RotationRecord, b: RotationRecord): number {
  const ea = a.body.rotation.epoch;
  const eb = b.body.rotation.epoch;
  if (ea !== eb) return ea < eb ? -1 : 1;
  return a.owner < b.owner ? -1 : a.owner > b.owner ? 1 : 0;
}

/** The rotation that decides the cluster key: the highest of all owners' latest ones. */
export function winningRotation(records: Iterable<PeerRecord>): RotationRecord | undefined {
  let best: RotationRecord | undefined;
  for (const r of records) if (isRotation(r) && (!best || compareRotations(r, best) > 0)) best = r;
  return best;
}

/** The key a rotation sealed to this node, checked against the rotation's fingerprint. */
export function keyFor(rotation: KeyRotation, identity: NodeIdentity, self: NodeId): Uint8Array | undefined {
  const mine = rotation.sealed.find((s) => s.node === self);
  const key = mine && openSealedKey(mine.box, identity);
  if (!key) return undefined;
  const hash = keyHash(key);
  return timingSafeEqual(hash, rotation.fingerprint) ? key : undefined;
}
