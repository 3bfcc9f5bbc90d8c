import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { InvalidParameterError, IpAddr, MacAddr, Prefix, isFullId } from '@app/common';
import * as pb from '@app/proto';

/**
 * Typed cluster records and their codec. Everything a peer sends is untrusted: {@link decodeRecord}
 * parses every field into value types and rejects garbage with InvalidParameterError, so nothing past
 * this file ever sees a raw string from the wire (libnetwork's UnmarshalPeerRecord, stricter).
 */

/** A node's identity: its Noise (ed25519) public key as 64 lowercase hex characters. */
export type NodeId = string;

export interface NodeInfo {
  readonly name: string;
  readonly advertiseAddr: IpAddr;
  readonly dhtPort: number;
}

export interface NetworkDef {
  readonly id: string;
  readonly name: string;
  readonly subnet: Prefix;
  readonly gateway?: IpAddr;
  readonly vni: number;
  /** Prefix length of the blocks each node leases from `subnet`. */
  readonly blockLength: number;
  readonly internal: boolean;
  readonly attachable: boolean;
  readonly options: Readonly<Record<string, string>>;
}

export interface NetworkDeletion {
  readonly networkId: string;
}

export interface Lease {
  readonly networkId: string;
  readonly block: Prefix;
  readonly confirmed: boolean;
  /** Set when this lease reclaims a dead node's block: that node's lease up to `version` is void. */
  readonly supersedes?: { readonly owner: NodeId; readonly version: bigint };
}

/**
 * A cluster-wide unique resource a network takes, confirmed by a majority like a lease:
 * `name:<network name>` or `vni:<number>`. Void once the network is deleted. Also the changes of
 * the voter set: `voter`, the owner's admission (its own node id in `networkId`), and
 * `voter-removal:<node id>`, a revoked voter's removal (that node's id in `networkId`).
 */
export interface Claim {
  readonly resource: string;
  readonly networkId: string;
  readonly confirmed: boolean;
}

export interface EndpointRecord {
  readonly networkId: string;
  readonly endpointId: string;
  readonly name: string;
  readonly aliases: readonly string[];
  readonly ip: IpAddr;
  readonly mac: MacAddr;
  readonly vtep: IpAddr;
}

/**
 * A node removed from the cluster. Its records go everywhere and its key is refused from then on,
 * except the networks, network deletions and claims it wrote up to `upTo` (a network it created
 * outlives it). Never withdrawn.
 */
export interface Revocation {
  readonly node: NodeId;
  readonly upTo: bigint;
}

/**
 * A rotation of the cluster key by the record's owner (see ./key-rotation): the new key of `epoch`,
 * sealed to each member's node key. `fingerprint` is the key's SHA-256, never the key.
 */
export interface KeyRotation {
  readonly epoch: number;
  readonly fingerprint: Uint8Array;
  readonly sealed: readonly SealedKey[];
}

export interface SealedKey {
  readonly node: NodeId;
  readonly box: Uint8Array;
}

export type RecordBody =
  | { readonly type: 'node'; readonly node: NodeInfo }
  | { readonly type: 'network'; readonly network: NetworkDef }
  | { readonly type: 'network-deletion'; readonly deletion: NetworkDeletion }
  | { readonly type: 'lease'; readonly lease: Lease }
  | { readonly type: 'endpoint'; readonly endpoint: EndpointRecord }
  | { readonly type: 'claim'; readonly claim: Claim }
  | { readonly type: 'revocation'; readonly revocation: Revocation }
  | { readonly type: 'cluster-key'; readonly rotation: KeyRotation };

/** The versioned envelope: only `owner` writes (owner, key); the highest `version` wins. */
export interface PeerRecord {
  readonly owner: NodeId;
  readonly key: string;
  readonly version: bigint;
  readonly tombstone: boolean;
  readonly body: RecordBody;
  /** The owner's Ed25519 signature (see ./record-signature); absent only on records not yet signed. */
  readonly signature?: Uint8Array;
  /** The owner's admission (HMAC of its key under the cluster key, see ./identity). */
  readonly admission?: Uint8Array;
}

export const MIN_VNI = 4096;
export const MAX_VNI = 2 ** 24 - 1;
const MAX_VERSION = 2n ** 63n - 1n;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const HOST_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/;
const MAX_ALIASES = 32;
const MAX_OPTIONS = 64;
/** A sealed 32-byte key: the X25519 ephemeral public key, the key, the MAC (crypto_box_seal). */
export const SEALED_KEY_BYTES = 32 + 48;
const MAX_SEALED = 1024;

/** The record key a body is stored under; a decoded record whose key differs is rejected. */
export function keyOf(body: RecordBody): string {
  switch (body.type) {
    case 'node':
      return 'node';
    case 'network':
      return `network/${body.network.id}`;
    case 'network-deletion':
      return `network-deleted/${body.deletion.networkId}`;
    case 'lease':
      return `lease/${body.lease.networkId}/${body.lease.block}`;
    case 'endpoint':
      return `endpoint/${body.endpoint.networkId}/${body.endpoint.endpointId}`;
    case 'claim':
      return `claim/${body.claim.resource}`;
    case 'revocation':
      return `revoked/${body.revocation.node}`;
    case 'cluster-key':
      return 'cluster-key';
  }
}

export const nameResource = (name: string) => `name:${name}`;
/**
 * A node's admission as a voter: its claim of this resource (key `claim/voter`, network id = its
 * own id) is confirmed by a majority of the voters before it counts (see GossipDiscovery.voters).
 */
export const VOTER_RESOURCE = 'voter';
export const VOTER_KEY = `claim/${VOTER_RESOURCE}`;
/** A revoked voter's removal from the voter set, claimed by the member that revoked it (network id = that node's id). */
export const REMOVAL_PREFIX = 'voter-removal:';
export const removalResource = (node: NodeId) => `${REMOVAL_PREFIX}${node}`;
export const vniResource = (vni: number) => `vni:${vni}`;

export function nodeIdOf(bytes: Uint8Array): NodeId {
  if (!(bytes instanceof Uint8Array) || bytes.length !== 32) throw bad('node id must be 32 bytes');
  return Buffer.from(bytes).toString('hex');
}

export function nodeIdBytes(id: NodeId): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(id)) throw bad(`node id must be 64 hex characters: ${id}`);
  return new Uint8Array(Buffer.from(id, 'hex'));
}

/** Validate a body built locally the same way a received one is (round trip through the codec). */
export function validateBody(body: RecordBody): RecordBody {
  return decodeBody(encodeBody(body));
}

export function encodeRecord(r: PeerRecord): pb.Record {
  return create(pb.RecordSchema, {
    owner: nodeIdBytes(r.owner),
    key: r.key,
    version: r.version,
    tombstone: r.tombstone,
    body: encodeBody(r.body),
    signature: r.signature ?? new Uint8Array(0),
    admission: r.admission ?? new Uint8Array(0),
  });
}

/** Parse and validate a record received from a peer. Throws InvalidParameterError on any defect. */
export function decodeRecord(m: pb.Record): PeerRecord {
  const owner = nodeIdOf(m.owner);
  if (m.version < 1n || m.version > MAX_VERSION) throw bad(`version out of range: ${m.version}`);
  const body = decodeBody(m.body);
  const key = keyOf(body);
  if (m.key !== key) throw bad(`key ${JSON.stringify(m.key)} does not match its body (${key})`);
  if (m.signature.length !== 0 && m.signature.length !== 64) throw bad('signature must be 64 bytes');
  if (m.admission.length !== 0 && m.admission.length !== 32) throw bad('admission must be 32 bytes');
  return {
    owner, key, version: m.version, tombstone: m.tombstone, body,
    ...(m.signature.length ? { signature: new Uint8Array(m.signature) } : {}),
    ...(m.admission.length ? { admission: new Uint8Array(m.admission) } : {}),
  };
}

export function encodeFrame(frame: pb.Frame['msg']): Uint8Array {
  return toBinary(pb.FrameSchema, create(pb.FrameSchema, { msg: frame }));
}

/** Decode the protobuf layer only; records inside still go through {@link decodeRecord}. */
export function decodeFrame(bytes: Uint8Array): pb.Frame['msg'] {
  try {
    return fromBinary(pb.FrameSchema, bytes).msg;
  } catch (cause) {
    throw new InvalidParameterError('invalid peer frame: not a netd.cluster.v1.Frame', { cause });
  }
}

function encodeBody(body: RecordBody): pb.Record['body'] {
  switch (body.type) {
    case 'node': {
      const n = body.node;
      return { case: 'node', value: create(pb.NodeInfoSchema, { name: n.name, advertiseAddr: n.advertiseAddr.toString(), dhtPort: n.dhtPort }) };
    }
    case 'network': {
      const n = body.network;
      const value = create(pb.NetworkDefSchema, {
        id: n.id,
        name: n.name,
        subnet: n.subnet.toString(),
        gateway: n.gateway?.toString() ?? '',
        vni: n.vni,
        blockLength: n.blockLength,
        internal: n.internal,
        attachable: n.attachable,
        options: Object.fromEntries(Object.entries(n.options).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
      });
      return { case: 'network', value };
    }
    case 'network-deletion':
      return { case: 'networkDeletion', value: create(pb.NetworkDeletionSchema, { networkId: body.deletion.networkId }) };
    case 'lease': {
      const l = body.lease;
      const value = create(pb.LeaseSchema, {
        networkId: l.networkId,
        block: l.block.toString(),
        confirmed: l.confirmed,
        supersedesOwner: l.supersedes ? nodeIdBytes(l.supersedes.owner) : new Uint8Array(0),
        supersedesVersion: l.supersedes?.version ?? 0n,
      });
      return { case: 'lease', value };
    }
    case 'endpoint': {
      const e = body.endpoint;
      const value = create(pb.EndpointRecordSchema, {
        networkId: e.networkId,
        endpointId: e.endpointId,
        name: e.name,
        aliases: [...e.aliases],
        ip: e.ip.toString(),
        mac: e.mac.toString(),
        vtep: e.vtep.toString(),
      });
      return { case: 'endpoint', value };
    }
    case 'claim': {
      const c = body.claim;
      return { case: 'claim', value: create(pb.ClaimSchema, { resource: c.resource, networkId: c.networkId, confirmed: c.confirmed }) };
    }
    case 'revocation':
      return { case: 'revocation', value: create(pb.RevocationSchema, { node: nodeIdBytes(body.revocation.node), upTo: body.revocation.upTo }) };
    case 'cluster-key': {
      const k = body.rotation;
      // sorted by recipient, so the signed bytes do not depend on the order the sealer used
      const sealed = [...k.sealed].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
      const value = create(pb.ClusterKeySchema, {
        epoch: BigInt(k.epoch),
        fingerprint: k.fingerprint,
        sealed: sealed.map((s) => create(pb.SealedKeySchema, { node: nodeIdBytes(s.node), box: s.box })),
      });
      return { case: 'clusterKey', value };
    }
  }
}

function decodeBody(b: pb.Record['body']): RecordBody {
  switch (b.case) {
    case 'node': {
      const n = b.value;
      if (!HOST_RE.test(n.name)) throw bad(`invalid node name: ${JSON.stringify(n.name)}`);
      if (n.dhtPort < 1 || n.dhtPort > 65535) throw bad(`invalid DHT port: ${n.dhtPort}`);
      return { type: 'node', node: { name: n.name, advertiseAddr: ip(n.advertiseAddr, 'advertise address'), dhtPort: n.dhtPort } };
    }
    case 'network':
      return { type: 'network', network: decodeNetwork(b.value) };
    case 'networkDeletion':
      return { type: 'network-deletion', deletion: { networkId: id(b.value.networkId, 'network id') } };
    case 'lease': {
      const l = b.value;
      const block = subnet(l.block, 'lease block');
      let supersedes: Lease['supersedes'];
      if (l.supersedesOwner.length > 0) {
        if (l.supersedesVersion < 1n || l.supersedesVersion > MAX_VERSION) throw bad('invalid superseded version');
        supersedes = { owner: nodeIdOf(l.supersedesOwner), version: l.supersedesVersion };
      } else if (l.supersedesVersion !== 0n) {
        throw bad('superseded version without owner');
      }
      return { type: 'lease', lease: { networkId: id(l.networkId, 'network id'), block, confirmed: l.confirmed, supersedes } };
    }
    case 'endpoint': {
      const e = b.value;
      if (!NAME_RE.test(e.name)) throw bad(`invalid endpoint name: ${JSON.stringify(e.name)}`);
      if (e.aliases.length > MAX_ALIASES) throw bad(`too many aliases: ${e.aliases.length}`);
      for (const a of e.aliases) if (!NAME_RE.test(a)) throw bad(`invalid alias: ${JSON.stringify(a)}`);
      const endpoint: EndpointRecord = {
        networkId: id(e.networkId, 'network id'),
        endpointId: id(e.endpointId, 'endpoint id'),
        name: e.name,
        aliases: [...e.aliases],
        ip: ip(e.ip, 'endpoint IP'),
        mac: mac(e.mac),
        vtep: ip(e.vtep, 'VTEP'),
      };
      return { type: 'endpoint', endpoint };
    }
    case 'claim': {
      const c = b.value;
      const name = /^name:(.*)$/s.exec(c.resource)?.[1];
      const vni = /^vni:([0-9]{1,8})$/.exec(c.resource)?.[1];
      const removed = /^voter-removal:([0-9a-f]{64})$/.exec(c.resource)?.[1];
      if (c.resource === VOTER_RESOURCE || removed !== undefined) return { type: 'claim', claim: { resource: c.resource, networkId: id(c.networkId, 'node id'), confirmed: c.confirmed } };
      if (name !== undefined ? !NAME_RE.test(name) : vni === undefined || Number(vni) < MIN_VNI || Number(vni) > MAX_VNI || String(Number(vni)) !== vni) {
        throw bad(`invalid claim: ${JSON.stringify(c.resource.slice(0, 80))}`);
      }
      return { type: 'claim', claim: { resource: c.resource, networkId: id(c.networkId, 'network id'), confirmed: c.confirmed } };
    }
    case 'revocation': {
      if (b.value.upTo > MAX_VERSION) throw bad('revocation version out of range');
      return { type: 'revocation', revocation: { node: nodeIdOf(b.value.node), upTo: b.value.upTo } };
    }
    case 'clusterKey': {
      const k = b.value;
      if (k.epoch < 1n || k.epoch > BigInt(Number.MAX_SAFE_INTEGER)) throw bad(`cluster key epoch out of range: ${k.epoch}`);
      if (k.fingerprint.length !== 32) throw bad('cluster key fingerprint must be 32 bytes');
      if (k.sealed.length > MAX_SEALED) throw bad(`too many sealed keys: ${k.sealed.length}`);
      const seen = new Set<NodeId>();
      const sealed = k.sealed.map((s) => {
        const node = nodeIdOf(s.node);
        if (seen.has(node)) throw bad(`cluster key sealed twice to ${node}`);
        seen.add(node);
        if (s.box.length !== SEALED_KEY_BYTES) throw bad(`a sealed cluster key must be ${SEALED_KEY_BYTES} bytes`);
        return { node, box: new Uint8Array(s.box) };
      });
      return { type: 'cluster-key', rotation: { epoch: Number(k.epoch), fingerprint: new Uint8Array(k.fingerprint), sealed } };
    }
    default:
      throw bad('record has no body');
  }
}

function decodeNetwork(n: pb.NetworkDef): NetworkDef {
  if (!NAME_RE.test(n.name)) throw bad(`invalid network name: ${JSON.stringify(n.name)}`);
  const sub = subnet(n.subnet, 'subnet');
  const gateway = n.gateway === '' ? undefined : ip(n.gateway, 'gateway');
  if (gateway && !sub.contains(gateway)) throw bad(`gateway ${gateway} outside ${sub}`);
  if (n.vni < MIN_VNI || n.vni > MAX_VNI) throw bad(`VNI out of range ${MIN_VNI}..${MAX_VNI}: ${n.vni}`);
  const maxBlock = sub.family === 4 ? 30 : 126;
  if (n.blockLength < sub.length || n.blockLength > maxBlock) throw bad(`block length /${n.blockLength} does not fit ${sub}`);
  const entries = Object.entries(n.options);
  if (entries.length > MAX_OPTIONS) throw bad(`too many options: ${entries.length}`);
  for (const [k, v] of entries) if (k.length === 0 || k.length > 256 || v.length > 1024) throw bad(`invalid option ${JSON.stringify(k.slice(0, 64))}`);
  return {
    id: id(n.id, 'network id'),
    name: n.name,
    subnet: sub,
    gateway,
    vni: n.vni,
    blockLength: n.blockLength,
    internal: n.internal,
    attachable: n.attachable,
    options: Object.fromEntries(entries),
  };
}

function id(text: string, what: string): string {
  if (!isFullId(text)) throw bad(`invalid ${what}: ${JSON.stringify(text.slice(0, 80))}`);
  return text;
}

function ip(text: string, what: string): IpAddr {
  const a = IpAddr.tryParse(text);
  if (!a) throw bad(`invalid ${what}: ${JSON.stringify(text.slice(0, 80))}`);
  return a;
}

function mac(text: string): MacAddr {
  try {
    return MacAddr.parse(text);
  } catch {
    throw bad(`invalid MAC address: ${JSON.stringify(text.slice(0, 80))}`);
  }
}

function subnet(text: string, what: string): Prefix {
  const p = Prefix.tryParse(text);
  if (!p || !p.isNetwork) throw bad(`invalid ${what}: ${JSON.stringify(text.slice(0, 80))}`);
  return p;
}

function bad(message: string): InvalidParameterError {
  return new InvalidParameterError(`invalid peer record: ${message}`);
}
