import { bridgeJson, describeAsRoot, ipJson, nsExec, run, tempNetnsName } from '@app/kernel/testing';
import { createClusterKey, encodeToken, parseToken } from '@app/overlay';
import { randomInt } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, type NetdProcess, removeDir, startNetd } from '../apps/netd/src/testing/netd-process';
import { sandboxKit } from '../apps/netd/src/testing/sandbox-kit';
import { assertTestAddresses, type DhtTestnet, startDhtTestnet } from './support/dht-testnet';
import { createL3Segment, type L3Segment, type SegmentHost } from './support/l3-segment';

// Issue 9 on three simulated hosts: one netd per host namespace (own socket, data root and run
// directory) on an underlay segment, host 1 its own DHT bootstrap, a private DHT testnet on the
// segment as the extra bootstrap of hosts 2 and 3 (given through daemon.json). Nothing here talks
// to anything outside the segment's namespaces.
jest.setTimeout(180_000);

const CLUSTER_PORT = 7946;
const PER_HOST = 10;

interface Node {
  readonly host: SegmentHost;
  readonly dir: string;
  netd: NetdProcess;
  readonly sandboxes: string[];
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const pings = (ns: string, ip: string) =>
  nsExec(ns, 'ping', ['-c1', '-W1', ip]).then(
    () => true,
    () => false,
  );

describeAsRoot('overlay networks across three hosts (e2e)', () => {
  let segment: L3Segment | undefined;
  let testnet: DhtTestnet | undefined;
  const nodes: Node[] = [];
  const extra: NetdProcess[] = [];
  const dirs: string[] = [];
  const sandboxNames: string[] = [];
  const third = randomInt(64, 128);
  const subnet = `10.${third}.0.0/16`;
  let networkId = '';

  async function netdIn(host: SegmentHost, config: Record<string, unknown>): Promise<{ netd: NetdProcess; dir: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'netd-t-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'daemon.json'), JSON.stringify(config));
    const netd = await startNetd({ hostNetns: host.ns.ref.path, netns: host.ns.ref.path, dir, bridge: `nd${host.n}` });
    return { netd, dir };
  }

  const status = async (n: { netd: NetdProcess }) => (await api(n.netd.socket, 'GET', '/netd/cluster')).body;
  const networksOf = async (n: { netd: NetdProcess }) => ((await api(n.netd.socket, 'GET', '/networks')).body as { Name: string; Id: string; Driver: string }[]) ?? [];

  beforeAll(async () => {
    segment = await createL3Segment(3);
    testnet = await startDhtTestnet(segment.bridgeNs, segment.bridgeIpv4, segment.owns);
    const [h1, h2, h3] = segment.hosts;

    const first = await netdIn(h1, {});
    nodes.push({ host: h1, ...first, sandboxes: [] });
    const init = await api(first.netd.socket, 'POST', '/netd/cluster/init', { AdvertiseAddr: h1.ipv4, ListenPort: CLUSTER_PORT, Name: 'host1' });
    expect(init.status).toBe(201);
    const token = init.body.Token as string;
    for (const h of [h2, h3]) {
      const cluster = { token, 'advertise-addr': h.ipv4, 'listen-port': CLUSTER_PORT, bootstrap: testnet.bootstrap.map((b) => `${b.host}:${b.port}`) };
      const n = await netdIn(h, { cluster });
      nodes.push({ host: h, ...n, sandboxes: [] });
    }
    await until('a full mesh of three ready nodes', async () => {
      for (const n of nodes) {
        const s = await status(n);
        if (!s.Member || s.Nodes.filter((x: { State: string; Name: string }) => x.State === 'ready' && x.Name).length !== 3) return false;
      }
      return true;
    }, 60_000);
  });

  afterAll(async () => {
    for (const n of [...nodes.map((x) => x.netd), ...extra]) await n?.kill9().catch(() => undefined);
    for (const name of sandboxNames) await run('ip', ['netns', 'del', name]).catch(() => undefined);
    await testnet?.stop().catch(() => undefined);
    await segment?.dispose();
    for (const d of dirs) removeDir(d);
  });

  it('points every DHT only at the segment: bound to its advertise address, bootstrapped from test addresses', async () => {
    for (const n of nodes) {
      const udp = await nsExec(n.host.ns.name, 'ss', ['-H', '-uln']);
      expect(udp).toContain(`${n.host.ipv4}:${CLUSTER_PORT}`);
      expect(udp).not.toMatch(new RegExp(`(0\\.0\\.0\\.0|\\*|\\[::\\]):${CLUSTER_PORT}\\b`));
      const token = parseToken((await status(n)).Token);
      assertTestAddresses(`token of host ${n.host.n}`, token.bootstrap, segment!.owns);
      const joined = n.netd.logs().split('\n').filter((l) => l.includes('"cluster joined"')).map((l) => JSON.parse(l) as { bootstrap: string[] });
      expect(joined.length).toBeGreaterThan(0);
      for (const j of joined) assertTestAddresses(`bootstrap of host ${n.host.n}`, j.bootstrap.map((b) => ({ host: b.replace(/:\d+$/, ''), port: Number(b.split(':').pop()) })), segment!.owns);
    }
  });

  it('creates an overlay on host 1 that appears on hosts 2 and 3', async () => {
    const res = await api(nodes[0].netd.socket, 'POST', '/networks/create', { Name: 'ov1', Driver: 'overlay', Attachable: true, IPAM: { Config: [{ Subnet: subnet }] } });
    expect(res.status).toBe(201);
    networkId = res.body.Id;
    for (const n of nodes) await until(`ov1 on host ${n.host.n}`, async () => (await networksOf(n)).some((x) => x.Id === networkId && x.Driver === 'overlay'));
    for (const n of nodes) {
      const [vx] = await ipJson<{ linkinfo: { info_data: { learning: boolean; port: number } } }[]>(n.host.ns.name, ['-d', 'link', 'show', `vx-${networkId.slice(0, 12)}`]);
      expect(vx.linkinfo.info_data).toMatchObject({ learning: false, port: 4789 });
    }
  });

  it('gives 3 × 10 concurrent connects distinct addresses, and sandboxes on the three hosts ping each other', async () => {
    for (const n of nodes) {
      const kit = sandboxKit(n.netd.dataRoot);
      try {
        for (let i = 0; i < PER_HOST; i++) {
          const name = tempNetnsName();
          sandboxNames.push(name);
          await kit.sandboxes.create(name);
          n.sandboxes.push(name);
        }
      } finally {
        kit.close();
      }
    }
    const results = await Promise.all(nodes.flatMap((n) => n.sandboxes.map((s) => api(n.netd.socket, 'POST', '/networks/ov1/connect', { Container: s }))));
    expect(results.filter((r) => r.status !== 200).map((r) => r.text)).toEqual([]);
    const ips: string[] = [];
    for (const n of nodes) {
      for (const s of n.sandboxes) {
        const addr = await ipJson<{ addr_info: { family: string; local: string }[] }[]>(s, ['addr', 'show', 'dev', 'eth0']);
        ips.push(addr[0].addr_info.find((a) => a.family === 'inet')!.local);
      }
    }
    expect(ips).toHaveLength(3 * PER_HOST);
    expect(new Set(ips).size).toBe(3 * PER_HOST);
    const first = (i: number) => ({ ns: nodes[i].sandboxes[0], ip: ips[i * PER_HOST] });
    for (const [a, b] of [[0, 1], [1, 2], [2, 0], [1, 0], [2, 1], [0, 2]]) {
      expect(await until(`ping host ${a + 1} → host ${b + 1}`, () => pings(first(a).ns, first(b).ip), 15_000)).toBe(true);
    }
  });

  it('resolves the names of sandboxes on other hosts through the embedded DNS of every host', async () => {
    const ipOf = async (ns: string) =>
      (await ipJson<{ addr_info: { family: string; local: string }[] }[]>(ns, ['addr', 'show', 'dev', 'eth0']))[0].addr_info.find((a) => a.family === 'inet')!.local;
    for (const [a, b] of [[1, 0], [2, 1], [0, 2]]) {
      const asker = nodes[a].sandboxes[0];
      const target = nodes[b].sandboxes[0];
      const want = await ipOf(target);
      const answered = await until(
        `host ${a + 1} resolves ${target} on host ${b + 1}`,
        async () => (await nsExec(asker, 'busybox', ['nslookup', target, '127.0.0.11'])).includes(`Address: ${want}`),
        15_000,
      );
      expect(answered).toBe(true);
    }
  });

  it('converges after kill -9 of host 2: its sandboxes stay reachable, and a new one is seen by the others', async () => {
    const h2 = nodes[1];
    const ipOf = async (ns: string) =>
      (await ipJson<{ addr_info: { family: string; local: string }[] }[]>(ns, ['addr', 'show', 'dev', 'eth0']))[0].addr_info.find((a) => a.family === 'inet')!.local;
    const old = h2.sandboxes[0];
    const oldIp = await ipOf(old);
    await h2.netd.kill9();
    h2.netd = await startNetd({ hostNetns: h2.host.ns.ref.path, netns: h2.host.ns.ref.path, dir: h2.dir, dataRoot: h2.netd.dataRoot, bridge: `nd${h2.host.n}` });
    await until('host 2 back in a mesh of three', async () => {
      const st = await status(h2);
      return st.Member && st.Nodes.filter((x: { State: string }) => x.State === 'ready').length === 3;
    }, 60_000);
    expect(await until('host 1 still reaches host 2', () => pings(nodes[0].sandboxes[0], oldIp), 15_000)).toBe(true);

    const kit = sandboxKit(h2.netd.dataRoot);
    const fresh = tempNetnsName();
    try {
      sandboxNames.push(fresh);
      await kit.sandboxes.create(fresh);
    } finally {
      kit.close();
    }
    h2.sandboxes.push(fresh);
    expect((await api(h2.netd.socket, 'POST', '/networks/ov1/connect', { Container: fresh })).status).toBe(200);
    const freshIp = await ipOf(fresh);
    for (const other of [nodes[0], nodes[2]]) {
      const asker = other.sandboxes[0];
      expect(await until(`ping ${fresh} from host ${other.host.n}`, () => pings(asker, freshIp), 15_000)).toBe(true);
      expect(
        await until(`host ${other.host.n} resolves ${fresh}`, async () => (await nsExec(asker, 'busybox', ['nslookup', fresh, '127.0.0.11'])).includes(`Address: ${freshIp}`), 15_000),
      ).toBe(true);
    }
  });

  it('lets a node with a wrong key neither join nor inject records', async () => {
    const intruderHost = await segment!.addHost();
    const real = parseToken((await status(nodes[0])).Token);
    const forged = encodeToken({ key: createClusterKey(), bootstrap: real.bootstrap });
    const { netd } = await netdIn(intruderHost, {});
    extra.push(netd);
    const join = await api(netd.socket, 'POST', '/netd/cluster/join', { Token: forged, AdvertiseAddr: intruderHost.ipv4, ListenPort: CLUSTER_PORT, Name: 'intruder' });
    expect(join.status).toBe(201);
    const evil = await api(netd.socket, 'POST', '/networks/create', { Name: 'evil', Driver: 'overlay', IPAM: { Config: [{ Subnet: '10.250.0.0/16' }] } });
    expect(evil.status).toBe(201);
    await new Promise((r) => setTimeout(r, 5000));
    for (const n of nodes) {
      expect((await networksOf(n)).map((x) => x.Name)).not.toContain('evil');
      expect((await status(n)).Nodes.map((x: { Name: string }) => x.Name)).not.toContain('intruder');
    }
    expect((await status({ netd })).Nodes.filter((x: { Self: boolean }) => !x.Self)).toEqual([]);
    expect((await networksOf({ netd })).map((x) => x.Name)).not.toContain('ov1');
  });

  it('deletes the network everywhere and leaves no vxlan, bridge or FDB entry on any host', async () => {
    for (const n of nodes) {
      for (const s of n.sandboxes) expect((await api(n.netd.socket, 'POST', '/networks/ov1/disconnect', { Container: s })).status).toBe(200);
    }
    await until('endpoints withdrawn everywhere', async () => (await api(nodes[0].netd.socket, 'DELETE', `/networks/${networkId}`)).status === 204, 30_000);
    for (const n of nodes) {
      await until(`ov1 gone from host ${n.host.n}`, async () => !(await networksOf(n)).some((x) => x.Id === networkId));
      await until(`no overlay links on host ${n.host.n}`, async () => {
        const links = await ipJson<{ ifname: string }[]>(n.host.ns.name, ['link', 'show']);
        return !links.some((l) => /^(ov|vx)-/.test(l.ifname));
      });
      expect((await bridgeJson<{ dst?: string }[]>(n.host.ns.name, ['fdb', 'show'])).filter((e) => e.dst !== undefined)).toEqual([]);
    }
  });
});
