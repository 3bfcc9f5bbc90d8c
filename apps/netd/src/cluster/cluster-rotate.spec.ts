import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { IpAddr, MacAddr, Prefix } from '@app/common';
import { OverlayDriver } from '@app/drivers';
import { DefaultIpam } from '@app/ipam';
import type { NetnsRef } from '@app/kernel';
import { FakeFirewall, FakeNetlink, FakeSysctl } from '@app/kernel/testing';
import { fingerprint, parseToken } from '@app/overlay';
import { FakeDiscovery, FakeHub } from '@app/overlay/testing';
import pino from 'pino';
import { NetworkLifecycle } from '../networks/network-lifecycle';
import { openDatabase } from '../store/database';
import { SqliteIpamStore } from '../store/sqlite-ipam-store';
import { StateStore } from '../store/state-store';
import { ClusterService } from './cluster.service';
import { ClusterStore } from './cluster-store';

const dirs: string[] = [];
const services: ClusterService[] = [];
afterEach(async () => {
  for (const s of services.splice(0)) await s.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** One daemon's cluster side on the fake kernel, its log kept; `restart` reuses a host's data. */
async function host(hub: FakeHub, netlink: FakeNetlink, n: number, restart?: { dir: string; hostNs: NetnsRef; logs: string[] }) {
  const dir = restart?.dir ?? mkdtempSync(join(tmpdir(), 'netd-rotate-'));
  if (!dirs.includes(dir)) dirs.push(dir);
  const db = openDatabase(dir);
  let hostNs = restart?.hostNs;
  if (!hostNs) {
    hostNs = netlink.addNamespace(`/run/netns/rot-h${n}`);
    await netlink.createLink(hostNs, { kind: 'dummy', name: 'eth0', mtu: 1500 });
    await netlink.addAddress(hostNs, 'eth0', Prefix.parse(`192.0.2.${n}/24`));
  }
  const logs = restart?.logs ?? [];
  const sink = new Writable({ write: (chunk, _enc, cb) => (logs.push(String(chunk)), cb()) });
  const driver = new OverlayDriver({ netlink, firewall: new FakeFirewall(), sysctl: new FakeSysctl(netlink), hostNs, vtep: () => svc.vtep() });
  const store = new StateStore(db);
  const ipam = new DefaultIpam({ store: new SqliteIpamStore(db) });
  const clusterStore = new ClusterStore(db, join(dir, 'cluster', 'node.key'));
  const svc: ClusterService = new ClusterService({
    store,
    ipam,
    lifecycle: new NetworkLifecycle({ store, ipam }),
    clusterStore,
    driver,
    log: pino({ level: 'info' }, sink),
    makeDiscovery: (p) =>
      new FakeDiscovery(hub, {
        clusterKey: p.clusterKey, clusterKeyEpoch: p.clusterKeyEpoch, clusterKeyRotatedBy: p.clusterKeyRotatedBy, onKeyChange: p.onKeyChange,
        onRefusedConnection: p.onRefusedConnection, onLeftOut: p.onLeftOut, node: p.node, seed: p.identity.seed, votes: p.votes, founder: p.founder, onRefused: p.onRefused,
      }),
  });
  services.push(svc);
  return { svc, hostNs, driver, dir, logs, clusterStore };
}

type Host = Awaited<ReturnType<typeof host>>;

async function settle(hub: FakeHub, hosts: Host[]) {
  for (let i = 0; i < 6; i++) {
    await hub.settle();
    await Promise.all(hosts.flatMap((x) => [x.svc.idle(), x.driver.idle()]));
  }
}

async function stop(h: Host) {
  await h.svc.stop();
  services.splice(services.indexOf(h.svc), 1);
}

describe('cluster key rotation on the daemon side', () => {
  it('gives every host the new key (persisted, epoch shown) with no FDB entry withdrawn; the old token admits no new node, the new one does', async () => {
    const hub = new FakeHub();
    const netlink = new FakeNetlink();
    const hosts = [await host(hub, netlink, 1), await host(hub, netlink, 2), await host(hub, netlink, 3)];
    const [h1, h2, h3] = hosts;
    const { token } = await h1.svc.init({ advertiseAddr: '192.0.2.1', name: 'h1' });
    await h2.svc.join({ token, advertiseAddr: '192.0.2.2', name: 'h2' });
    await h3.svc.join({ token, advertiseAddr: '192.0.2.3', name: 'h3' });
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
    const { token } = await h1.svc.init({ advertiseAddr: '192.0.2.1', name: 'h1' });
    await h2.svc.join({ token, advertiseAddr: '192.0.2.2', name: 'h2' });
    await h3.svc.join({ token, advertiseAddr: '192.0.2.3', name: 'h3' });
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
