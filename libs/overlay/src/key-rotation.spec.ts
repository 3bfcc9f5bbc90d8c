import { IpAddr, MacAddr, Prefix, generateId } from '@app/common';
import { createClusterKey, createNodeIdentity } from './cluster-token';
import type { ClusterKeyState, RefusedRecord } from './gossip-discovery';
import { admissionOf, fingerprint } from './identity';
import { type RotationRecord, keyFor, keyHash, makeRotation, openSealedKey, sealKey, winningRotation } from './key-rotation';
import type { PeerEvent } from './peer-discovery.port';
import { type EndpointRecord, type PeerRecord, decodeRecord, encodeRecord, nodeIdOf } from './peer-record';
import { recordSigner } from './record-signature';
import { FakeDiscovery, FakeHub, type FakeDiscoveryOptions } from './testing';

const started: FakeDiscovery[] = [];
afterEach(async () => {
  for (const d of started.splice(0)) await d.stop();
});

function node(hub: FakeHub, options: FakeDiscoveryOptions = {}): FakeDiscovery {
  const d = new FakeDiscovery(hub, options);
  started.push(d);
  return d;
}

async function cluster(n: number, key = createClusterKey()) {
  const hub = new FakeHub();
  const refused: RefusedRecord[] = [];
  const connections: string[] = [];
  const keys = new Map<string, ClusterKeyState[]>();
  const nodes = Array.from({ length: n }, (_, i) => {
    const seed = createNodeIdentity().seed;
    const id = nodeIdOf(createNodeIdentity(seed).publicKey);
    keys.set(id, []);
    return node(hub, { seed, clusterKey: key, founder: i === 0, onRefused: (r) => refused.push(r), onRefusedConnection: (id) => connections.push(id), onKeyChange: (k) => keys.get(id)!.push(k) });
  });
  for (const d of nodes) await d.start();
  await hub.settle();
  return { hub, nodes, refused, keys, key, connections };
}

function endpoint(networkId: string, ip: string, name: string): EndpointRecord {
  return { networkId, endpointId: generateId(), name, aliases: [], ip: IpAddr.parse(ip), mac: MacAddr.fromIpv4(IpAddr.parse(ip)), vtep: IpAddr.parse('192.0.2.1') };
}

const network = (name: string) => ({ id: generateId(), name, subnet: Prefix.parse('10.77.0.0/16'), blockLength: 24, internal: false, attachable: true, options: {} });
const seedOf = (d: FakeDiscovery) => (d as unknown as { options: { identity: { seed: Uint8Array } } }).options.identity.seed;

describe('sealing the cluster key to a node key', () => {
  it('opens only with the recipient node key, and not once altered', () => {
    const key = createClusterKey();
    const a = createNodeIdentity();
    const b = createNodeIdentity();
    const box = sealKey(key, a.publicKey);
    expect(box).toHaveLength(80);
    expect(Buffer.from(box).includes(Buffer.from(key))).toBe(false);
    expect(openSealedKey(box, a)).toEqual(key);
    expect(openSealedKey(box, b)).toBeUndefined();
    const altered = Uint8Array.from(box);
    altered[40] ^= 1;
    expect(openSealedKey(altered, a)).toBeUndefined();
    expect(openSealedKey(box.subarray(1), a)).toBeUndefined();
  });

  it('seals to each recipient, names the key by its hash, and checks an opened key against it', () => {
    const key = createClusterKey();
    const [a, b, c] = [createNodeIdentity(), createNodeIdentity(), createNodeIdentity()];
    const ids = [a, b].map((x) => nodeIdOf(x.publicKey));
    const rotation = makeRotation(key, 3, [...ids, ids[0]]);
    expect(rotation.sealed.map((s) => s.node)).toEqual([...ids].sort());
    expect(rotation.fingerprint).toEqual(keyHash(key));
    expect(keyFor(rotation, a, ids[0])).toEqual(key);
    expect(keyFor(rotation, b, ids[1])).toEqual(key);
    expect(keyFor(rotation, c, nodeIdOf(c.publicKey))).toBeUndefined();
    // a box that opens to another key than the one named is not taken
    expect(keyFor({ ...rotation, fingerprint: keyHash(createClusterKey()) }, a, ids[0])).toBeUndefined();
  });

  it('round-trips a rotation record through the wire codec', () => {
    const a = createNodeIdentity();
    const rotation = makeRotation(createClusterKey(), 1, [nodeIdOf(a.publicKey)]);
    const r: PeerRecord = { owner: nodeIdOf(a.publicKey), key: 'cluster-key', version: 4n, tombstone: false, body: { type: 'cluster-key', rotation } };
    expect(decodeRecord(encodeRecord(r))).toEqual(r);
    const bad = encodeRecord({ ...r, body: { type: 'cluster-key', rotation: { ...rotation, sealed: [{ ...rotation.sealed[0], box: new Uint8Array(10) }] } } });
    expect(() => decodeRecord(bad)).toThrow(/sealed cluster key must be 80 bytes/);
  });
});

describe('which rotation wins', () => {
  const rec = (owner: string, epoch: number): RotationRecord =>
    ({ owner, key: 'cluster-key', version: 1n, tombstone: false, body: { type: 'cluster-key', rotation: { epoch, fingerprint: new Uint8Array(32), sealed: [] } } }) as RotationRecord;
  it('takes the highest epoch, then the highest owner id, whatever the order', () => {
    const [lo, hi] = ['1'.repeat(64), 'f'.repeat(64)];
    expect(winningRotation([rec(hi, 1), rec(lo, 2)])?.owner).toBe(lo);
    expect(winningRotation([rec(lo, 2), rec(hi, 2)])?.owner).toBe(hi);
    expect(winningRotation([rec(hi, 2), rec(lo, 2)])?.owner).toBe(hi);
    expect(winningRotation([])).toBeUndefined();
  });
});

describe('rotating the cluster key', () => {
  it('reaches every member, which persists it and switches, with no member down and no endpoint removed', async () => {
    const { hub, nodes, keys, refused } = await cluster(3);
    const [a, b, c] = nodes;
    const net = await a.createNetwork(network('rot'));
    await hub.settle();
    const events: PeerEvent[] = [];
    for (const d of nodes) {
      d.join(net.id);
      d.subscribe((e) => events.push(e));
    }
    b.announce(endpoint(net.id, '10.77.1.2', 'b1'));
    await hub.settle();
    const opened = [a, b, c].map((d) => [a, b, c].filter((x) => x !== d).every((x) => d.wire.hasOpenLinkTo(x.nodeId)));
    expect(opened).toEqual([true, true, true]);

    const k = a.rotateKey();
    expect(k.epoch).toBe(1);
    await hub.settle();
    for (const d of nodes) {
      expect(d.clusterKey).toEqual(k);
      expect(keys.get(d.nodeId)).toEqual([k]);
      // its records carry the new admission
      expect(a.state.get(d.nodeId, 'node')?.admission).toEqual(admissionOf(k.key, d.wire.publicKey));
      for (const x of nodes) if (x !== d) expect(d.wire.hasOpenLinkTo(x.nodeId)).toBe(true);
    }
    // a record written just before b switched (old admission) and one after both flow
    c.announce(endpoint(net.id, '10.77.2.2', 'c1'));
    await hub.settle();
    for (const d of nodes) expect(d.peers(net.id).map((p) => p.name).sort()).toEqual(['b1', 'c1']);
    expect(events.filter((e) => e.kind === 'remove' || e.kind === 'node-down')).toEqual([]);
    expect(refused).toEqual([]);
    // the key is in no record
    for (const r of a.state.all()) expect(Buffer.from(JSON.stringify(encodeRecord(r), (_, v) => (typeof v === 'bigint' ? String(v) : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))).includes(Buffer.from(k.key).toString('hex'))).toBe(false);
  });

  it('lets a member that was down through the rotation back in with its old key; it then switches', async () => {
    const { hub, nodes, key } = await cluster(3);
    const [a, b, c] = nodes;
    const seed = seedOf(c);
    const saved = [...c.state.all()];
    await c.stop();
    started.splice(started.indexOf(c), 1);
    a.rotateKey();
    await hub.settle();
    b.rotateKey();
    await hub.settle();
    expect(b.clusterKey.epoch).toBe(2);

    const changes: ClusterKeyState[] = [];
    const back = node(hub, { seed, clusterKey: key, onKeyChange: (x) => changes.push(x) });
    back.state.merge(saved);
    await back.start();
    await hub.settle();
    expect(changes).toEqual([b.clusterKey]);
    expect(back.clusterKey).toEqual(b.clusterKey);
    for (const d of [a, b]) {
      expect(d.members().find((m) => m.id === back.nodeId)?.alive).toBe(true);
      expect(back.wire.hasOpenLinkTo(d.nodeId)).toBe(true);
    }
  });

  it('refuses a new node holding only the old key, and admits one holding the new key', async () => {
    const { hub, nodes, key, connections } = await cluster(3);
    const [a] = nodes;
    const k = a.rotateKey();
    await hub.settle();
    const stale = node(hub, { clusterKey: key });
    await stale.start();
    await hub.settle();
    for (const d of nodes) {
      expect(d.members().map((m) => m.id)).not.toContain(stale.nodeId);
      expect(stale.wire.hasOpenLinkTo(d.nodeId)).toBe(false);
    }
    expect(stale.members().map((m) => m.id)).toEqual([stale.nodeId]);
    expect(new Set(connections)).toEqual(new Set([stale.nodeId]));

    const fresh = node(hub, { clusterKey: k.key, clusterKeyEpoch: k.epoch, clusterKeyRotatedBy: k.rotatedBy });
    await fresh.start();
    await hub.settle();
    for (const d of nodes) expect(d.members().find((m) => m.id === fresh.nodeId)?.alive).toBe(true);
    // it takes the records of members still admitted under the old key (the rotation vouches for them)
    expect(fresh.members().filter((m) => m.info).length).toBe(4);
    expect(fresh.refused).toBe(0);
  });

  it('does not let a stale-key record of an unknown node in, nor a rotation by a non-member', async () => {
    const { hub, nodes, key, refused } = await cluster(2);
    const [a, b] = nodes;
    a.rotateKey();
    await hub.settle();
    refused.length = 0;
    const outsider = createNodeIdentity();
    const id = nodeIdOf(outsider.publicKey);
    const sign = recordSigner(outsider.seed);
    const make = (r: PeerRecord, k: Uint8Array) => {
      const admitted = { ...r, admission: admissionOf(k, outsider.publicKey) };
      return { ...admitted, signature: sign(admitted) };
    };
    const own = createClusterKey();
    const forged = [
      make({ owner: id, key: 'node', version: 5n, tombstone: false, body: { type: 'node', node: { name: 'x', advertiseAddr: IpAddr.parse('10.0.0.9'), dhtPort: 1 } } }, key),
      make({ owner: id, key: 'cluster-key', version: 6n, tombstone: false, body: { type: 'cluster-key', rotation: makeRotation(own, 9, [b.nodeId]) } }, own),
    ];
    const link = (a as unknown as { links: Map<string, { send(f: Uint8Array): void }> }).links.get(b.nodeId)!;
    const { encodeFrame } = await import('./peer-record');
    link.send(encodeFrame({ case: 'records', value: { $typeName: 'netd.cluster.v1.Records', records: forged.map(encodeRecord) } }));
    await hub.settle();
    expect(refused.map((r) => [r.owner, r.key, r.reason])).toEqual([[id, 'cluster-key', 'not admitted'], [id, 'node', 'not admitted']]);
    expect(b.clusterKey.epoch).toBe(1);
    expect(b.members().map((m) => m.id)).not.toContain(id);
  });

  it('ends with one key on every member when two rotate at once (higher epoch, then higher node id)', async () => {
    const { hub, nodes } = await cluster(4);
    const [a, b] = nodes;
    const ka = a.rotateKey();
    const kb = b.rotateKey();
    expect(ka.epoch).toBe(kb.epoch);
    await hub.settle();
    const winner = a.nodeId > b.nodeId ? ka : kb;
    for (const d of nodes) expect(d.clusterKey).toEqual(winner);
    expect(new Set(nodes.map((d) => fingerprint(d.clusterKey.key))).size).toBe(1);
    // a later rotation beats both
    const kc = nodes[3].rotateKey();
    expect(kc.epoch).toBe(2);
    await hub.settle();
    for (const d of nodes) expect(d.clusterKey).toEqual(kc);
    for (const d of nodes) expect(d.members().filter((m) => m.alive)).toHaveLength(4);
  });
});
