import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IpAddr, MacAddr, Prefix } from '@app/common';
import { OverlayDriver } from '@app/drivers';
import { DefaultIpam } from '@app/ipam';
import type { NetnsRef } from '@app/kernel';
import { FakeFirewall, FakeNetlink, FakeSysctl } from '@app/kernel/testing';
import { FakeDiscovery, FakeHub } from '@app/overlay/testing';
import pino from 'pino';
import type { RemoteNames } from '../dns/sandbox-dns';
import { NetworkLifecycle } from '../networks/network-lifecycle';
import { openDatabase } from '../store/database';
import { SqliteIpamStore } from '../store/sqlite-ipam-store';
import { StateStore } from '../store/state-store';
import { ClusterService } from './cluster.service';
import { ClusterStore } from './cluster-store';

class RecordingNames implements RemoteNames {
  readonly names = new Map<string, string>();
  upsertRemote(networkId: string, r: { id: string; name: string }): void {
    this.names.set(`${networkId}/${r.id}`, r.name);
  }
  removeRemote(networkId: string, id: string): void {
    this.names.delete(`${networkId}/${id}`);
  }
}

const dirs: string[] = [];
const services: ClusterService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** One daemon's cluster side on the fake kernel; `dir` reused = the same host restarted. */
async function host(hub: FakeHub, netlink: FakeNetlink, n: number, restart?: { dir: string; hostNs: NetnsRef }) {
  const dir = restart?.dir ?? mkdtempSync(join(tmpdir(), 'netd-identity-'));
  if (!dirs.includes(dir)) dirs.push(dir);
  const db = openDatabase(dir);
  let hostNs = restart?.hostNs;
  if (!hostNs) {
    hostNs = netlink.addNamespace(`/run/netns/id-h${n}`);
    await netlink.createLink(hostNs, { kind: 'dummy', name: 'eth0', mtu: 1500 });
    await netlink.addAddress(hostNs, 'eth0', Prefix.parse(`192.0.2.${n}/24`));
  }
  const dns = new RecordingNames();
  const driver = new OverlayDriver({ netlink, firewall: new FakeFirewall(), sysctl: new FakeSysctl(netlink), hostNs, vtep: () => svc.vtep() });
  const store = new StateStore(db);
  const ipam = new DefaultIpam({ store: new SqliteIpamStore(db) });
  const keyPath = join(dir, 'cluster', 'node.key');
  const svc: ClusterService = new ClusterService({
    store,
    ipam,
    lifecycle: new NetworkLifecycle({ store, ipam }),
    clusterStore: new ClusterStore(db, keyPath),
    driver,
    log: pino({ level: 'silent' }),
    makeDiscovery: (p) => new FakeDiscovery(hub, { clusterKey: p.clusterKey, clusterKeyEpoch: p.clusterKeyEpoch, clusterKeyRotatedBy: p.clusterKeyRotatedBy, onKeyChange: p.onKeyChange, node: p.node, seed: p.identity.seed, votes: p.votes, founder: p.founder, onRefused: p.onRefused }),
    dns,
  });
  services.push(svc);
  return { svc, hostNs, driver, dns, dir, keyPath };
}

describe('cluster identity and cluster rm on the daemon side', () => {
  it('keeps the node key in a 0600 file of the data root, and the same id after a restart', async () => {
    const hub = new FakeHub();
    const netlink = new FakeNetlink();
    const a = await host(hub, netlink, 1);
    const { nodeId } = await a.svc.init({ advertiseAddr: '192.0.2.1', name: 'h1' });
    expect(statSync(a.keyPath).mode & 0o777).toBe(0o600);
    expect(statSync(a.keyPath).size).toBe(32);
    await a.svc.stop();
    services.splice(services.indexOf(a.svc), 1);
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
    const { token } = await h1.svc.init({ advertiseAddr: '192.0.2.1', name: 'h1' });
    await h2.svc.join({ token, advertiseAddr: '192.0.2.2', name: 'h2' });
    await h3.svc.join({ token, advertiseAddr: '192.0.2.3', name: 'h3' });
    const settle = async () => {
      for (let i = 0; i < 6; i++) {
        await hub.settle();
        await Promise.all(hosts.flatMap((x) => [x.svc.idle(), x.driver.idle()]));
      }
    };
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
    services.splice(services.indexOf(h2.svc), 1);
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
    const { token } = await h1.svc.init({ advertiseAddr: '192.0.2.1', name: 'h1' });
    await h2.svc.join({ token, advertiseAddr: '192.0.2.2', name: 'h2' });
    await h3.svc.join({ token, advertiseAddr: '192.0.2.3', name: 'h3' });
    await hub.settle();
    for (const x of hosts) expect(x.svc.status().Nodes.map((n) => [n.Name, n.Role]).sort()).toEqual([['h1', 'voter'], ['h2', 'voter'], ['h3', 'voter']]);
    // h2 restarts on a hub where nobody answers: it still counts three voters, so alone it has no quorum
    await h2.svc.stop();
    services.splice(services.indexOf(h2.svc), 1);
    const alone = await host(new FakeHub(), netlink, 2, h2);
    await alone.svc.start();
    expect(alone.svc.active!.voters()).toHaveLength(3);
    await expect(alone.svc.createNetwork({ name: 'solo', subnet: '10.95.0.0/16' })).rejects.toMatchObject({ kind: 'unavailable', message: expect.stringMatching(/reaches 1 of 3 voting members/) });
  });
});
