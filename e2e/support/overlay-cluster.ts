import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseToken } from '@app/overlay';
import { api, type NetdProcess, removeDir, startNetd } from '../../apps/netd/src/testing/netd-process';
import { assertTestAddresses, type DhtTestnet, startDhtTestnet } from './dht-testnet';
import { exec } from './exec';
import { createL3Segment, type L3Segment, type SegmentHost } from './l3-segment';
import { until } from './until';

/**
 * N netd daemons, one per host namespace of a simulated L3 segment, in one cluster: host 1 inits
 * (its own DHT bootstrap), the others join through daemon.json with a private DHT testnet on the
 * segment as extra bootstrap. Nothing here reaches anything outside the segment's namespaces;
 * `start` asserts that every bootstrap address a daemon used is one of the segment's.
 */
export const CLUSTER_PORT = 7946;

export interface ClusterHost {
  readonly host: SegmentHost;
  readonly dir: string;
  readonly name: string;
  netd: NetdProcess;
}

export interface OverlayCluster {
  readonly segment: L3Segment;
  readonly hosts: ClusterHost[];
  /** Kill -9 a host's daemon and start it again on the same state. */
  restart(h: ClusterHost): Promise<void>;
  kill(h: ClusterHost): Promise<void>;
  start(h: ClusterHost): Promise<void>;
  /** Remove every container, kill every daemon, delete the namespaces and directories. */
  dispose(): Promise<void>;
}

export const status = async (h: { netd: NetdProcess }) => (await api(h.netd.socket, 'GET', '/netd/cluster')).body;

/** The docker 28 client against one host's netd, without blocking the event loop. */
export async function docker(h: { netd: NetdProcess }, ...args: string[]): Promise<{ rc: number; out: string }> {
  const r = await exec('docker', ['-H', `unix://${h.netd.socket}`, ...args], { env: { HOME: '/nonexistent' }, timeoutMs: 60_000 });
  return { rc: r.code ?? -1, out: r.stdout + r.stderr };
}

export async function removeAllContainers(h: { netd: NetdProcess }): Promise<void> {
  const list = await api(h.netd.socket, 'GET', '/containers/json?all=1').catch(() => undefined);
  const ids = ((list?.body as { Id: string }[] | undefined) ?? []).map((c) => c.Id);
  while (ids.length > 0) await Promise.all(ids.splice(0, 5).map((id) => api(h.netd.socket, 'DELETE', `/containers/${id}?force=1`).catch(() => undefined)));
}

export async function startOverlayCluster(count: number, daemonCluster: Record<string, unknown> = {}): Promise<OverlayCluster> {
  const segment = await createL3Segment(count);
  const dirs: string[] = [];
  const hosts: ClusterHost[] = [];
  let testnet: DhtTestnet | undefined;
  const launch = (h: ClusterHost, dataRoot?: string) =>
    startNetd({ hostNetns: h.host.ns.ref.path, netns: h.host.ns.ref.path, dir: h.dir, dataRoot, bridge: `nd${h.host.n}` });
  const self: OverlayCluster = {
    segment,
    hosts,
    async kill(h) {
      await h.netd.kill9();
    },
    async start(h) {
      h.netd = await launch(h, h.netd.dataRoot);
    },
    async restart(h) {
      await h.netd.kill9();
      h.netd = await launch(h, h.netd.dataRoot);
    },
    async dispose() {
      for (const h of hosts) {
        if (h.netd.child.exitCode !== null && h.netd.child.signalCode === null) console.log(`${h.name}: netd exited ${h.netd.child.exitCode}\n${h.netd.logs().split('\n').slice(-25).join('\n')}`);
      }
      for (const h of hosts) if (h.netd.child.exitCode === null) await removeAllContainers(h);
      for (const h of hosts) await h.netd.kill9().catch(() => undefined);
      await testnet?.stop().catch(() => undefined);
      for (const h of segment.hosts) await segment.setLink(h, true).catch(() => undefined);
      await segment.dispose();
      for (const d of dirs) removeDir(d);
    },
  };
  try {
    testnet = await startDhtTestnet(segment.bridgeNs, segment.bridgeIpv4, segment.owns);
    let token = '';
    for (const host of segment.hosts) {
      const dir = mkdtempSync(join(tmpdir(), 'netd-t-'));
      dirs.push(dir);
      const name = `host${host.n}`;
      const cluster =
        host.n === 1
          ? daemonCluster
          : { ...daemonCluster, token, 'advertise-addr': host.ipv4, 'listen-port': CLUSTER_PORT, bootstrap: testnet.bootstrap.map((b) => `${b.host}:${b.port}`), name };
      writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ cluster }));
      const h: ClusterHost = { host, dir, name, netd: undefined as unknown as NetdProcess };
      h.netd = await launch(h);
      hosts.push(h);
      if (host.n === 1) {
        const init = await api(h.netd.socket, 'POST', '/netd/cluster/init', { AdvertiseAddr: host.ipv4, ListenPort: CLUSTER_PORT, Name: name });
        if (init.status !== 201) throw new Error(`cluster init: ${init.status} ${init.text}`);
        token = init.body.Token as string;
      }
    }
    const formingSince = Date.now();
    type Node = { State: string; Name: string; Role?: string };
    const mesh = async (what: (x: Node) => boolean) => {
      for (const h of hosts) {
        const s = await status(h);
        if (!s.Member || s.Nodes.filter((x: Node) => x.State === 'ready' && x.Name && what(x)).length !== count) return false;
      }
      return true;
    };
    await until(`a full mesh of ${count} ready nodes`, () => mesh(() => true), 90_000);
    const readyMs = Date.now() - formingSince;
    // and every node a voter: a test that splits the cluster right away counts on all of them
    await until(`${count} voting nodes`, () => mesh((x) => x.Role === 'voter'), 60_000);
    if (process.env.OVERLAY_FORMATION_LOG) console.log(`overlay cluster of ${count}: a full mesh ${readyMs} ms, every node a voter ${Date.now() - formingSince} ms after the last daemon started`);
    for (const h of hosts) {
      assertTestAddresses(`token of ${h.name}`, parseToken((await status(h)).Token).bootstrap, segment.owns);
      const joined = h.netd.logs().split('\n').filter((l) => l.includes('"cluster joined"')).map((l) => JSON.parse(l) as { bootstrap: string[] });
      if (joined.length === 0) throw new Error(`${h.name} never logged its bootstrap list`);
      for (const j of joined) assertTestAddresses(`bootstrap of ${h.name}`, j.bootstrap.map((b) => ({ host: b.replace(/:\d+$/, ''), port: Number(b.split(':').pop()) })), segment.owns);
    }
    return self;
  } catch (err) {
    await self.dispose();
    throw err;
  }
}
