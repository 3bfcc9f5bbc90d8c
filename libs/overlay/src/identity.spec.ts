import { IpAddr, MacAddr, Prefix, generateId } from '@app/common';
import { createClusterKey, createNodeIdentity, type NodeIdentity } from './cluster-token';
import type { RefusedRecord } from './gossip-discovery';
import { admissionOf, checkAdmission, fingerprint } from './identity';
import { recordSigner, verifyRecord } from './record-signature';
import type { PeerEvent } from './peer-discovery.port';
import { encodeFrame, encodeRecord, nodeIdOf, type EndpointRecord, type PeerRecord } from './peer-record';
import { FAKE_CLUSTER_KEY, FakeDiscovery, FakeHub } from './testing';

function network(name: string, subnet = '10.90.0.0/16', blockLength = 24) {
  return { id: generateId(), name, subnet: Prefix.parse(subnet), blockLength, internal: false, attachable: true, options: { b: '1', a: '2', '10': 'x' } };
}

function endpoint(networkId: string, ip: string, name: string): EndpointRecord {
  return { networkId, endpointId: generateId(), name, aliases: [], ip: IpAddr.parse(ip), mac: MacAddr.fromIpv4(IpAddr.parse(ip)), vtep: IpAddr.parse('192.0.2.1') };
}

/** What a member holding the cluster key can send: any record it builds, signed with a key of its choice. */
function send(from: FakeDiscovery, to: FakeDiscovery, records: PeerRecord[]): void {
  const link = (from as unknown as { links: Map<string, { send(f: Uint8Array): void }> }).links.get(to.nodeId);
  if (!link) throw new Error('no link');
  link.send(encodeFrame({ case: 'records', value: { $typeName: 'netd.cluster.v1.Records', records: records.map(encodeRecord) } }));
}

const started: FakeDiscovery[] = [];
afterEach(async () => {
  for (const d of started.splice(0)) await d.stop();
});

async function cluster(n: number, hub = new FakeHub(), refused: RefusedRecord[] = []) {
  const nodes = Array.from({ length: n }, (_, i) => new FakeDiscovery(hub, { founder: i === 0, onRefused: (r) => refused.push(r) }));
  started.push(...nodes);
  for (const d of nodes) {
    await d.start();
    await hub.settle();
  }
  return { hub, nodes, refused };
}

describe('node identity: keys, admission, signatures', () => {
  it('admits a key only under the cluster key that admitted it', () => {
    const node = createNodeIdentity().publicKey;
    const key = createClusterKey();
    const adm = admissionOf(key, node);
    expect(checkAdmission(key, node, adm)).toBe(true);
    expect(checkAdmission(createClusterKey(), node, adm)).toBe(false);
    expect(checkAdmission(key, createNodeIdentity().publicKey, adm)).toBe(false);
    expect(checkAdmission(key, node, adm.subarray(0, 16))).toBe(false);
  });

  it('verifies a signature with the owner key only, and not after a change (admission included)', () => {
    const a = createNodeIdentity();
    const b = createNodeIdentity();
    const r: PeerRecord = { owner: nodeIdOf(a.publicKey), key: 'node', version: 3n, tombstone: false, body: { type: 'node', node: { name: 'a', advertiseAddr: IpAddr.parse('10.0.0.1'), dhtPort: 7946 } }, admission: admissionOf(FAKE_CLUSTER_KEY, a.publicKey) };
    const signed = { ...r, signature: recordSigner(a.seed)(r) };
    expect(verifyRecord(signed)).toBe(true);
    expect(verifyRecord({ ...signed, owner: nodeIdOf(b.publicKey) })).toBe(false);
    expect(verifyRecord({ ...signed, version: 4n })).toBe(false);
    expect(verifyRecord({ ...signed, admission: admissionOf(createClusterKey(), a.publicKey) })).toBe(false);
    expect(verifyRecord({ ...signed, signature: signed.signature.subarray(1) })).toBe(false);
  });

  it('prints a short SHA-256 fingerprint of a key', () => {
    expect(fingerprint(new Uint8Array(32))).toBe('SHA256:66687aadf862bd77');
  });

  it('signs every record a node writes, over a canonical form that a relay re-encoding keeps', async () => {
    const { hub, nodes } = await cluster(2);
    const net = await nodes[0].createNetwork(network('signed'));
    await hub.settle();
    const r = nodes[1].state.get(nodes[0].nodeId, `network/${net.id}`)!;
    expect(r.signature).toHaveLength(64);
    expect(verifyRecord(r)).toBe(true);
    expect(r.admission).toEqual(admissionOf(FAKE_CLUSTER_KEY, nodes[0].wire.publicKey));
    expect(nodes[1].networks().map((n) => n.options)).toEqual([{ a: '2', b: '1', '10': 'x' }]);
    expect(nodes[1].refused).toBe(0);
  });
});

describe('a member with the cluster key cannot write records for another node id', () => {
  it('refuses records signed with the sender key under a victim id, and counts them', async () => {
    const { hub, nodes, refused } = await cluster(3);
    const [victim, honest, mallory] = nodes;
    const net = await victim.createNetwork(network('victim-net'));
    const ep = endpoint(net.id, '10.90.1.2', 'web');
    victim.announce(ep);
    await hub.settle();
    const forger = recordSigner(createNodeIdentity().seed);
    const mallorySigner = recordSigner((mallory as unknown as { options: { identity: NodeIdentity } }).options.identity.seed);
    // mallory has the cluster key, so the admission of the victim's id is no obstacle
    const admission = admissionOf(FAKE_CLUSTER_KEY, victim.wire.publicKey);
    const forge = (r: Omit<PeerRecord, 'signature' | 'admission'>, sign: (r: PeerRecord) => Uint8Array): PeerRecord => ({ ...r, admission, signature: sign({ ...r, admission }) });
    const tomb = forge({ owner: victim.nodeId, key: `network/${net.id}`, version: 1000n, tombstone: true, body: { type: 'network', network: net } }, mallorySigner);
    const hijack = forge({ owner: victim.nodeId, key: `endpoint/${net.id}/${ep.endpointId}`, version: 1001n, tombstone: false, body: { type: 'endpoint', endpoint: { ...ep, ip: IpAddr.parse('10.90.1.66') } } }, forger);
    const unadmitted = { ...forge({ owner: mallory.nodeId, key: 'node', version: 1002n, tombstone: false, body: { type: 'node', node: { name: 'm', advertiseAddr: IpAddr.parse('10.0.0.9'), dhtPort: 1 } } }, mallorySigner), admission: admissionOf(createClusterKey(), mallory.wire.publicKey) };
    send(mallory, honest, [tomb, hijack, unadmitted]);
    await hub.settle();
    expect(honest.networks().map((n) => n.id)).toEqual([net.id]);
    expect(honest.peers(net.id).map((p) => p.ip.toString())).toEqual(['10.90.1.2']);
    expect(honest.refused).toBe(3);
    expect(refused).toEqual([
      { reason: 'bad signature', owner: victim.nodeId, key: `network/${net.id}`, from: mallory.nodeId },
      { reason: 'bad signature', owner: victim.nodeId, key: `endpoint/${net.id}/${ep.endpointId}`, from: mallory.nodeId },
      { reason: 'not admitted', owner: mallory.nodeId, key: 'node', from: mallory.nodeId },
    ]);
    // the victim's own (signed) records still flow
    victim.withdraw(net.id, ep.endpointId);
    await hub.settle();
    expect(honest.peers(net.id)).toEqual([]);
  });

  it('signs at start the own records a store kept unsigned, keeping their versions, so peers take them', async () => {
    const hub = new FakeHub();
    const seed = createNodeIdentity().seed;
    const a = new FakeDiscovery(hub, { seed, founder: true });
    const b = new FakeDiscovery(hub);
    started.push(a, b);
    const net = network('kept');
    a.state.merge([{ owner: a.nodeId, key: `network/${net.id}`, version: 7n, tombstone: false, body: { type: 'network', network: { ...net, vni: 5000 } } }]);
    await a.start();
    await b.start();
    await hub.settle();
    expect(b.networks().map((n) => n.id)).toEqual([net.id]);
    expect(b.state.get(a.nodeId, `network/${net.id}`)?.version).toBe(7n);
    expect(b.refused).toBe(0);
  });

  it('refuses an unsigned record', async () => {
    const { hub, nodes } = await cluster(2);
    const [a, b] = nodes;
    send(a, b, [{ owner: a.nodeId, key: 'node', version: 500n, tombstone: false, body: { type: 'node', node: { name: 'renamed', advertiseAddr: IpAddr.parse('10.0.0.1'), dhtPort: 2 } } }]);
    await hub.settle();
    expect(b.refused).toBe(1);
    expect(b.members().find((m) => m.id === a.nodeId)?.info?.name).not.toBe('renamed');
  });
});

describe('revocation (cluster rm)', () => {
  it('removes a node everywhere: its endpoints, blocks and vote go, its key is refused, its network stays', async () => {
    const { hub, nodes } = await cluster(3);
    const [a, b, c] = nodes;
    const mine = await a.createNetwork(network('shared', '10.91.0.0/16'));
    const theirs = await c.createNetwork(network('made-by-c', '10.92.0.0/16'));
    await hub.settle();
    await c.leaseBlock(mine.id);
    c.announce(endpoint(mine.id, '10.91.7.2', 'gone'));
    b.announce(endpoint(mine.id, '10.91.8.2', 'stays'));
    await hub.settle();
    const removed: PeerEvent[] = [];
    b.subscribe((e) => e.kind === 'remove' && removed.push(e));
    b.join(mine.id);
    expect(b.blockHolders(mine.id).has(c.nodeId)).toBe(true);

    a.revoke(c.nodeId);
    await hub.settle();
    for (const d of [a, b]) {
      expect(d.peers(mine.id).map((p) => p.name)).toEqual(['stays']);
      expect(d.blockHolders(mine.id).has(c.nodeId)).toBe(false);
      expect(d.members().map((m) => m.id)).not.toContain(c.nodeId);
      expect(d.voters()).not.toContain(c.nodeId);
      expect(d.revokedNodes()).toEqual([c.nodeId]);
      expect(d.networks().map((n) => n.id).sort()).toEqual([mine.id, theirs.id].sort());
      expect(c.wire.hasOpenLinkTo(d.nodeId)).toBe(false);
    }
    expect(removed.map((e) => e.kind === 'remove' && e.peer.name)).toEqual(['gone']);

    // its writes after the revocation are refused, also when they arrive through a dial of its own
    const before = b.refused;
    c.announce(endpoint(mine.id, '10.91.7.3', 'back'));
    c.wire.connectTo(b.wire.publicKey);
    await hub.settle();
    expect(b.peers(mine.id).map((p) => p.name)).toEqual(['stays']);
    expect(c.wire.hasOpenLinkTo(b.nodeId)).toBe(false);
    expect(b.refused + b.rejected).toBeGreaterThan(before);
  });

  it('keeps a revocation across a restart: the restored node still refuses the key', async () => {
    const hub = new FakeHub();
    const { nodes } = await cluster(3, hub);
    const [a, b, c] = nodes;
    a.revoke(c.nodeId);
    await hub.settle();
    const seed = (b as unknown as { options: { identity: { seed: Uint8Array } } }).options.identity.seed;
    const saved = [...b.state.all()];
    await b.stop();
    started.splice(started.indexOf(b), 1);
    const b2 = new FakeDiscovery(hub, { seed });
    started.push(b2);
    b2.state.merge(saved);
    await b2.start();
    await hub.settle();
    expect(b2.revokedNodes()).toEqual([c.nodeId]);
    c.wire.connectTo(b2.wire.publicKey);
    await hub.settle();
    expect(b2.members().map((m) => m.id)).not.toContain(c.nodeId);
    expect(c.wire.hasOpenLinkTo(b2.nodeId)).toBe(false);
  });

  it('refuses to revoke itself or an unknown node', async () => {
    const { nodes } = await cluster(1);
    expect(() => nodes[0].revoke(nodes[0].nodeId)).toThrow(expect.objectContaining({ kind: 'invalid-parameter' }));
    expect(() => nodes[0].revoke(nodeIdOf(createNodeIdentity().publicKey))).toThrow(expect.objectContaining({ kind: 'not-found' }));
  });
});
