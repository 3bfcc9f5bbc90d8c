import { createHash, createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { InvalidParameterError, IpAddr } from '@app/common';
import { CLUSTER_KEY_BYTES } from './auth';

/**
 * Cluster secrets and join tokens. `cluster init` makes a secret key and this node's identity and
 * prints a token; `cluster join <token>` parses it. A token is base64url(JSON) of
 * `{ v: 1, key: <base64url 32 bytes>, bootstrap: ["ip:port", …], peers?: [<base64url 32 bytes>, …] }`:
 * the key both names the topic and authenticates connections, so the token is a secret. `peers`
 * (the issuing node and the members it saw alive) are dialled directly on join: a topic lookup may
 * first offer the stale announcements of nodes that have left, and cost seconds.
 */
export interface DhtAddress {
  readonly host: string;
  readonly port: number;
}

export interface ClusterToken {
  readonly key: Uint8Array;
  readonly bootstrap: readonly DhtAddress[];
  /** Node public keys (32 bytes each) to dial at join; absent in older tokens. */
  readonly peers?: readonly Uint8Array[];
}

/** A node's long-lived Noise key pair, in libsodium layout (secretKey = seed ‖ publicKey). */
export interface NodeIdentity {
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

const TOKEN_VERSION = 1;
const MAX_BOOTSTRAP = 64;
const MAX_PEERS = 64;
const MAX_TOKEN_LENGTH = 8192;
// DER prefix of a PKCS#8 ed25519 private key; the 32-byte seed follows.
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

export function createClusterKey(): Uint8Array {
  return new Uint8Array(randomBytes(CLUSTER_KEY_BYTES));
}

/** The 32-byte hyperswarm topic of a cluster (a hash, so the topic does not reveal the key). */
export function clusterTopic(key: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update('netd-cluster-topic-v1').update(key).digest());
}

/** The same key pair hyperdht's `DHT.keyPair(seed)` derives (ed25519), without loading sodium. */
export function createNodeIdentity(seed: Uint8Array = randomBytes(32)): NodeIdentity {
  if (seed.length !== 32) throw new InvalidParameterError('node identity seed must be 32 bytes');
  const priv = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const jwk = createPublicKey(priv).export({ format: 'jwk' });
  const publicKey = new Uint8Array(Buffer.from(jwk.x as string, 'base64url'));
  return { seed: Uint8Array.from(seed), publicKey, secretKey: new Uint8Array(Buffer.concat([seed, publicKey])) };
}

export function encodeToken(token: ClusterToken): string {
  validateKey(token.key);
  const bootstrap = token.bootstrap.map(formatAddress);
  const peers = token.peers?.slice(0, MAX_PEERS).map((p) => {
    validatePeer(p);
    return Buffer.from(p).toString('base64url');
  });
  const json = { v: TOKEN_VERSION, key: Buffer.from(token.key).toString('base64url'), bootstrap, ...(peers?.length ? { peers } : {}) };
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}

/** Parse and validate a join token. Throws InvalidParameterError with what is wrong. */
export function parseToken(text: string): ClusterToken {
  if (typeof text !== 'string' || text.length === 0 || text.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(text.trim())) {
    throw new InvalidParameterError('invalid cluster token: not base64url');
  }
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(text.trim(), 'base64url').toString('utf8'));
  } catch {
    throw new InvalidParameterError('invalid cluster token: not JSON');
  }
  if (typeof json !== 'object' || json === null) throw new InvalidParameterError('invalid cluster token: not an object');
  const { v, key, bootstrap, peers } = json as Record<string, unknown>;
  if (v !== TOKEN_VERSION) throw new InvalidParameterError(`invalid cluster token: unsupported version ${String(v)}`);
  if (typeof key !== 'string') throw new InvalidParameterError('invalid cluster token: missing key');
  const keyBytes = new Uint8Array(Buffer.from(key, 'base64url'));
  validateKey(keyBytes);
  if (!Array.isArray(bootstrap) || bootstrap.length === 0 || bootstrap.length > MAX_BOOTSTRAP) {
    throw new InvalidParameterError(`invalid cluster token: bootstrap must list 1..${MAX_BOOTSTRAP} addresses`);
  }
  if (peers !== undefined && (!Array.isArray(peers) || peers.length > MAX_PEERS || !peers.every((p) => typeof p === 'string'))) {
    throw new InvalidParameterError(`invalid cluster token: peers must list at most ${MAX_PEERS} keys`);
  }
  const peerKeys = (peers as string[] | undefined)?.map((p) => {
    const bytes = new Uint8Array(Buffer.from(p, 'base64url'));
    validatePeer(bytes);
    return bytes;
  });
  return { key: keyBytes, bootstrap: bootstrap.map((a) => parseAddress(a)), ...(peerKeys ? { peers: peerKeys } : {}) };
}

function validatePeer(key: Uint8Array): void {
  if (key.length !== 32) throw new InvalidParameterError('invalid cluster token: a peer key must be 32 bytes');
}

/** Parse `ip:port` (IPv6 as `[addr]:port`). Host names are refused: a token names addresses. */
export function parseAddress(text: unknown): DhtAddress {
  const m = typeof text === 'string' ? /^(?:\[([0-9a-fA-F:.]+)\]|([0-9.]+)):([0-9]{1,5})$/.exec(text) : null;
  const host = m ? IpAddr.tryParse(m[1] ?? m[2]) : undefined;
  const port = m ? Number(m[3]) : 0;
  if (!host || port < 1 || port > 65535) throw new InvalidParameterError(`invalid bootstrap address: ${JSON.stringify(text)}`);
  return { host: host.toString(), port };
}

export function formatAddress(a: DhtAddress): string {
  const ip = IpAddr.tryParse(a.host);
  if (!ip || !Number.isInteger(a.port) || a.port < 1 || a.port > 65535) {
    throw new InvalidParameterError(`invalid bootstrap address: ${a.host}:${a.port}`);
  }
  return ip.family === 6 ? `[${ip}]:${a.port}` : `${ip}:${a.port}`;
}

function validateKey(key: Uint8Array): void {
  if (key.length !== CLUSTER_KEY_BYTES) throw new InvalidParameterError(`invalid cluster token: key must be ${CLUSTER_KEY_BYTES} bytes`);
}
