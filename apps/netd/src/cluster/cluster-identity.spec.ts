import { statSync } from 'node:fs';
import { IpAddr, MacAddr } from '@app/common';
import type { NetnsRef } from '@app/kernel';
import { FakeNetlink } from '@app/kernel/testing';
import { FakeHub } from '@app/overlay/testing';
import { clusterHosts, formCluster, settleHosts } from '../testing/cluster-hosts';

const { host: clusterHost, stopped } = clusterHosts();

/** One daemon's cluster side on the fake kernel; `restart` (a host made before) = the same host restarted. */
const host = (hub: FakeHub, netlink: FakeNetlink, n: number, restart?: { dir: string; hostNs: NetnsRef; logs?: string[] }) => clusterHost(hub, netlink, n, { restart });

describe('cluster identity and cluster rm on the daemon side', () => {
  it('keeps the node key in a 0600 file of the data root, and the same id after a restart', async () => {
    const hub = new FakeHub();
    const netlink = new FakeNetlink();
    const a = await host(hub, netlink, 1);
    const { nodeId } = await a.svc.init({ advertiseAddr: '192.0.2.1', name: 'h1' });
    expect(statSync(a.keyPath).mode & 0o777).toBe(0o600);
    expect(statSync(a.keyPath).size).toBe(32);
    await a.svc.stop();
    stopped(a.svc);
    const again = await host(hub, netlink, 1, a);
    await again.svc.start();
    expect(again.svc.status().NodeID).toBe(nodeId);
    expect(again.svc.status().Fingerprint).toMatch(/^SHA256:[0-9a-f]{16}$/);
  });

  it('removes a node on every host: FDB and neighbour entries, DNS names, its blocks and its membership; survives a restart', async () => {
    const hub = new FakeHub();
    const netlink = new FakeNetlink();
    const hosts = [await host(hub, netlink, 1), await host(hub, netlink, 2), await host(hub, netlink, 3)];
    const [h1, h2, h3] = hosts;
    await formCluster([h1, h2, h3]);
    const settle = () => settleHosts(hub, hosts, 6);
    await settle();
    const { Id } = await h1.svc.createNetwork({ name: 'ov', subnet: '10.94.0.0/16' });
    await settle();
    const block = await h3.svc.active!.leaseBlock(Id);
    const ip = block.nth(2n);
    h3.svc.active!.announce({ networkId: Id, endpointId: 'e'.repeat(64), name: 'web-on-h3', aliases: [], ip, mac: MacAddr.fromIpv4(ip), vtep: IpAddr.parse('192.0.2.3') });
    await settle();
    const vxlan = `vx-${Id.slice(0, 12)}`;
    const toH3 = (x: (typeof hosts)[number]) => netlink.fdbOf(x.hostNs, vxlan).filter((e) => e.dst?.toString() === '192.0.2.3');
    const neighH3 = (x: (typeof hosts)[number]) => netlink.neighborsOf(x.hostNs, vxlan).filter((n) => n.ip?.toString() === ip.toString());
    for (const x of [h1, h2]) {
      expect(toH3(x)).toHaveLength(1);
      expect(neighH3(x)).toHaveLength(1);
      expect([...x.dns.names.values()]).toEqual(['web-on-h3']);
      expect(x.svc.status().Nodes.find((n) => n.Name === 'h3')?.Blocks).toEqual([`ov/${block}`]);
    }
    const h3Id = h3.svc.status().NodeID;

    expect(() => h1.svc.removeNode('h1')).toThrow(expect.objectContaining({ kind: 'invalid-parameter' }));
    expect(() => h1.svc.removeNode('nope')).toThrow(expect.objectContaining({ kind: 'not-found', message: 'node nope not found' }));
    expect(h1.svc.removeNode('h3')).toEqual({ ID: h3Id });
    await settle();
    for (const x of [h1, h2]) {
      expect(toH3(x)).toEqual([]);
      expect(neighH3(x)).toEqual([]);
      expect([...x.dns.names.values()]).toEqual([]);
      const s = x.svc.status();
      expect(s.Nodes.map((n) => n.Name).sort()).toEqual(['h1', 'h2']);
      expect(s.Revoked.map((r) => r.ID)).toEqual([h3Id]);
      expect(x.svc.blockHolders(Id).map((b) => b.Name)).not.toContain('h3');
    }

    // h2 restarts: the revocation (made by h1) is in force before h3 can say anything
    await h2.svc.stop();
    stopped(h2.svc);
    const h2b = await host(hub, netlink, 2, h2);
    await h2b.svc.start();
    expect(h2b.svc.status().Revoked.map((r) => r.ID)).toEqual([h3Id]);
    h3.svc.active!.announce({ networkId: Id, endpointId: 'f'.repeat(64), name: 'again', aliases: [], ip: block.nth(3n), mac: MacAddr.fromIpv4(block.nth(3n)), vtep: IpAddr.parse('192.0.2.3') });
    for (let i = 0; i < 6; i++) {
      await hub.settle();
      await Promise.all([h1, h2b, h3].flatMap((x) => [x.svc.idle(), x.driver.idle()]));
    }
    expect(h2b.svc.status().Nodes.map((n) => n.Name)).not.toContain('h3');
    expect([...h2b.dns.names.values()]).toEqual([]);
  });

  it('shows each node’s role, and a restarted node counts its majorities from the voters it persisted before it reaches anyone', async () => {
    const hub = new FakeHub();
    const netlink = new FakeNetlink();
    const hosts = [await host(hub, netlink, 1), await host(hub, netlink, 2), await host(hub, netlink, 3)];
    const [h1, h2, h3] = hosts;
    await formCluster([h1, h2, h3]);
    await hub.settle();
    for (const x of hosts) expect(x.svc.status().Nodes.map((n) => [n.Name, n.Role]).sort()).toEqual([['h1', 'voter'], ['h2', 'voter'], ['h3', 'voter']]);
    // h2 restarts on a hub where nobody answers: it still counts three voters, so alone it has no quorum
    await h2.svc.stop();
    stopped(h2.svc);
    const alone = await host(new FakeHub(), netlink, 2, h2);
    await alone.svc.start();
    expect(alone.svc.active!.voters()).toHaveLength(3);
    await expect(alone.svc.createNetwork({ name: 'solo', subnet: '10.95.0.0/16' })).rejects.toMatchObject({ kind: 'unavailable', message: expect.stringMatching(/reaches 1 of 3 voting members/) });
  });
});
