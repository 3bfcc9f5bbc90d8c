import { bridgeJson, describeAsRoot, ipJson, nsExec } from '@app/kernel/testing';
import { createClusterKey, encodeToken, parseToken } from '@app/overlay';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, type NetdProcess, removeDir, startNetd } from '../apps/netd/src/testing/netd-process';
import { assertTestAddresses, type DhtTestnet, startDhtTestnet } from './support/dht-testnet';
import { exec } from './support/exec';
import { until } from './support/until';
import { createL3Segment, type L3Segment, type SegmentHost } from './support/l3-segment';

// Overlay networks across a cluster, on three simulated hosts: one netd per host namespace (own socket, data root and run
// directory) on an underlay segment, host 1 its own DHT bootstrap, a private DHT testnet on the
// segment as the extra bootstrap of hosts 2 and 3 (given through daemon.json). Busybox containers
// (seeded at daemon start) are the endpoints. Nothing here talks to anything outside the segment's
// namespaces.
jest.setTimeout(180_000);

const CLUSTER_PORT = 7946;
const PER_HOST = 50;
/** daemon.json `cluster.node-timeout` (s): short, so node loss takes seconds. */
const NODE_TIMEOUT_S = 4;
/** How long host 3's underlay link stays cut. */
const CUT_HOLD_MS = 40_000;

interface Node {
  readonly host: SegmentHost;
  readonly dir: string;
  netd: NetdProcess;
  /** The long-lived container of this host on ov1. */
  box: string;
}


/** The docker 28 client against one host's netd, without blocking the event loop. */
async function docker(n: { netd: NetdProcess }, ...args: string[]): Promise<{ rc: number; out: string }> {
  const r = await exec('docker', ['-H', `unix://${n.netd.socket}`, ...args], { env: { HOME: '/nonexistent' }, timeoutMs: 60_000 });
  return { rc: r.code ?? -1, out: r.stdout + r.stderr };
}

const pingsByName = async (from: Node, name: string) => (await docker(from, 'exec', from.box, 'ping', '-c1', '-W1', name)).rc === 0;
/** The address 127.0.0.11 gives for a name inside a host's container (undefined: no answer). */
const resolves = async (from: Node, name: string) => {
  const { out } = await docker(from, 'exec', from.box, 'nslookup', name, '127.0.0.11');
  return out.split('\n').map((l) => /^Address:\s+(\d+\.\d+\.\d+\.\d+)$/.exec(l.trim())?.[1]).find((a) => a !== undefined);
};
const ipOn = async (n: Node, container: string) => {
  const res = await api(n.netd.socket, 'GET', `/containers/${container}/json`);
  return res.body?.NetworkSettings?.Networks?.ov1?.IPAddress as string | undefined;
};

describeAsRoot('overlay networks across three hosts (e2e)', () => {
  let segment: L3Segment | undefined;
  let testnet: DhtTestnet | undefined;
  const nodes: Node[] = [];
  const extra: NetdProcess[] = [];
  const dirs: string[] = [];
  const third = randomInt(64, 128);
  const subnet = `10.${third}.0.0/16`;
  const tag = randomBytes(3).toString('hex');
  let networkId = '';

  async function netdIn(host: SegmentHost, config: Record<string, unknown>): Promise<{ netd: NetdProcess; dir: string }> {
    const dir = mkdtempSync(join(tmpdir(), 'netd-t-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'daemon.json'), JSON.stringify(config));
    const netd = await startNetd({ hostNetns: host.ns.ref.path, netns: host.ns.ref.path, dir, bridge: `nd${host.n}` });
    return { netd, dir };
  }

  /** Every container of a host's netd, force-removed (the daemons are killed afterwards). */
  async function removeAllContainers(n: { netd: NetdProcess }): Promise<void> {
    const list = await api(n.netd.socket, 'GET', '/containers/json?all=1').catch(() => undefined);
    for (const c of (list?.body as { Id: string }[] | undefined) ?? []) await api(n.netd.socket, 'DELETE', `/containers/${c.Id}?force=1`).catch(() => undefined);
  }

  const status = async (n: { netd: NetdProcess }) => (await api(n.netd.socket, 'GET', '/netd/cluster')).body;
  const stateOf = async (n: { netd: NetdProcess }, name: string) => ((await status(n)).Nodes as { Name: string; State: string }[]).find((x) => x.Name === name)?.State;
  const networksOf = async (n: { netd: NetdProcess }) => ((await api(n.netd.socket, 'GET', '/networks')).body as { Name: string; Id: string; Driver: string }[]) ?? [];
  /** Permanent neighbours on a host's vxlan device: every remote endpoint, none inside containers. */
  const vxNeighbours = async (n: Node) =>
    new Set((await ipJson<{ dst: string; state: string[] }[]>(n.host.ns.name, ['neigh', 'show', 'dev', `vx-${networkId.slice(0, 12)}`])).filter((e) => e.state.includes('PERMANENT')).map((e) => e.dst));
  const fdbTo = async (n: Node, vtep: string) => (await bridgeJson<{ ifname?: string; dst?: string }[]>(n.host.ns.name, ['fdb', 'show', 'dev', `vx-${networkId.slice(0, 12)}`])).filter((e) => e.dst === vtep);

  beforeAll(async () => {
    segment = await createL3Segment(3);
    testnet = await startDhtTestnet(segment.bridgeNs, segment.bridgeIpv4, segment.owns);
    const [h1, h2, h3] = segment.hosts;

    const first = await netdIn(h1, { cluster: { 'node-timeout': NODE_TIMEOUT_S } });
    nodes.push({ host: h1, ...first, box: '' });
    const init = await api(first.netd.socket, 'POST', '/netd/cluster/init', { AdvertiseAddr: h1.ipv4, ListenPort: CLUSTER_PORT, Name: 'host1' });
    expect(init.status).toBe(201);
    const token = init.body.Token as string;
    for (const h of [h2, h3]) {
      const cluster = { token, 'advertise-addr': h.ipv4, 'listen-port': CLUSTER_PORT, bootstrap: testnet.bootstrap.map((b) => `${b.host}:${b.port}`), name: `host${h.n}`, 'node-timeout': NODE_TIMEOUT_S };
      const n = await netdIn(h, { cluster });
      nodes.push({ host: h, ...n, box: '' });
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
    // a daemon that died on its own says why (the tests only see a refused socket)
    for (const n of nodes) {
      if (n.netd.child.exitCode !== null) console.log(`host ${n.host.n}: netd exited ${n.netd.child.exitCode}\n${n.netd.logs().split('\n').slice(-25).join('\n')}`);
    }
    for (const n of nodes) await removeAllContainers(n);
    for (const n of [...nodes.map((x) => x.netd), ...extra]) await n?.kill9().catch(() => undefined);
    await testnet?.stop().catch(() => undefined);
    if (segment) await segment.setLink(segment.hosts[2], true).catch(() => undefined);
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

  it('runs a busybox container on each host; they ping each other by name across hosts', async () => {
    await Promise.all(
      nodes.map(async (n) => {
        n.box = `box${n.host.n}-${tag}`;
        const r = await docker(n, 'run', '-d', '--name', n.box, '--network', 'ov1', 'busybox', 'sleep', '3600');
        expect(r).toEqual({ rc: 0, out: expect.any(String) });
      }),
    );
    for (const [a, b] of [[0, 1], [1, 2], [2, 0], [1, 0], [2, 1], [0, 2]]) {
      const from = nodes[a];
      const to = nodes[b];
      expect(await until(`${from.box} pings ${to.box}`, () => pingsByName(from, to.box), 20_000)).toBe(true);
      expect(await resolves(from, to.box)).toBe(await ipOn(to, to.box));
    }
  });

  it(`gives 3 × ${PER_HOST} containers created and started at once on all hosts distinct addresses`, async () => {
    const started = Date.now();
    const made = await Promise.all(
      nodes.flatMap((n) =>
        Array.from({ length: PER_HOST }, async (_, i) => {
          const name = `bulk${n.host.n}-${i}-${tag}`;
          try {
            const c = await api(n.netd.socket, 'POST', `/containers/create?name=${name}`, { Image: 'busybox', Cmd: ['sleep', '3600'], HostConfig: { NetworkMode: 'ov1' } });
            if (c.status !== 201) return { n, name, error: `create ${c.status} ${c.text}` };
            const s = await api(n.netd.socket, 'POST', `/containers/${c.body.Id}/start`);
            return { n, name, error: s.status === 204 ? undefined : `start ${s.status} ${s.text}` };
          } catch (e) {
            return { n, name, error: `${(e as Error).message} after ${Date.now() - started} ms` };
          }
        }),
      ),
    );
    const elapsed = Date.now() - started;
    const failed = made.filter((m) => m.error);
    // What the daemons said (warnings and errors) is what tells a slow start from a stuck one.
    for (const n of new Set(failed.map((m) => m.n))) {
      console.log(`host ${n.host.n} log (warn and above):\n${n.netd.logs().split('\n').filter((l) => /"level":(4|5|6)\d/.test(l)).slice(-40).join('\n')}`);
    }
    expect(failed.map((m) => `${m.name}: ${m.error}`)).toEqual([]);
    const ips = await Promise.all(made.map((m) => ipOn(m.n, m.name)));
    console.log(`3 × ${PER_HOST} containers created and started concurrently in ${elapsed} ms`);
    expect(ips.filter((ip) => !ip)).toEqual([]);
    expect(new Set(ips).size).toBe(3 * PER_HOST);
    for (const ip of ips) expect(ip!.startsWith(`10.${third}.`)).toBe(true);
    const remoteIps = (n: Node) => ips.filter((_, i) => made[i].n !== n) as string[];
    for (const n of nodes) {
      await until(`host ${n.host.n} holds a neighbour for every remote container on its vxlan device`, async () => {
        const have = await vxNeighbours(n);
        return remoteIps(n).every((ip) => have.has(ip));
      });
    }
    // A few at a time per host: each force-removal waits for its kill, and a host serialises them.
    const removeSome = async (n: Node) => {
      const mine = made.filter((m) => m.n === n);
      while (mine.length > 0) await Promise.all(mine.splice(0, 5).map((m) => api(n.netd.socket, 'DELETE', `/containers/${m.name}?force=1`)));
    };
    const removing = Date.now();
    await Promise.all(nodes.map(removeSome));
    for (const n of nodes) {
      const others = nodes.filter((o) => o !== n).map((o) => o.host.ipv4);
      await until(`host ${n.host.n} withdrew the removed containers' FDB entries`, async () => {
        const left = await Promise.all(others.map((vtep) => fdbTo(n, vtep)));
        return left.every((l) => l.length === 1);
      }, 30_000);
    }
    console.log(`3 × ${PER_HOST} containers removed, FDB entries withdrawn everywhere in ${Date.now() - removing} ms`);
    for (const n of nodes) {
      await until(`host ${n.host.n} dropped the removed containers' neighbours`, async () => {
        const have = await vxNeighbours(n);
        return remoteIps(n).every((ip) => !have.has(ip));
      });
    }
  });

  it('converges after kill -9 of host 2: its container stays reachable, and a new one is seen by the others', async () => {
    const h2 = nodes[1];
    await h2.netd.kill9();
    h2.netd = await startNetd({ hostNetns: h2.host.ns.ref.path, netns: h2.host.ns.ref.path, dir: h2.dir, dataRoot: h2.netd.dataRoot, bridge: `nd${h2.host.n}` });
    await until('host 2 back in a mesh of three', async () => {
      const st = await status(h2);
      return st.Member && st.Nodes.filter((x: { State: string }) => x.State === 'ready').length === 3;
    }, 60_000);
    expect(await until('host 1 still pings host 2’s container by name', () => pingsByName(nodes[0], h2.box), 20_000)).toBe(true);

    const fresh = `fresh2-${tag}`;
    expect(await docker(h2, 'run', '-d', '--name', fresh, '--network', 'ov1', 'busybox', 'sleep', '3600')).toMatchObject({ rc: 0 });
    const freshIp = await ipOn(h2, fresh);
    for (const other of [nodes[0], nodes[2]]) {
      expect(await until(`host ${other.host.n} pings ${fresh}`, () => pingsByName(other, fresh), 20_000)).toBe(true);
      expect(await resolves(other, fresh)).toBe(freshIp);
    }
  });

  it('drops host 3’s endpoints everywhere when its link is cut, and reconverges when it is restored', async () => {
    const [h1, h2, h3] = nodes;
    const box3Ip = await ipOn(h3, h3.box);
    expect(await resolves(h1, h3.box)).toBe(box3Ip);
    expect(await fdbTo(h1, h3.host.ipv4)).toHaveLength(1);

    const cut = Date.now();
    await segment!.setLink(h3.host, false);
    const slackMs = 6000;
    for (const n of [h1, h2]) {
      await until(`host ${n.host.n} shows host 3 down`, async () => (await stateOf(n, 'host3')) === 'down', NODE_TIMEOUT_S * 1000 + slackMs);
      await until(`host ${n.host.n} has no FDB entry to host 3`, async () => (await fdbTo(n, h3.host.ipv4)).length === 0, 5000);
      await until(`host ${n.host.n} no longer resolves ${h3.box}`, async () => (await resolves(n, h3.box)) === undefined, 5000);
    }
    const dropped = Date.now() - cut;
    // Stay cut long enough for the transport to give up on its streams and back off its redials
    // (a short cut hides both: the old streams just resume).
    await new Promise((r) => setTimeout(r, Math.max(0, cut + CUT_HOLD_MS - Date.now())));

    const restored = Date.now();
    await segment!.setLink(h3.host, true);
    for (const n of [h1, h2]) {
      await until(`host ${n.host.n} shows host 3 ready again`, async () => (await stateOf(n, 'host3')) === 'ready', 30_000);
      await until(`host ${n.host.n} has its FDB entry to host 3 back`, async () => (await fdbTo(n, h3.host.ipv4)).length === 1, 10_000);
      expect(await until(`host ${n.host.n} pings ${h3.box} by name again`, () => pingsByName(n, h3.box), 20_000)).toBe(true);
    }
    expect(await until('host 3 pings host 1 by name again', () => pingsByName(h3, h1.box), 20_000)).toBe(true);
    console.log(`node loss: endpoints dropped ${dropped} ms after the cut (timeout ${NODE_TIMEOUT_S} s); reconverged ${Date.now() - restored} ms after the restore`);
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
    // it never reached a cluster that accepts its key, so it cannot claim even a network name
    expect(evil).toMatchObject({ status: 503, body: { message: 'cannot claim network evil: this node has not reached its cluster yet' } });
    await new Promise((r) => setTimeout(r, 5000));
    for (const n of nodes) {
      expect((await networksOf(n)).map((x) => x.Name)).not.toContain('evil');
      expect((await status(n)).Nodes.map((x: { Name: string }) => x.Name)).not.toContain('intruder');
    }
    expect((await status({ netd })).Nodes.filter((x: { Self: boolean }) => !x.Self)).toEqual([]);
    expect((await networksOf({ netd })).map((x) => x.Name)).not.toContain('ov1');
  });

  it('deletes the network everywhere and leaves no vxlan, bridge or FDB entry on any host', async () => {
    for (const n of nodes) await removeAllContainers(n);
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
