import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IpAddr, MacAddr } from '@app/common';
import type { NetnsRef } from '@app/kernel';
import { FakeNetlink } from '@app/kernel/testing';
import { fingerprint, parseToken } from '@app/overlay';
import { FakeHub } from '@app/overlay/testing';
import { openDatabase } from '../store/database';
import { clusterHosts, formCluster, settleHosts } from '../testing/cluster-hosts';
import { ClusterService } from './cluster.service';
import { ClusterStore } from './cluster-store';

const { host: clusterHost, stopped } = clusterHosts();

/** One daemon's cluster side on the fake kernel; `restart` (a host made before) = the same host restarted. */
const host = (hub: FakeHub, netlink: FakeNetlink, n: number, restart?: { dir: string; hostNs: NetnsRef; logs?: string[] }) => clusterHost(hub, netlink, n, { restart });

type Host = Awaited<ReturnType<typeof host>>;

const settle = (hub: FakeHub, hosts: Host[]) => settleHosts(hub, hosts, 6);

async function stop(h: Host) {
  await h.svc.stop();
  stopped(h.svc);
}

describe('cluster key rotation on the daemon side', () => {
  it('gives every host the new key (persisted, epoch shown) with no FDB entry withdrawn; the old token admits no new node, the new one does', async () => {
    const hub = new FakeHub();
    const netlink = new FakeNetlink();
    const hosts = [await host(hub, netlink, 1), await host(hub, netlink, 2), await host(hub, netlink, 3)];
    const [h1, h2, h3] = hosts;
    const token = await formCluster([h1, h2, h3]);
    await settle(hub, hosts);
    const { Id } = await h1.svc.createNetwork({ name: 'ov', subnet: '10.95.0.0/16' });
    await settle(hub, hosts);
    const block = await h3.svc.active!.leaseBlock(Id);
    const ip = block.nth(2n);
    h3.svc.active!.announce({ networkId: Id, endpointId: 'e'.repeat(64), name: 'web', aliases: [], ip, mac: MacAddr.fromIpv4(ip), vtep: IpAddr.parse('192.0.2.3') });
    await settle(hub, hosts);
    const vxlan = `vx-${Id.slice(0, 12)}`;
    const toH3 = (x: Host) => netlink.fdbOf(x.hostNs, vxlan).filter((e) => e.dst?.toString() === '192.0.2.3');
    for (const x of [h1, h2]) expect(toH3(x)).toHaveLength(1);
    const before = h1.svc.status().ClusterKeyFingerprint;
    expect(h1.svc.status().ClusterKeyEpoch).toBe(0);
    const removed = jest.spyOn(netlink, 'deleteFdbEntry');

    const r = h2.svc.rotateKey();
    await settle(hub, hosts);
    expect(r.ClusterKeyEpoch).toBe(1);
    expect(r.ClusterKeyFingerprint).not.toBe(before);
    const newKey = parseToken(r.Token).key;
    expect(fingerprint(newKey)).toBe(r.ClusterKeyFingerprint);
    for (const x of hosts) {
      const s = x.svc.status();
      expect(s).toMatchObject({ ClusterKeyFingerprint: r.ClusterKeyFingerprint, ClusterKeyEpoch: 1 });
      expect(parseToken(s.Token).key).toEqual(newKey);
      expect(s.Nodes.map((n) => n.State)).toEqual(['ready', 'ready', 'ready']);
      expect(x.clusterStore.membership()).toMatchObject({ key: newKey, epoch: 1 });
      // the key is in no log line, in any form the token or a dump would show it
      const all = x.logs.join('');
      for (const form of [Buffer.from(newKey).toString('hex'), Buffer.from(newKey).toString('base64'), Buffer.from(newKey).toString('base64url')]) expect(all).not.toContain(form);
    }
    expect(h1.logs.join('')).toContain('"msg":"cluster key rotated"');
    for (const x of [h1, h2]) expect(toH3(x)).toHaveLength(1);
    expect(removed).not.toHaveBeenCalled();

    // a new node with the old token is refused by every member; with the new one it joins
    const stale = await host(hub, netlink, 4);
    await stale.svc.join({ token, advertiseAddr: '192.0.2.4', name: 'h4' });
    await settle(hub, [...hosts, stale]);
    for (const x of hosts) expect(x.svc.status().Nodes.map((n) => n.Name)).not.toContain('h4');
    expect(stale.svc.status().Nodes.filter((n) => n.State === 'ready')).toHaveLength(1);
    expect(h1.logs.join('')).toContain('cluster connection refused: not a member and no proof of the current cluster key');
    const fresh = await host(hub, netlink, 5);
    await fresh.svc.join({ token: r.Token, advertiseAddr: '192.0.2.5', name: 'h5' });
    await settle(hub, [...hosts, fresh]);
    for (const x of [...hosts, fresh]) expect(x.svc.status().Nodes.filter((n) => n.State === 'ready').map((n) => n.Name).sort()).toEqual(['h1', 'h2', 'h3', 'h5']);
    expect(fresh.svc.status()).toMatchObject({ ClusterKeyFingerprint: r.ClusterKeyFingerprint, ClusterKeyEpoch: 1, RefusedRecords: 0 });
  });

  it('a host stopped during the rotation comes back with the old key, is let in, and keeps the new key across a restart', async () => {
    const hub = new FakeHub();
    const netlink = new FakeNetlink();
    const hosts = [await host(hub, netlink, 1), await host(hub, netlink, 2), await host(hub, netlink, 3)];
    const [h1, h2, h3] = hosts;
    await formCluster([h1, h2, h3]);
    await settle(hub, hosts);
    await stop(h3);
    const r = h1.svc.rotateKey();
    await settle(hub, [h1, h2]);
    expect(h3.clusterStore.membership()?.epoch ?? 0).toBe(0);

    const back = await host(hub, netlink, 3, h3);
    await back.svc.start();
    await settle(hub, [h1, h2, back]);
    expect(back.svc.status()).toMatchObject({ ClusterKeyFingerprint: r.ClusterKeyFingerprint, ClusterKeyEpoch: 1 });
    for (const x of [h1, h2, back]) expect(x.svc.status().Nodes.map((n) => n.State)).toEqual(['ready', 'ready', 'ready']);

    // a restart keeps the new key: it is what the store holds, and the node still meets the others
    await stop(back);
    const again = await host(hub, netlink, 3, back);
    expect(again.clusterStore.membership()).toMatchObject({ key: parseToken(r.Token).key, epoch: 1, rotatedBy: h1.svc.status().NodeID });
    expect(statSync(join(again.dir, 'cluster', 'node.key')).mode & 0o777).toBe(0o600);
    await again.svc.start();
    await settle(hub, [h1, h2, again]);
    expect(again.svc.status()).toMatchObject({ ClusterKeyEpoch: 1, ClusterKeyFingerprint: r.ClusterKeyFingerprint });
    expect(again.svc.status().Nodes.map((n) => n.State)).toEqual(['ready', 'ready', 'ready']);
  });

  it('refuses a rotation outside a cluster', () => {
    const svc = new ClusterService({ clusterStore: new ClusterStore(openDatabase(mkdtempSync(join(tmpdir(), 'netd-rotate-')))) } as never);
    expect(() => svc.rotateKey()).toThrow(expect.objectContaining({ kind: 'conflict', message: expect.stringContaining('not part of a cluster') }));
  });
});
