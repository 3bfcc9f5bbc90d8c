import { describeAsRoot } from '@app/kernel/testing';
import { randomBytes, randomInt } from 'node:crypto';
import { api } from '../apps/netd/src/testing/netd-process';
import { type ClusterHost, docker, type OverlayCluster, startOverlayCluster } from './support/overlay-cluster';
import { until } from './support/until';

// A /24 overlay (Docker's own example: `docker network create -d overlay --subnet 10.0.9.0/24`)
// across five simulated hosts: it is on every host at once, every host runs containers on it, each
// host's blocks show in network inspect, and a host that fills its block takes a second one and
// gives it back when its containers go.
jest.setTimeout(240_000);

const HOSTS = 5;

describeAsRoot('a /24 overlay across five hosts (e2e)', () => {
  let cluster: OverlayCluster | undefined;
  const tag = randomBytes(3).toString('hex');
  const second = randomInt(64, 128);
  const subnet = `10.${second}.9.0/24`;
  let networkId = '';
  const boxes = new Map<ClusterHost, string>();

  const inspect = async (h: ClusterHost) => (await api(h.netd.socket, 'GET', `/networks/${networkId}`)).body;
  const ipOn = async (h: ClusterHost, container: string) => {
    const res = await api(h.netd.socket, 'GET', `/containers/${container}/json`);
    return res.body?.NetworkSettings?.Networks?.fleet?.IPAddress as string | undefined;
  };
  const blocksOf = async (h: ClusterHost, of: ClusterHost) =>
    (((await inspect(h)).NetdBlocks ?? []) as { Name: string; Blocks: string[] }[]).find((b) => b.Name === of.name)?.Blocks ?? [];

  beforeAll(async () => {
    cluster = await startOverlayCluster(HOSTS, { 'node-timeout': 4 });
  });

  afterAll(async () => {
    await cluster?.dispose();
  });

  it('creates the /24 on host 1; every host lists it within seconds', async () => {
    const [h1] = cluster!.hosts;
    const created = await docker(h1, 'network', 'create', '-d', 'overlay', '--attachable', '--subnet', subnet, 'fleet');
    expect(created.rc).toBe(0);
    networkId = created.out.trim();
    const t0 = Date.now();
    for (const h of cluster!.hosts) {
      await until(`fleet listed on ${h.name}`, async () => (await docker(h, 'network', 'ls', '--format', '{{.Name}} {{.Driver}}')).out.includes('fleet overlay'), 10_000);
    }
    console.log(`a /24 overlay listed on ${HOSTS} hosts ${Date.now() - t0} ms after create`);
    for (const h of cluster!.hosts) {
      const n = await inspect(h);
      expect(n).toMatchObject({ Name: 'fleet', Driver: 'overlay', Scope: 'swarm', IPAM: { Config: [{ Subnet: subnet }] } });
    }
  });

  it('runs a container on every host: distinct addresses, one /29 block each, shown by inspect on every host', async () => {
    await Promise.all(
      cluster!.hosts.map(async (h) => {
        const name = `fleet-${h.host.n}-${tag}`;
        boxes.set(h, name);
        const r = await docker(h, 'run', '-d', '--name', name, '--network', 'fleet', 'busybox', 'sleep', '3600');
        expect(r).toMatchObject({ rc: 0 });
      }),
    );
    const ips = await Promise.all(cluster!.hosts.map((h) => ipOn(h, boxes.get(h)!)));
    expect(new Set(ips).size).toBe(HOSTS);
    for (const h of cluster!.hosts) {
      for (const [i, of] of cluster!.hosts.entries()) {
        const blocks = await until(`${h.name} shows ${of.name}'s block`, async () => {
          const b = await blocksOf(h, of);
          return b.length === 1 ? b : undefined;
        }, 10_000);
        expect(blocks[0]).toMatch(/\/29$/);
        expect(sameBlock(blocks[0], ips[i]!)).toBe(true);
      }
    }
    const [h1, , , , h5] = cluster!.hosts;
    expect(await until('host 1 pings host 5’s container by name', async () => (await docker(h1, 'exec', boxes.get(h1)!, 'ping', '-c1', '-W1', boxes.get(h5)!)).rc === 0, 20_000)).toBe(true);
  });

  it('takes a second block on a host whose block fills, and gives it back when those containers go', async () => {
    const h2 = cluster!.hosts[1];
    // a /29 holds 8 addresses, 6 to 8 usable: eight more containers overflow it
    const more = Array.from({ length: 8 }, (_, i) => `more-${i}-${tag}`);
    for (const name of more) expect(await docker(h2, 'run', '-d', '--name', name, '--network', 'fleet', 'busybox', 'sleep', '3600')).toMatchObject({ rc: 0 });
    const held = await blocksOf(h2, h2);
    expect(held.length).toBeGreaterThanOrEqual(2);
    const ips = await Promise.all(more.map((m) => ipOn(h2, m)));
    expect(new Set(ips).size).toBe(more.length);
    for (const ip of ips) expect(held.some((b) => sameBlock(b, ip!))).toBe(true);
    await until('host 4 shows host 2’s second block', async () => (await blocksOf(cluster!.hosts[3], h2)).length === held.length, 10_000);

    for (const name of more) expect(await docker(h2, 'rm', '-f', name)).toMatchObject({ rc: 0 });
    const left = await blocksOf(h2, h2);
    expect(left).toHaveLength(1);
    expect(sameBlock(left[0], (await ipOn(h2, boxes.get(h2)!))!)).toBe(true);
    await until('host 4 sees host 2 back to one block', async () => (await blocksOf(cluster!.hosts[3], h2)).length === 1, 10_000);
  });
});

function sameBlock(block: string, ip: string): boolean {
  const [base, len] = block.split('/');
  const n = (a: string) => a.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - Number(len));
  return Math.floor(n(ip) / size) === Math.floor(n(base) / size);
}
