import { describeAsRoot } from '@app/kernel/testing';
import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { IpAddr, MacAddr } from '@app/common';
import { api } from '../apps/netd/src/testing/netd-process';
import { exec } from './support/exec';
import { type Forger, startForger } from './support/forger';
import { type ClusterHost, docker, type OverlayCluster, startOverlayCluster, status } from './support/overlay-cluster';
import { until } from './support/until';

// Per-node identity on three simulated hosts: a member holding the cluster key but writing under
// another node's id is refused by every host (and can be removed), and `cluster rm` of a real host
// takes its FDB entries, neighbour entries and DNS names off every other host.
jest.setTimeout(150_000);

const NETCTL = join(__dirname, '..', 'dist', 'cli', 'netctl.js');

describeAsRoot('node identity and cluster rm (e2e)', () => {
  let cluster: OverlayCluster | undefined;
  let forger: Forger | undefined;
  const tag = randomBytes(3).toString('hex');
  const subnet = `10.${randomInt(128, 192)}.9.0/24`;
  let networkId = '';
  const box = (h: ClusterHost) => `id-${h.host.n}-${tag}`;
  const vx = () => `vx-${networkId.slice(0, 12)}`;
  const inNs = async (h: ClusterHost, cmd: string, args: string[]) => (await exec('nsenter', [`--net=${h.host.ns.ref.path}`, cmd, ...args])).stdout;
  const fdb = (h: ClusterHost) => inNs(h, 'bridge', ['fdb', 'show', 'dev', vx()]);
  const neigh = (h: ClusterHost) => inNs(h, 'ip', ['neigh', 'show', 'dev', vx()]);
  const ipOf = async (h: ClusterHost) => (await api(h.netd.socket, 'GET', `/containers/${box(h)}/json`)).body.NetworkSettings.Networks.idnet.IPAddress as string;
  const resolves = async (from: ClusterHost, name: string) => (await docker(from, 'exec', box(from), 'nslookup', name)).rc === 0;

  beforeAll(async () => {
    cluster = await startOverlayCluster(3, { 'node-timeout': 4 });
    const [h1] = cluster.hosts;
    const created = await docker(h1, 'network', 'create', '-d', 'overlay', '--attachable', '--subnet', subnet, 'idnet');
    if (created.rc !== 0) throw new Error(created.out);
    networkId = created.out.trim();
    for (const h of cluster.hosts) await until(`idnet on ${h.name}`, async () => (await api(h.netd.socket, 'GET', `/networks/${networkId}`)).status === 200, 10_000);
    await Promise.all(cluster.hosts.map(async (h) => expect(await docker(h, 'run', '-d', '--name', box(h), '--network', 'idnet', 'busybox', 'sleep', '3600')).toMatchObject({ rc: 0 })));
  });

  afterAll(async () => {
    await forger?.stop();
    await cluster?.dispose();
  });

  it('refuses records a key holder writes under another node id, on every host; cluster rm then removes the forger', async () => {
    const [h1, h2] = cluster!.hosts;
    const before = await Promise.all(cluster!.hosts.map(async (h) => (await status(h)).RefusedRecords as number));
    const intruder = await cluster!.segment.addHost();
    const forgedIp = subnet.replace(/0\/24$/, '250');
    forger = await startForger(
      intruder,
      { token: (await status(h1)).Token, victim: (await status(h1)).NodeID, networkId, forgedIp, forgedName: `forged-${tag}`, members: 3 },
      cluster!.segment.owns,
    );
    for (const h of cluster!.hosts) {
      await until(`${h.name} refused both forged records`, async () => ((await status(h)).RefusedRecords as number) >= before[cluster!.hosts.indexOf(h)] + 2, 15_000);
      const s = await status(h);
      // the victim keeps its name and its vote; the forger is a member under its own id only
      expect(s.Nodes.find((n: { ID: string }) => n.ID === forger!.nodeId)).toMatchObject({ Name: 'forger' });
      expect(s.Nodes.find((n: { Name: string }) => n.Name === 'host1')).toMatchObject({ State: 'ready' });
      expect(await fdb(h)).not.toContain(MacAddr.fromIpv4(IpAddr.parse(forgedIp)).toString());
      const refusals = h.netd.logs().split('\n').filter((l) => l.includes('"cluster record refused"'));
      expect(refusals.some((l) => l.includes('"reason":"bad signature"') && l.includes(s.Nodes.find((n: { Name: string }) => n.Name === 'host1').ID))).toBe(true);
    }
    expect(await resolves(h2, `forged-${tag}`)).toBe(false);

    const rm = await exec(process.execPath, [NETCTL, '-H', `unix://${h2.netd.socket}`, 'cluster', 'rm', forger!.nodeId.slice(0, 12)], { env: { HOME: '/nonexistent' } });
    expect(rm.stdout.trim()).toBe(forger!.nodeId);
    for (const h of cluster!.hosts) {
      await until(`${h.name} revoked the forger`, async () => {
        const s = await status(h);
        return s.Revoked.some((r: { ID: string }) => r.ID === forger!.nodeId) && !s.Nodes.some((n: { ID: string }) => n.ID === forger!.nodeId);
      }, 10_000);
    }
    const inspect = await exec(process.execPath, [NETCTL, '-H', `unix://${h1.netd.socket}`, 'cluster', 'inspect'], { env: { HOME: '/nonexistent' } });
    const view = JSON.parse(inspect.stdout);
    expect(view.Members).toHaveLength(3);
    for (const m of view.Members) expect(m.Fingerprint).toMatch(/^SHA256:[0-9a-f]{16}$/);
    expect(view.Revoked.map((r: { ID: string }) => r.ID)).toEqual([forger!.nodeId]);
  });

  it('cluster rm of a host takes its FDB entries, neighbour entries and DNS names off every other host', async () => {
    const [h1, h2, h3] = cluster!.hosts;
    const ip3 = await ipOf(h3);
    const ls = await exec(process.execPath, [NETCTL, '-H', `unix://${h1.netd.socket}`, 'cluster', 'ls'], { env: { HOME: '/nonexistent' } });
    expect(ls.stdout.split('\n')[0]).toMatch(/ID\s+NAME\s+ADDRESS\s+STATE\s+ROLE\s+BLOCKS\s+LAST SEEN\s+RTT/);
    expect(ls.stdout).toMatch(/host3\s+192\.0\.2\.3:7946\s+ready\s+voter\s+idnet\/\S+\/\d+\s+\S+\s+[\d.]+ms/);
    for (const h of [h1, h2]) {
      await until(`${h.name} resolves host 3's container`, () => resolves(h, box(h3)), 20_000);
      expect(await fdb(h)).toContain('dst 192.0.2.3');
      expect(await neigh(h)).toContain(ip3);
    }

    const rm = await api(h1.netd.socket, 'DELETE', '/netd/cluster/nodes/host3');
    expect(rm.status).toBe(200);
    for (const h of [h1, h2]) {
      await until(`${h.name} forgot host 3`, async () => !(await fdb(h)).includes('dst 192.0.2.3') && !(await neigh(h)).includes(ip3), 10_000);
      expect(await resolves(h, box(h3))).toBe(false);
      const s = await status(h);
      expect(s.Nodes.map((n: { Name: string }) => n.Name)).not.toContain('host3');
      expect(s.Revoked.map((r: { ID: string }) => r.ID)).toContain((await status(h3)).NodeID);
    }
    // the others still reach each other by name
    expect(await resolves(h1, box(h2))).toBe(true);
  });
});
