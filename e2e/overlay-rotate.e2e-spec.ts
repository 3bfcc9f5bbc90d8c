import { describeAsRoot } from '@app/kernel/testing';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, type NetdProcess, removeDir, startNetd } from '../apps/netd/src/testing/netd-process';
import { exec } from './support/exec';
import { CLUSTER_PORT, type ClusterHost, docker, type OverlayCluster, startOverlayCluster, status } from './support/overlay-cluster';
import { until } from './support/until';

// Rotating the cluster key on three simulated hosts while two containers on different hosts ping
// each other: not one packet may be lost, every host ends with the new key (a host killed during
// the rotation too, once it is back), a fourth host holding the old token is refused and one
// holding the new token joins.
jest.setTimeout(150_000);

const NETCTL = join(__dirname, '..', 'dist', 'cli', 'netctl.js');
const netctl = (h: { netd: NetdProcess }, ...args: string[]) => exec(process.execPath, [NETCTL, '-H', `unix://${h.netd.socket}`, ...args], { env: { HOME: '/nonexistent' } });

describeAsRoot('cluster key rotation (e2e)', () => {
  let cluster: OverlayCluster | undefined;
  let fourth: { netd: NetdProcess; dir: string } | undefined;
  const tag = randomBytes(3).toString('hex');
  const subnet = `10.${randomInt(128, 192)}.11.0/24`;
  const box = (h: ClusterHost) => `rot-${h.host.n}-${tag}`;

  beforeAll(async () => {
    cluster = await startOverlayCluster(3, { 'node-timeout': 4 });
    const [h1, h2] = cluster.hosts;
    const created = await docker(h1, 'network', 'create', '-d', 'overlay', '--attachable', '--subnet', subnet, 'rotnet');
    if (created.rc !== 0) throw new Error(created.out);
    const id = created.out.trim();
    for (const h of [h1, h2]) await until(`rotnet on ${h.name}`, async () => (await api(h.netd.socket, 'GET', `/networks/${id}`)).status === 200, 10_000);
    await Promise.all([h1, h2].map(async (h) => expect(await docker(h, 'run', '-d', '--name', box(h), '--network', 'rotnet', 'busybox', 'sleep', '3600')).toMatchObject({ rc: 0 })));
  });

  afterAll(async () => {
    await fourth?.netd.kill9().catch(() => undefined);
    if (fourth) removeDir(fourth.dir);
    await cluster?.dispose();
  });

  it('rotates with zero packets lost between containers on two hosts; every host, the one down meanwhile included, ends with the new key', async () => {
    const [h1, h2, h3] = cluster!.hosts;
    const before = await status(h1);
    expect(before.ClusterKeyEpoch).toBe(0);
    const ip2 = (await api(h2.netd.socket, 'GET', `/containers/${box(h2)}/json`)).body.NetworkSettings.Networks.rotnet.IPAddress as string;
    await until(`${box(h1)} reaches ${box(h2)}`, async () => (await docker(h1, 'exec', box(h1), 'ping', '-c1', '-W1', ip2)).rc === 0, 20_000);

    // host 3 is down for the rotation
    await cluster!.kill(h3);
    const pings = 75;
    const ping = docker(h1, 'exec', box(h1), 'ping', '-i', '0.2', '-c', String(pings), '-W', '1', ip2);
    await new Promise((r) => setTimeout(r, 1500));
    const rotated = await netctl(h2, 'cluster', 'rotate-key');
    expect(rotated.code).toBe(0);
    const token = /netctl cluster join --advertise-addr <its address> (\S+)/.exec(rotated.stdout)?.[1];
    const fp = /fingerprint (SHA256:[0-9a-f]{16})/.exec(rotated.stdout)?.[1];
    expect(token && fp).toBeTruthy();
    expect(fp).not.toBe(before.ClusterKeyFingerprint);
    for (const h of [h1, h2]) await until(`${h.name} holds the new key`, async () => (await status(h)).ClusterKeyFingerprint === fp, 10_000);
    // host 3 comes back with the old key while the pings still run, is let in and switches
    await cluster!.start(h3);
    try {
      await until('host 3 holds the new key', async () => {
        const s = await status(h3);
        return s.ClusterKeyFingerprint === fp && s.Nodes.filter((n: { State: string }) => n.State === 'ready').length === 3;
      }, 30_000);
    } catch (err) {
      for (const h of cluster!.hosts) console.log(`${h.name}:\n${h.netd.logs().split('\n').filter((l) => l.includes('cluster')).slice(-15).join('\n')}\n${JSON.stringify((await status(h)).Nodes)}`);
      throw err;
    }

    const out = (await ping).out;
    const m = /(\d+) packets transmitted, (\d+) packets received/.exec(out);
    expect(m ? [Number(m[1]), Number(m[2])] : out).toEqual([pings, pings]);

    for (const h of cluster!.hosts) {
      const s = await status(h);
      expect(s).toMatchObject({ ClusterKeyFingerprint: fp, ClusterKeyEpoch: 1, Token: expect.any(String) });
      expect(s.Nodes.map((n: { State: string }) => n.State)).toEqual(['ready', 'ready', 'ready']);
      const inspect = JSON.parse((await netctl(h, 'cluster', 'inspect')).stdout);
      expect(inspect).toMatchObject({ ClusterKeyFingerprint: fp, ClusterKeyEpoch: 1 });
      // the key is never in a log line
      const key = Buffer.from(JSON.parse(Buffer.from(token!, 'base64url').toString()).key, 'base64url');
      for (const form of [key.toString('hex'), key.toString('base64'), key.toString('base64url')]) expect(h.netd.logs()).not.toContain(form);
    }
    (globalThis as { rotation?: { token: string; old: string; fp: string } }).rotation = { token: token!, old: before.Token, fp: fp! };
  });

  it('refuses a fourth host holding the old token; with the new token it joins', async () => {
    const { token, old, fp } = (globalThis as unknown as { rotation: { token: string; old: string; fp: string } }).rotation;
    const host = await cluster!.segment.addHost();
    const dir = mkdtempSync(join(tmpdir(), 'netd-t-'));
    writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ cluster: { token: old, 'advertise-addr': host.ipv4, 'listen-port': CLUSTER_PORT, name: 'host4' } }));
    fourth = { dir, netd: await startNetd({ hostNetns: host.ns.ref.path, netns: host.ns.ref.path, dir, bridge: `nd${host.n}` }) };
    const h4 = fourth;
    const id4 = await until('host 4 joined with the old token', async () => (await status(h4)).NodeID || undefined, 20_000);
    try {
      for (const h of cluster!.hosts) {
        await until(`${h.name} refused host 4`, async () => h.netd.logs().split('\n').some((l) => l.includes('cluster connection refused') && l.includes(id4)), 20_000);
      }
    } catch (err) {
      console.log(`host4:\n${h4.netd.logs().split('\n').filter((l) => l.includes('cluster')).slice(-20).join('\n')}`);
      throw err;
    }
    for (const h of cluster!.hosts) expect((await status(h)).Nodes.map((n: { ID: string }) => n.ID)).not.toContain(id4);
    expect((await status(h4)).Nodes.filter((n: { State: string; Self: boolean }) => n.State === 'ready' && !n.Self)).toEqual([]);

    expect(await api(h4.netd.socket, 'POST', '/netd/cluster/leave')).toMatchObject({ status: 200 });
    const joined = await api(h4.netd.socket, 'POST', '/netd/cluster/join', { Token: token, AdvertiseAddr: host.ipv4, ListenPort: CLUSTER_PORT, Name: 'host4' });
    expect(joined.status).toBe(201);
    for (const h of [...cluster!.hosts, h4]) {
      await until(`${h === h4 ? 'host4' : (h as ClusterHost).name} sees 4 ready nodes`, async () => (await status(h)).Nodes.filter((n: { State: string }) => n.State === 'ready').length === 4, 20_000);
    }
    expect(await status(h4)).toMatchObject({ ClusterKeyFingerprint: fp, ClusterKeyEpoch: 1 });
  });
});
