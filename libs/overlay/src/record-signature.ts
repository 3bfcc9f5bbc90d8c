import { type KeyObject, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { toBinary } from '@bufbuild/protobuf';
import { RecordSchema } from '@app/proto';
import { type NodeId, type PeerRecord, encodeRecord } from './peer-record';

/**
 * Records are signed by their owner with the node's own Ed25519 key (the key its node id is), and
 * every record received is verified against its owner id: the cluster key only admits a node to
 * the gossip, so without signatures any member could write (or relay altered) records in another
 * member's name. The signed bytes are the record's protobuf encoding with an empty signature;
 * encodeRecord is deterministic (map entries sorted), so a relayed record re-encodes identically.
 */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function signingBytes(r: PeerRecord): Uint8Array {
  return toBinary(RecordSchema, encodeRecord({ ...r, signature: undefined }));
}

/** A signer for this node's records, from its 32-byte identity seed. */
export function recordSigner(seed: Uint8Array): (r: PeerRecord) => Uint8Array {
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  return (r) => new Uint8Array(sign(null, signingBytes(r), key));
}

const publicKeys = new Map<NodeId, KeyObject>();

/** Whether `r` carries a valid signature of its owner. */
export function verifyRecord(r: PeerRecord): boolean {
  if (!r.signature || r.signature.length !== 64) return false;
  let key = publicKeys.get(r.owner);
  if (!key) {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, Buffer.from(r.owner, 'hex')]), format: 'der', type: 'spki' });
    if (publicKeys.size > 4096) publicKeys.clear();
    publicKeys.set(r.owner, key);
  }
  return verify(null, signingBytes(r), key, r.signature);
}
