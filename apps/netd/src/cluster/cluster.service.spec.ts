import { IpAddr, MacAddr, Prefix } from '@app/common';
import type { NetnsRef } from '@app/kernel';
import { FakeNetlink } from '@app/kernel/testing';
import { FakeHub } from '@app/overlay/testing';
import { openDatabase } from '../store/database';
import { clusterHosts, formCluster, RecordingNames, settleHosts } from '../testing/cluster-hosts';
import { ClusterService } from './cluster.service';

const { host, stopped } = clusterHosts();

interface Clocked {
  now?: () => number;
  deadAfterMs?: number;
  dns?: RecordingNames;
}

/** `restart`: the same host again (its data root and namespace), as after a daemon restart. */
const node = (hub: FakeHub, netlink: FakeNetlink, n: number, o: Clocked = {}, restart?: { dir: string; hostNs: NetnsRef }) => host(hub, netlink, n, { ...o, restart });

type TestNode = Awaited<ReturnType<typeof node>>;

/** A cluster of `n` nodes (h1 inits, the others join) on one hub. */
async function cluster(n: number) {
  const hub = new FakeHub();
  const netlink = new FakeNetlink();
  const nodes: TestNode[] = [];
  for (let i = 1; i <= n; i++) nodes.push(await node(hub, netlink, i));
  const { token } = await nodes[0].svc.init({ advertiseAddr: '192.0.2.1', name: 'h1' });
  for (const [i, x] of nodes.entries()) if (i > 0) await x.svc.join({ token, advertiseAddr: `192.0.2.${i + 1}`, name: `h${i + 1}` });
  const settle = async () => {
    for (let i = 0; i < 5; i++) {
      await hub.settle();
      await Promise.all(nodes.map((x) => x.svc.idle()));
    }
  };
  await settle();
  return { hub, netlink, nodes, settle };
}

/** What the endpoints service does with the cluster's answer: take the address in the pool. */
async function takeAddress(x: TestNode, networkId: string): Promise<IpAddr> {
  const poolId = x.store.getNetwork(networkId)!.poolIds[0];
  const ip = await x.svc.addressFor(networkId, poolId);
  return x.ipam.requestAddress(poolId, ip);
}

describe(ClusterService.name, () => {
  it('init prints a token that a second node joins with; a network created on one appears on both with distinct blocks', async () => {
    const hub = new FakeHub();
    const netlink = new FakeNetlink();
    const a = await node(hub, netlink, 1);
    const b = await node(hub, netlink, 2);
    const { token } = await a.svc.init({ advertiseAddr: '192.0.2.1', listenPort: 7946, name: 'h1' });
    await b.svc.join({ token, advertiseAddr: '192.0.2.2', name: 'h2' });
    await hub.settle();
    expect(b.svc.status().Nodes.map((n) => [n.Name, n.State]).sort()).toEqual([['h1', 'ready'], ['h2', 'ready']]);

    const { Id } = await a.svc.createNetwork({ name: 'ov', subnet: '10.90.0.0/16' });
    for (let i = 0; i < 5; i++) {
      await hub.settle();
      await Promise.all([a.svc.idle(), b.svc.idle()]);
    }
    const ra = a.store.getNetwork(Id);
    const rb = b.store.getNetwork(Id);
    expect(ra).toMatchObject({ name: 'ov', driver: 'overlay', scope: 'swarm' });
    expect(rb).toMatchObject({ name: 'ov', driver: 'overlay' });
    const ips = [await takeAddress(a, Id), await takeAddress(b, Id)];
    await hub.settle();
    const blocks = [a.svc.active!.blocks(Id), b.svc.active!.blocks(Id)].map((x) => x.map(String));
    expect(blocks.map((x) => x.length)).toEqual([1, 1]);
    expect(blocks[0][0]).not.toBe(blocks[1][0]);
    expect(Prefix.parse(blocks[0][0]).contains(ips[0])).toBe(true);
    expect(Prefix.parse(blocks[1][0]).contains(ips[1])).toBe(true);
    for (const h of [a, b]) expect(netlink.linksIn(h.hostNs).map((l) => l.name)).toContain(`vx-${Id.slice(0, 12)}`);
    for (const [h, ip] of [[a, ips[0]], [b, ips[1]]] as const) h.ipam.releaseAddress(h.store.getNetwork(Id)!.poolIds[0], ip);

    b.svc.deleteNetwork('ov');
    for (let i = 0; i < 5; i++) {
      await hub.settle();
      await Promise.all([a.svc.idle(), b.svc.idle()]);
    }
    for (const h of [a, b]) {
      expect(h.store.getNetwork(Id)).toBeUndefined();
      expect(netlink.linksIn(h.hostNs).map((l) => l.name).sort()).toEqual(['eth0', 'lo']);
    }
  });

  it('keeps no pool on a node whose record of a cluster network fails to be written (pool and record in one transaction)', async () => {
    const hub = new FakeHub();
    const netlink = new FakeNetlink();
    const a = await node(hub, netlink, 1);
    const b = await node(hub, netlink, 2);
    await formCluster([a, b]);
    await hub.settle();
    const insert = jest.spyOn(b.store, 'insertNetwork').mockImplementationOnce(() => {
      throw new Error('disk I/O error');
    });
    const { Id } = await a.svc.createNetwork({ name: 'ov', subnet: '10.91.0.0/16' });
    for (let i = 0; i < 5; i++) {
      await hub.settle();
      await Promise.all([a.svc.idle(), b.svc.idle()]);
    }
    expect(insert).toHaveBeenCalled();
    expect(a.store.getNetwork(Id)).toMatchObject({ state: 'active' });
    expect(b.store.getNetwork(Id)).toBeUndefined();
    expect(b.ipam.listPools().map((p) => p.subnet.toString())).not.toContain('10.91.0.0/16');
    expect(netlink.linksIn(b.hostNs).map((l) => l.name)).not.toContain(`vx-${Id.slice(0, 12)}`);
  });

  it('brings a cluster network up on a node where a local network has its name (names need not be unique, as in Docker)', async () => {
    const hub = new FakeHub();
    const netlink = new FakeNetlink();
    const a = await node(hub, netlink, 1);
    const b = await node(hub, netlink, 2);
    await formCluster([a, b]);
    await hub.settle();
    b.store.insertNetwork({
      id: 'b'.repeat(64), name: 'ov', driver: 'bridge', scope: 'local', created: '', internal: false, attachable: false, ingress: false,
      enableIpv4: true, enableIpv6: false, predefined: false, options: {}, labels: {}, ipam: { driver: 'default', options: {}, config: [] },
      userSubnet: false, poolIds: [], state: 'active',
    });
    const { Id } = await a.svc.createNetwork({ name: 'ov', subnet: '10.92.0.0/16' });
    for (let i = 0; i < 5; i++) {
      await hub.settle();
      await Promise.all([a.svc.idle(), b.svc.idle()]);
    }
    expect(b.store.getNetwork(Id)).toMatchObject({ name: 'ov', state: 'active' });
    expect(b.store.getNetwork('b'.repeat(64))).toMatchObject({ name: 'ov' });
  });

  describe('a /24 overlay on five nodes', () => {
    it('is on every node at once, in /29 blocks leased as addresses are needed', async () => {
      const { nodes, settle } = await cluster(5);
      const { Id } = await nodes[2].svc.createNetwork({ name: 'small', subnet: '10.0.9.0/24' });
      await settle();
      for (const x of nodes) expect(x.store.getNetwork(Id)).toMatchObject({ name: 'small', ipam: { config: [{ Subnet: '10.0.9.0/24', Gateway: '10.0.9.1' }] } });
      expect(nodes[0].svc.active!.networks()[0].blockLength).toBe(29);
      for (const x of nodes) expect(x.svc.active!.blocks(Id)).toEqual([]);
      const ips = await Promise.all(nodes.map((x) => takeAddress(x, Id)));
      expect(new Set(ips.map(String)).size).toBe(5);
      await settle();
      const holders = nodes[4].svc.blockHolders(Id);
      expect(holders.map((h) => h.Name).sort()).toEqual(['h1', 'h2', 'h3', 'h4', 'h5']);
      for (const [i, x] of nodes.entries()) {
        const mine = holders.find((h) => h.Node === x.svc.active!.nodeId)!;
        expect(mine.Blocks).toHaveLength(1);
        expect(Prefix.parse(mine.Blocks[0]).contains(ips[i])).toBe(true);
        expect(mine.Blocks[0]).toMatch(/\/29$/);
      }
    });

    it('leases a second block when the first fills, and gives blocks back when they empty', async () => {
      const { nodes, settle } = await cluster(2);
      const [a] = nodes;
      const { Id } = await a.svc.createNetwork({ name: 'fill', subnet: '10.0.9.0/24' });
      await settle();
      const poolId = a.store.getNetwork(Id)!.poolIds[0];
      const ips: IpAddr[] = [];
      for (let i = 0; i < 9; i++) ips.push(await takeAddress(a, Id));
      expect(new Set(ips.map(String)).size).toBe(9);
      const blocks = a.svc.active!.blocks(Id);
      expect(blocks).toHaveLength(2);
      for (const ip of ips) expect(blocks.some((b) => b.contains(ip))).toBe(true);
      // endpoints are what the service counts; none here, so every block is empty
      for (const ip of ips) a.ipam.releaseAddress(poolId, ip);
      a.svc.releaseEmptyBlocks(Id);
      await settle();
      expect(a.svc.active!.blocks(Id)).toEqual([]);
      expect(nodes[1].svc.blockHolders(Id)).toEqual([]);
    });

    it('answers 503 naming the network and the reason when no block is left for this node', async () => {
      const { nodes, settle } = await cluster(3);
      const { Id } = await nodes[0].svc.createNetwork({ name: 'tiny', subnet: '10.0.9.0/28' });
      await settle();
      await takeAddress(nodes[0], Id);
      await takeAddress(nodes[1], Id);
      await settle();
      await expect(takeAddress(nodes[2], Id)).rejects.toMatchObject({ kind: 'unavailable', message: 'network tiny: no address available on this node: no free block of /29 left in 10.0.9.0/28' });
      expect(nodes[2].svc.active!.blocks(Id)).toEqual([]);
    });

    it('leases the block of a static address, and refuses one in another node’s block with a conflict', async () => {
      const { nodes, settle } = await cluster(2);
      const [a, b] = nodes;
      const { Id } = await a.svc.createNetwork({ name: 'st', subnet: '10.0.9.0/24' });
      await settle();
      const poolA = a.store.getNetwork(Id)!.poolIds[0];
      expect(await a.svc.addressFor(Id, poolA, '10.0.9.100')).toBeUndefined();
      expect(a.svc.active!.blocks(Id).map(String)).toEqual(['10.0.9.96/29']);
      await settle();
      await expect(b.svc.addressFor(Id, b.store.getNetwork(Id)!.poolIds[0], '10.0.9.101')).rejects.toMatchObject({ kind: 'conflict', message: 'block 10.0.9.96/29 of network st is held by another node' });
    });
  });

  it('puts this node and the members it sees alive into its token; a joiner dials them directly', async () => {
    const hub = new FakeHub();
    const netlink = new FakeNetlink();
    const [a, b, c] = [await node(hub, netlink, 1), await node(hub, netlink, 2), await node(hub, netlink, 3)];
    const { token, nodeId: idA } = await a.svc.init({ advertiseAddr: '192.0.2.1', name: 'h1' });
    const { nodeId: idB } = await b.svc.join({ token, advertiseAddr: '192.0.2.2', name: 'h2' });
    expect(b.made[0].peers?.map((p) => Buffer.from(p).toString('hex'))).toEqual([idA]);
    await hub.settle();
    await c.svc.join({ token: b.svc.token()!, advertiseAddr: '192.0.2.3', name: 'h3' });
    expect(c.made[0].peers?.map((p) => Buffer.from(p).toString('hex')).sort()).toEqual([idA, idB].sort());
  });

  it('refuses a bad token, a bad advertise address and a second init, changing nothing', async () => {
    const hub = new FakeHub();
    const a = await node(hub, new FakeNetlink(), 1);
    await expect(a.svc.join({ token: 'garbage!', advertiseAddr: '192.0.2.1' })).rejects.toMatchObject({ kind: 'invalid-parameter' });
    await expect(a.svc.init({ advertiseAddr: '0.0.0.0' })).rejects.toMatchObject({ kind: 'invalid-parameter' });
    expect(a.svc.status().Member).toBe(false);
    expect(a.svc.vtep()).toBeUndefined();
    await a.svc.init({ advertiseAddr: '192.0.2.1', name: 'h1' });
    await expect(a.svc.init({ advertiseAddr: '192.0.2.1' })).rejects.toMatchObject({ kind: 'conflict', message: 'this node is already part of a cluster' });
    expect(a.svc.vtep()?.equals(IpAddr.parse('192.0.2.1'))).toBe(true);
  });

  it('drops a silent node’s endpoints from the FDB and the DNS after the node timeout, and restores them when it returns', async () => {
    let now = 1_000_000;
    const hub = new FakeHub();
    const netlink = new FakeNetlink();
    const dns = new RecordingNames();
    const a = await node(hub, netlink, 1, { now: () => now, deadAfterMs: 1000, dns });
    const c = await node(hub, netlink, 3, { now: () => now, deadAfterMs: 1000 });
    const { token } = await a.svc.init({ advertiseAddr: '192.0.2.1', name: 'h1' });
    await c.svc.join({ token, advertiseAddr: '192.0.2.3', name: 'h3' });
    const settle = async () => {
      for (let i = 0; i < 5; i++) {
        await hub.settle();
        await Promise.all([a.svc.idle(), c.svc.idle(), a.driver.idle()]);
      }
    };
    const advance = async (ms: number) => {
      now += ms;
      a.svc.active!.tick();
      c.svc.active!.tick();
      await settle();
    };
    const { Id } = await a.svc.createNetwork({ name: 'ov', subnet: '10.93.0.0/16' });
    await settle();
    const ip = IpAddr.parse('10.93.200.2');
    c.svc.active!.announce({ networkId: Id, endpointId: 'e'.repeat(64), name: 'web-on-h3', aliases: [], ip, mac: MacAddr.fromIpv4(ip), vtep: IpAddr.parse('192.0.2.3') });
    await settle();
    const vxlan = `vx-${Id.slice(0, 12)}`;
    const toH3 = () => netlink.fdbOf(a.hostNs, vxlan).filter((e) => e.dst?.toString() === '192.0.2.3').map((e) => e.mac.toString());
    const h3State = () => a.svc.status().Nodes.find((n) => n.Name === 'h3')?.State;
    expect(toH3()).toEqual([MacAddr.fromIpv4(ip).toString()]);
    expect([...dns.names.values()]).toEqual(['web-on-h3']);

    hub.cut(c.svc.active!.nodeId);
    await advance(600);
    expect(h3State()).toBe('ready');
    expect(toH3()).toHaveLength(1);
    await advance(600);
    expect(h3State()).toBe('down');
    expect(toH3()).toEqual([]);
    expect([...dns.names.values()]).toEqual([]);

    hub.mend(c.svc.active!.nodeId);
    await advance(600);
    expect(h3State()).toBe('ready');
    expect(toH3()).toEqual([MacAddr.fromIpv4(ip).toString()]);
    expect([...dns.names.values()]).toEqual(['web-on-h3']);
  });

  it('serves only other hosts’ endpoints as remote names: its own are the local DNS’s (a second record would answer its address twice)', async () => {
    const hub = new FakeHub();
    const netlink = new FakeNetlink();
    const dns = new RecordingNames();
    const a = await node(hub, netlink, 1, { dns });
    const b = await node(hub, netlink, 2);
    await formCluster([a, b]);
    const settle = async () => {
      for (let i = 0; i < 5; i++) {
        await hub.settle();
        await Promise.all([a.svc.idle(), b.svc.idle()]);
      }
    };
    const { Id } = await a.svc.createNetwork({ name: 'ov', subnet: '10.94.0.0/16' });
    await settle();
    const own = IpAddr.parse('10.94.1.2');
    const other = IpAddr.parse('10.94.2.2');
    a.svc.active!.announce({ networkId: Id, endpointId: 'a'.repeat(64), name: 'web-on-h1', aliases: [], ip: own, mac: MacAddr.fromIpv4(own), vtep: IpAddr.parse('192.0.2.1') });
    b.svc.active!.announce({ networkId: Id, endpointId: 'b'.repeat(64), name: 'web-on-h2', aliases: [], ip: other, mac: MacAddr.fromIpv4(other), vtep: IpAddr.parse('192.0.2.2') });
    await settle();
    expect([...dns.names.values()]).toEqual(['web-on-h2']);
    a.svc.withdraw(Id, 'a'.repeat(64));
    b.svc.withdraw(Id, 'b'.repeat(64));
    await settle();
    expect([...dns.names.values()]).toEqual([]);
  });

  it('withdraws at start the endpoint records of its own that its store no longer has (torn down while the cluster was not running yet)', async () => {
    const hub = new FakeHub();
    const netlink = new FakeNetlink();
    const a = await node(hub, netlink, 1);
    const b = await node(hub, netlink, 2);
    await formCluster([a, b]);
    const settle = (xs: TestNode[]) => settleHosts(hub, xs);
    const { Id } = await a.svc.createNetwork({ name: 'ov', subnet: '10.95.0.0/16' });
    await settle([a, b]);
    // an endpoint b announced and whose record survives in b's saved records, while b's store
    // lost it: the restart's reconcile undid it before the cluster started, so nobody withdrew it
    const ip = IpAddr.parse('10.95.7.2');
    b.svc.active!.announce({ networkId: Id, endpointId: 'd'.repeat(64), name: 'gone', aliases: [], ip, mac: MacAddr.fromIpv4(ip), vtep: IpAddr.parse('192.0.2.2') });
    await settle([a, b]);
    expect(a.driver.remotePeers(Id).map((p) => p.ip.toString())).toEqual([ip.toString()]);
    await b.svc.stop();
    stopped(b.svc);
    const b2 = await node(hub, netlink, 2, {}, { dir: b.dir, hostNs: b.hostNs });
    await b2.svc.start();
    await settle([a, b2]);
    expect(b2.svc.active!.peers(Id)).toEqual([]);
    expect(a.driver.remotePeers(Id)).toEqual([]);
    expect(netlink.fdbOf(a.hostNs, `vx-${Id.slice(0, 12)}`).filter((e) => e.dst !== undefined)).toEqual([]);
  });

  it('withdraws an own endpoint record that a peer hands back after the network is up again (announced just before a kill -9, never saved)', async () => {
    const { hub, netlink, nodes, settle: settleAll } = await cluster(3);
    const [a, b, c] = nodes;
    const settle = (xs: TestNode[]) => settleHosts(hub, xs);
    const { Id } = await a.svc.createNetwork({ name: 'ov', subnet: '10.95.0.0/16' });
    await settleAll();
    const idOf = (x: TestNode) => x.svc.active!.nodeId;
    const [ia, ib, ic] = [idOf(a), idOf(b), idOf(c)];
    // b's announcement reaches c only (a is cut off from both); then b is killed before its periodic save
    hub.separated = (x, y) => x !== y && [x, y].includes(ia);
    const ip = IpAddr.parse('10.95.7.3');
    b.svc.active!.announce({ networkId: Id, endpointId: 'e'.repeat(64), name: 'unsaved', aliases: [], ip, mac: MacAddr.fromIpv4(ip), vtep: IpAddr.parse('192.0.2.2') });
    await settle([b, c]);
    expect(c.driver.remotePeers(Id).map((p) => p.ip.toString())).toEqual([ip.toString()]);
    await b.svc.stop();
    stopped(b.svc);
    const db = openDatabase(b.dir);
    db.prepare("DELETE FROM cluster_own_records WHERE key LIKE 'endpoint/%'").run();
    db.close();
    // b comes back seeing a only (c is cut off from both), and brings the network up from a's records
    hub.separated = (x, y) => x !== y && [x, y].includes(ic);
    const b2 = await node(hub, netlink, 2, {}, { dir: b.dir, hostNs: b.hostNs });
    await b2.svc.start();
    await settle([a, b2]);
    expect(b2.store.getNetwork(Id)).toBeDefined();
    expect(c.driver.remotePeers(Id).map((p) => p.ip.toString())).toEqual([ip.toString()]);
    expect(b2.svc.active!.state.recordsOf(ib).filter((r) => r.key.startsWith('endpoint/'))).toEqual([]);
    // then c, which still holds b's old announcement, is reachable again
    hub.separated = () => false;
    for (let i = 0; i < 3; i++) {
      for (const x of [a, b2, c]) x.svc.active!.tick();
      await settle([a, b2, c]);
    }
    expect(c.svc.active!.state.get(ib, 'node')).toEqual(b2.svc.active!.state.get(ib, 'node'));
    expect(b2.svc.active!.peers(Id)).toEqual([]);
    expect(c.driver.remotePeers(Id)).toEqual([]);
    expect(a.driver.remotePeers(Id)).toEqual([]);
  });

  it('takes the membership timeouts from daemon.json’s cluster key at start', async () => {
    const h = await host(new FakeHub(), new FakeNetlink(), 1);
    await h.svc.start({ nodeTimeoutMs: 2500, reclaimTimeoutMs: 30_000 });
    expect(h.svc.status().Member).toBe(false);
    await h.svc.init({ advertiseAddr: '192.0.2.1', name: 'h1' });
    expect(h.made.map((p) => ({ deadAfterMs: p.deadAfterMs, reclaimAfterMs: p.reclaimAfterMs }))).toEqual([{ deadAfterMs: 2500, reclaimAfterMs: 30_000 }]);
  });
});
