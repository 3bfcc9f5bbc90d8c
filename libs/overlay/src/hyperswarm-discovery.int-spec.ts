import { IpAddr, MacAddr, Prefix, generateId } from '@app/common';
import DHT from 'hyperdht';
import createTestnet from 'hyperdht/testnet';
import { createClusterKey, createNodeIdentity } from './cluster-token';
import { HyperswarmDiscovery, checkBootstrap } from './hyperswarm-discovery';
import { eventually } from '@app/common/testing';

// Real hyperswarm on loopback with a local hyperdht testnet: no root, never the public bootstrap nodes.
jest.setTimeout(60_000);

describe(HyperswarmDiscovery.name, () => {
  let testnet: Awaited<ReturnType<typeof createTestnet>>;
  const nodes: HyperswarmDiscovery[] = [];
  const key = createClusterKey();

  function node(clusterKey = key): HyperswarmDiscovery {
    const d = new HyperswarmDiscovery({
      clusterKey,
      identity: createNodeIdentity(),
      bootstrap: testnet.bootstrap,
      host: '127.0.0.1',
      node: { name: `n${nodes.length}`, advertiseAddr: IpAddr.parse('127.0.0.1'), dhtPort: 1 },
      tickMs: 200,
      // the first node founds the cluster (the first voter); the others are admitted as they join
      founder: nodes.length === 0,
    });
    nodes.push(d);
    return d;
  }

  beforeAll(async () => {
    testnet = await createTestnet(3, { host: '127.0.0.1' });
  });

  afterAll(async () => {
    for (const d of nodes) await d.stop().catch(() => undefined);
    await testnet?.destroy();
  });

  it('refuses to build a DHT without an explicit bootstrap list', () => {
    expect(() => checkBootstrap(undefined)).toThrow(/explicit DHT bootstrap list is required/);
    expect(
      () => new HyperswarmDiscovery({ clusterKey: key, identity: createNodeIdentity(), host: '127.0.0.1', node: { name: 'x', advertiseAddr: IpAddr.parse('127.0.0.1'), dhtPort: 1 } } as never),
    ).toThrow(expect.objectContaining({ kind: 'invalid-parameter' }));
  });

  it('derives the same node key as hyperdht', () => {
    const id = createNodeIdentity();
    const kp = DHT.keyPair(id.seed);
    expect(Buffer.from(id.publicKey).equals(kp.publicKey)).toBe(true);
    expect(Buffer.from(id.secretKey).equals(kp.secretKey)).toBe(true);
  });

  it('forms a cluster of three, replicates a network and endpoints, and refuses a wrong key', async () => {
    const [a, b, c] = [node(), node(), node()];
    const intruder = node(createClusterKey());
    await Promise.all([a, b, c, intruder].map((d) => d.start()));
    await eventually('full mesh', () => [a, b, c].every((d) => d.members().filter((m) => m.alive && m.info).length === 3), 30_000).catch((e) => {
      console.log([a, b, c, intruder].map((d) => ({ rejected: d.rejected, members: d.members().map((m) => [m.id.slice(0, 6), m.alive, !!m.info]) })));
      throw e;
    });

    await eventually('three voters', () => [a, b, c].every((d) => d.voters().length === 3), 30_000);
    const net = await a.createNetwork({ id: generateId(), name: 'ovl', subnet: Prefix.parse('10.70.0.0/16'), blockLength: 24, internal: false, attachable: true, options: {} });
    await eventually('network on b and c', () => [b, c].every((d) => d.networks().some((n) => n.id === net.id && n.vni === net.vni)), 30_000);
    const blocks = await Promise.all([a, b, c].map((d) => d.leaseBlock(net.id)));
    expect(new Set(blocks.map(String)).size).toBe(3);
    [a, b, c].forEach((d, i) => {
      const ip = blocks[i].nth(2n);
      d.announce({ networkId: net.id, endpointId: generateId(), name: `c${i}`, aliases: [], ip, mac: MacAddr.fromIpv4(ip), vtep: IpAddr.parse('127.0.0.1') });
    });
    await eventually('endpoints everywhere', () => [a, b, c].every((d) => d.peers(net.id).length === 3), 30_000);

    await new Promise((r) => setTimeout(r, 500));
    expect(intruder.networks()).toEqual([]);
    for (const d of [a, b, c]) expect(d.members().map((m) => m.id)).not.toContain(intruder.nodeId);
    expect(intruder.members().filter((m) => !m.self)).toEqual([]);
  });

  it('points every DHT it created only at 127.0.0.1', () => {
    expect(testnet.bootstrap.length).toBeGreaterThan(0);
    for (const b of testnet.bootstrap) expect(b.host).toBe('127.0.0.1');
    for (const d of nodes) {
      expect(d.dhtConfig.host).toBe('127.0.0.1');
      for (const b of d.dhtConfig.bootstrap) expect(b.host).toBe('127.0.0.1');
    }
    for (const n of testnet.nodes) for (const b of n.bootstrapNodes) expect(b.host).toBe('127.0.0.1');
  });
});
