import { IpAddr, MacAddr, Prefix, generateId } from '@app/common';
import { createClusterKey } from './cluster-token';
import type { PeerEvent } from './peer-discovery.port';
import { encodeFrame, encodeRecord, type EndpointRecord } from './peer-record';
import { FakeDiscovery, FakeHub } from './testing';
import { recordSigner, verifyRecord } from './record-signature';

/** A fake node's identity seed (the tests build nodes from fresh seeds). */
const seedOf = (d: FakeDiscovery) => (d as unknown as { options: { identity: { seed: Uint8Array } } }).options.identity.seed;

function network(name: string, subnet = '10.80.0.0/16', blockLength = 24) {
  return { id: generateId(), name, subnet: Prefix.parse(subnet), blockLength, internal: false, attachable: true, options: {} };
}

function endpoint(networkId: string, ip: string, name: string): EndpointRecord {
  return { networkId, endpointId: generateId(), name, aliases: [], ip: IpAddr.parse(ip), mac: MacAddr.fromIpv4(IpAddr.parse(ip)), vtep: IpAddr.parse('192.0.2.1') };
}

async function cluster(n: number, hub = new FakeHub(), opts: ConstructorParameters<typeof FakeDiscovery>[1] = {}) {
  // the first one founds the cluster; each other is admitted as a voter as it joins
  const nodes = Array.from({ length: n }, (_, i) => new FakeDiscovery(hub, { founder: i === 0, ...opts }));
  for (const d of nodes) {
    await d.start();
    await hub.settle();
  }
  return { hub, nodes };
}

const started: FakeDiscovery[] = [];
afterEach(async () => {
  for (const d of started.splice(0)) await d.stop();
});

describe(FakeDiscovery.name, () => {
  it('three nodes converge on networks and endpoints', async () => {
    const { hub, nodes } = await cluster(3);
    started.push(...nodes);
    const net = await nodes[0].createNetwork(network('web'));
    await hub.settle();
    nodes.forEach((d, i) => d.announce(endpoint(net.id, `10.80.${i}.2`, `c${i}`)));
    await hub.settle();
    for (const d of nodes) {
      expect(d.networks().map((n) => [n.id, n.vni])).toEqual([[net.id, net.vni]]);
      expect(d.peers(net.id).map((p) => p.ip.toString()).sort()).toEqual(['10.80.0.2', '10.80.1.2', '10.80.2.2']);
      expect(d.members().filter((m) => m.alive)).toHaveLength(3);
    }
  });

  it('admits five nodes started at once as voters within message round trips (no tick), one admission at a time', async () => {
    const hub = new FakeHub();
    // a clock that does not move: no retry delay may pass
    const nodes = Array.from({ length: 5 }, (_, i) => new FakeDiscovery(hub, { founder: i === 0, now: () => 1_000_000 }));
    started.push(...nodes);
    await Promise.all(nodes.map((d) => d.start()));
    await hub.settle();
    for (const d of nodes) {
      expect(d.voters().sort()).toEqual(nodes.map((n) => n.nodeId).sort());
      expect(d.members().map((m) => m.role)).toEqual(['voter', 'voter', 'voter', 'voter', 'voter']);
    }
  });

  it('counts gossip frames and bytes both ways, merged records, and the time to the first sync', async () => {
    const { hub, nodes } = await cluster(2);
    started.push(...nodes);
    const [a, b] = nodes;
    expect(a.syncedAfterMs).toBeGreaterThanOrEqual(0);
    const before = { ...b.traffic };
    a.createNetwork(network('counted'));
    await hub.settle();
    expect(b.traffic.framesIn).toBeGreaterThan(before.framesIn);
    expect(b.traffic.bytesIn).toBeGreaterThan(before.bytesIn);
    expect(b.traffic.recordsApplied).toBeGreaterThan(before.recordsApplied);
    expect(a.traffic.framesOut).toBeGreaterThan(0);
    // what one sends the other receives (the fake hub loses nothing here)
    expect(a.traffic.bytesOut + b.traffic.bytesOut).toBe(a.traffic.bytesIn + b.traffic.bytesIn);
  });

  it('creates a name claimed concurrently on two nodes once: a majority confirms one, the other create fails', async () => {
    const hub = new FakeHub();
    const { nodes } = await cluster(3, hub);
    started.push(...nodes);
    const conflicts: PeerEvent[] = [];
    nodes[2].subscribe((e) => e.kind === 'network-conflict' && conflicts.push(e));
    const results = await Promise.allSettled([nodes[0].createNetwork(network('dup', '10.81.0.0/16')), nodes[1].createNetwork(network('dup', '10.82.0.0/16'))]);
    await hub.settle();
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { kind: 'conflict', message: 'network with name dup already exists' } });
    const id = (won[0] as PromiseFulfilledResult<{ id: string }>).value.id;
    for (const d of nodes) expect(d.networks().map((n) => n.id)).toEqual([id]);
    expect(conflicts).toEqual([]);
  });

  it('gives a node that joins later the full state', async () => {
    const { hub, nodes } = await cluster(2);
    started.push(...nodes);
    const net = await nodes[0].createNetwork(network('late'));
    await hub.settle();
    nodes[1].announce(endpoint(net.id, '10.80.1.9', 'x'));
    await hub.settle();
    const late = new FakeDiscovery(hub);
    started.push(late);
    await late.start();
    await hub.settle();
    expect(late.networks().map((n) => n.id)).toEqual([net.id]);
    expect(late.peers(net.id).map((p) => p.name)).toEqual(['x']);
  });

  it('repairs lost messages through digest anti-entropy', async () => {
    const { hub, nodes } = await cluster(3);
    started.push(...nodes);
    const [a, b, c] = nodes;
    hub.drop = (_from, to) => to === c.nodeId;
    const net = await a.createNetwork(network('lossy'));
    await hub.settle();
    b.announce(endpoint(net.id, '10.80.3.3', 'y'));
    await hub.settle();
    expect(hub.dropped).toBeGreaterThan(0);
    expect(c.networks()).toEqual([]);
    hub.drop = () => false;
    for (const d of nodes) d.tick();
    await hub.settle();
    expect(c.networks().map((n) => n.id)).toEqual([net.id]);
    expect(c.peers(net.id).map((p) => p.name)).toEqual(['y']);
  });

  it('never leases one block twice with 3 × 50 concurrent leases', async () => {
    const { hub, nodes } = await cluster(3);
    started.push(...nodes);
    const net = await nodes[0].createNetwork(network('pool', '10.90.0.0/16', 28));
    await hub.settle();
    const results = await Promise.all(nodes.flatMap((d) => Array.from({ length: 50 }, () => d.leaseBlock(net.id).then((b) => [d.nodeId, b.toString()]))));
    const blocks = results.map(([, b]) => b);
    expect(new Set(blocks).size).toBe(150);
    await hub.settle();
    const held = nodes.flatMap((d) => d.blocks(net.id).map(String));
    expect(held.sort()).toEqual([...blocks].sort());
    for (const [owner, b] of results) expect(nodes.find((d) => d.nodeId === owner)!.blocks(net.id).map(String)).toContain(b);
  }, 30_000);

  it('reclaims a dead node’s blocks after the timeout, and the node re-announces when it returns', async () => {
    let now = 1_000_000;
    const hub = new FakeHub();
    const { nodes } = await cluster(3, hub, { now: () => now, deadAfterMs: 1000, reclaimAfterMs: 5000 });
    started.push(...nodes);
    const [a, b, c] = nodes;
    const net = await a.createNetwork(network('tiny', '10.91.0.0/24', 26));
    await hub.settle();
    const cBlock = await c.leaseBlock(net.id);
    c.announce(endpoint(net.id, cBlock.nth(2n).toString(), 'c-box'));
    await hub.settle();
    const down: string[] = [];
    a.subscribe((e) => e.kind === 'node-down' && down.push(e.node.id));
    hub.isolate(c.nodeId);
    for (let i = 0; i < 2; i++) {
      now += 600;
      a.tick();
      b.tick();
      await hub.settle();
    }
    expect(down).toEqual([c.nodeId]);
    expect(a.peers(net.id)).toEqual([]);
    await a.leaseBlock(net.id);
    await a.leaseBlock(net.id);
    await b.leaseBlock(net.id);
    await expect(a.leaseBlock(net.id)).rejects.toMatchObject({ kind: 'unavailable' });
    for (let i = 0; i < 9; i++) {
      now += 600;
      a.tick();
      b.tick();
      await hub.settle();
    }
    const reclaimed = await a.leaseBlock(net.id);
    expect(reclaimed.toString()).toBe(cBlock.toString());
    const lost: PeerEvent[] = [];
    c.subscribe((e) => e.kind === 'lease-lost' && lost.push(e));
    hub.restore(c.nodeId);
    await hub.settle();
    expect(lost).toEqual([{ kind: 'lease-lost', networkId: net.id, block: cBlock }]);
    expect(a.members().find((m) => m.id === c.nodeId)?.alive).toBe(true);
    expect(a.peers(net.id).map((p) => p.name)).toEqual(['c-box']);
    expect(c.blocks(net.id)).toEqual([]);
  });

  describe('node loss (a silent peer: a cut cable gives no FIN or RST)', () => {
    async function cutScenario() {
      let now = 1_000_000;
      const hub = new FakeHub();
      const { nodes } = await cluster(3, hub, { now: () => now, deadAfterMs: 1000, redialMs: 500 });
      started.push(...nodes);
      const [a, , c] = nodes;
      const net = await a.createNetwork(network('cut', '10.92.0.0/16'));
      await hub.settle();
      for (const d of nodes) d.join(net.id);
      const cBox = endpoint(net.id, '10.92.3.2', 'c-box');
      c.announce(cBox);
      await hub.settle();
      const events: string[] = [];
      a.subscribe((e) => {
        if (e.kind === 'add' || e.kind === 'remove') events.push(`${e.kind} ${e.peer.name}`);
        if (e.kind === 'node-down' || e.kind === 'node-up') events.push(`${e.kind} ${e.node.id === c.nodeId ? 'c' : 'other'}`);
      });
      const advance = async (ms: number) => {
        now += ms;
        for (const d of nodes) d.tick();
        await hub.settle();
      };
      return { hub, nodes, net, events, advance };
    }

    it('keeps a member alive up to the timeout, then marks it down and removes its endpoints', async () => {
      const { hub, nodes, net, events, advance } = await cutScenario();
      const [a, b, c] = nodes;
      hub.cut(c.nodeId);
      await advance(600);
      expect(a.members().find((m) => m.id === c.nodeId)?.alive).toBe(true);
      expect(a.peers(net.id).map((p) => p.name)).toEqual(['c-box']);
      expect(events).toEqual([]);
      await advance(600);
      for (const d of [a, b]) {
        expect(d.members().find((m) => m.id === c.nodeId)?.alive).toBe(false);
        expect(d.peers(net.id)).toEqual([]);
      }
      expect(events).toEqual(['node-down c', 'remove c-box']);
      // The isolated side sees the same from its end: everyone else is down.
      expect(c.members().filter((m) => !m.self).map((m) => m.alive)).toEqual([false, false]);
    });

    it('drops the silent link and redials, so the member reconverges once it is reachable again', async () => {
      const { hub, nodes, net, events, advance } = await cutScenario();
      const [a, b, c] = nodes;
      hub.cut(c.nodeId);
      await advance(600);
      await advance(600);
      hub.mend(c.nodeId);
      await advance(600);
      for (const d of [a, b]) {
        expect(d.members().find((m) => m.id === c.nodeId)?.alive).toBe(true);
        expect(d.peers(net.id).map((p) => p.name)).toEqual(['c-box']);
      }
      expect(c.members().every((m) => m.alive)).toBe(true);
      expect(events).toEqual(['node-down c', 'remove c-box', 'node-up c', 'add c-box']);
    });

    it('dials an unreachable member at most once per redial period', async () => {
      const { hub, nodes, advance } = await cutScenario();
      const [a, , c] = nodes;
      const dials: string[] = [];
      const dial = a.wire.connectTo.bind(a.wire);
      a.wire.connectTo = (key) => {
        dials.push(Buffer.from(key).toString('hex'));
        dial(key);
      };
      hub.cut(c.nodeId);
      for (let i = 0; i < 10; i++) await advance(200);
      // dead after 1000 ms, then one dial per 500 ms over the remaining 1000 ms
      expect(dials.every((d) => d === c.nodeId)).toBe(true);
      expect(dials.length).toBeGreaterThanOrEqual(2);
      expect(dials.length).toBeLessThanOrEqual(3);
    });
  });

  it('refuses a node with the wrong cluster key: it can neither read nor inject records', async () => {
    const hub = new FakeHub();
    const { nodes } = await cluster(2, hub);
    started.push(...nodes);
    // a founder of its own cluster, so it can create networks alone
    const intruder = new FakeDiscovery(hub, { clusterKey: createClusterKey(), founder: true });
    started.push(intruder);
    await intruder.start();
    const net = await nodes[0].createNetwork(network('secret'));
    await intruder.createNetwork(network('evil'));
    await hub.settle();
    for (const d of nodes) {
      expect(d.networks().map((n) => n.name)).toEqual(['secret']);
      expect(d.members().map((m) => m.id)).not.toContain(intruder.nodeId);
      expect(d.rejected).toBeGreaterThan(0);
    }
    expect(intruder.networks().map((n) => n.id)).not.toContain(net.id);
  });

  it('drops garbage records from an authenticated peer and keeps the valid ones', async () => {
    const { hub, nodes } = await cluster(2);
    started.push(...nodes);
    const [a, b] = nodes;
    const net = await a.createNetwork(network('ok'));
    await hub.settle();
    const good = encodeRecord({ owner: a.nodeId, key: `network/${net.id}`, version: 99n, tombstone: false, body: { type: 'network', network: { ...net, name: 'renamed' } } });
    const badIp = encodeRecord({ owner: a.nodeId, key: 'x', version: 100n, tombstone: false, body: { type: 'node', node: { name: 'n', advertiseAddr: IpAddr.parse('10.0.0.1'), dhtPort: 1 } } });
    badIp.key = 'node';
    (badIp.body.value as { advertiseAddr: string }).advertiseAddr = '999.1.1.1';
    const link = [...(b as unknown as { links: Map<string, { send(f: Uint8Array): void }> }).links.values()][0];
    const before = b.rejected;
    // b's link to a delivers to a: pretend b sends garbage to a.
    link.send(encodeFrame({ case: 'records', value: { $typeName: 'netd.cluster.v1.Records', records: [badIp, good] } }));
    link.send(new Uint8Array([0xff, 0xff, 0xff]));
    await hub.settle();
    expect(a.rejected).toBeGreaterThanOrEqual(2);
    expect(b.rejected).toBe(before);
    expect(a.members().find((m) => m.self)?.info?.advertiseAddr.toString()).toBe('127.0.0.1');
  });

  it('refuses records a member writes under another node’s id (a forged owner), and altered relays', async () => {
    const { hub, nodes } = await cluster(3);
    started.push(...nodes);
    const [a, b, c] = nodes;
    const net = await a.createNetwork(network('signed'));
    await hub.settle();
    // b, an admitted member, writes an endpoint record in c's name, signed with its own key
    const forged = { owner: c.nodeId, key: '', version: 50n, tombstone: false, body: { type: 'endpoint' as const, endpoint: endpoint(net.id, '10.80.9.9', 'forged') } };
    const asB = recordSigner(seedOf(b));
    const withKey = { ...forged, key: `endpoint/${net.id}/${forged.body.endpoint.endpointId}` };
    const signedByB = { ...withKey, signature: asB(withKey) };
    // and relays a's real network record with its name changed
    const real = a.state.get(a.nodeId, `network/${net.id}`)!;
    // (a newer version: one no newer than what a holds is ignored before any check)
    const altered = { ...real, version: real.version + 1n, body: { type: 'network' as const, network: { ...(real.body as unknown as { network: typeof net }).network, name: 'hijacked' } } };
    const before = a.refused;
    const link = (b as unknown as { links: Map<string, { send(f: Uint8Array): void }> }).links.get(a.nodeId)!;
    link.send(encodeFrame({ case: 'records', value: { $typeName: 'netd.cluster.v1.Records', records: [encodeRecord(signedByB), encodeRecord(altered)] } }));
    await hub.settle();
    expect(a.refused - before).toBe(2);
    expect(a.peers(net.id)).toEqual([]);
    expect(a.networks().map((n) => n.name)).toEqual(['signed']);
    expect(verifyRecord(real)).toBe(true);
  });

  it('refuses to delete a network while a node has endpoints on it', async () => {
    const { hub, nodes } = await cluster(2);
    started.push(...nodes);
    const net = await nodes[0].createNetwork(network('busy'));
    await hub.settle();
    const ep = endpoint(net.id, '10.80.0.5', 'busy-1');
    nodes[1].announce(ep);
    await hub.settle();
    expect(() => nodes[0].deleteNetwork(net.id)).toThrow(expect.objectContaining({ kind: 'conflict' }));
    nodes[1].withdraw(net.id, ep.endpointId);
    await hub.settle();
    nodes[0].deleteNetwork(net.id);
    await hub.settle();
    expect(nodes.map((d) => d.networks().length)).toEqual([0, 0]);
  });
});
