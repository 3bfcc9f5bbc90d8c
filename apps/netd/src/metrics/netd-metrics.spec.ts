import { FakeRuntime } from '@app/container/testing';
import { file, makeImage } from '@app/image/testing/fixtures';
import { FakeFirewall, FakeNetlink, FakeNetns, FakeSysctl } from '@app/kernel/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { DEFAULTS, type NetdConfig } from '../config/netd-config';
import { composeServices } from '../composition-root';
import { createApp } from '../http/create-app';
import { reconcile } from '../lifecycle/reconciler';
import { topologyOf } from '../ui/topology';
import { instrumentPort } from './instrument';
import { NetdMetrics } from './netd-metrics';
import { samples } from '../testing/exposition';

describe(NetdMetrics.name, () => {
  it('reports state gauges, DNS and cluster snapshots from its sources', async () => {
    const m = new NetdMetrics();
    m.bind({
      networks: () => [{ driver: 'bridge' }, { driver: 'bridge' }, { driver: 'overlay' }],
      endpoints: () => 4,
      containers: () => [{ state: 'running' }, { state: 'exited' }, { state: 'running' }],
      dns: async () => ({
        queries: { udp: 7, tcp: 2 },
        dropped: 1,
        answers: { local: { NOERROR: 5, NXDOMAIN: 1 }, forward: { NOERROR: 2 } },
        latency: { counts: [3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], sum: 0.5, count: 8 },
      }),
      cluster: () => ({
        members: [{ self: true, alive: false }, { self: false, alive: true }, { self: false, alive: false }],
        traffic: { framesIn: 10, bytesIn: 1000, framesOut: 12, bytesOut: 1500, recordsApplied: 3 },
        syncedAfterMs: 250,
      }),
    });
    const s = samples(await m.scrape());
    expect(s.get('netd_networks{driver="bridge"}')).toBe(2);
    expect(s.get('netd_networks{driver="overlay"}')).toBe(1);
    expect(s.get('netd_endpoints')).toBe(4);
    expect(s.get('netd_containers{state="running"}')).toBe(2);
    expect(s.get('netd_containers{state="exited"}')).toBe(1);
    expect(s.get('netd_containers{state="paused"}')).toBe(0);
    expect(s.get('netd_dns_queries_total{transport="udp"}')).toBe(7);
    expect(s.get('netd_dns_answers_total{source="local",rcode="NXDOMAIN"}')).toBe(1);
    expect(s.get('netd_dns_forwards_total')).toBe(2);
    expect(s.get('netd_dns_dropped_total')).toBe(1);
    expect(s.get('netd_dns_forward_duration_seconds_bucket{le="0.0001"}')).toBe(3);
    expect(s.get('netd_dns_forward_duration_seconds_bucket{le="0.00025"}')).toBe(7);
    expect(s.get('netd_dns_forward_duration_seconds_bucket{le="5"}')).toBe(7);
    expect(s.get('netd_dns_forward_duration_seconds_bucket{le="+Inf"}')).toBe(8);
    expect(s.get('netd_dns_forward_duration_seconds_count')).toBe(8);
    expect(s.get('netd_cluster_members{state="alive"}')).toBe(2);
    expect(s.get('netd_cluster_members{state="down"}')).toBe(1);
    expect(s.get('netd_cluster_convergence_seconds')).toBe(0.25);
    expect(s.get('netd_cluster_gossip_bytes_total{direction="out"}')).toBe(1500);
    expect(s.get('netd_cluster_records_applied_total')).toBe(3);
    expect(s.get('netd_process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('leaves out DNS and cluster samples it cannot read, and keeps its counters to its own registry', async () => {
    const a = new NetdMetrics();
    a.bind({ networks: () => [], endpoints: () => 0, containers: () => [], dns: async () => { throw new Error('resolver gone'); }, cluster: () => undefined });
    a.observeRequest('GET', '/networks', 200, 0.01);
    const text = await a.scrape();
    expect(text).toContain('# TYPE netd_dns_queries_total counter');
    expect(text).not.toMatch(/^netd_dns_queries_total/m);
    expect(text).not.toMatch(/^netd_cluster_members/m);
    expect(samples(await new NetdMetrics().scrape()).get('netd_api_requests_total{method="GET",route="/networks",status="200"}')).toBeUndefined();
  });

  it('counts firewall applies by kind from successful nft operations', async () => {
    const m = new NetdMetrics();
    m.observeOperation('nft', 'apply', 0.01, true);
    m.observeOperation('nft', 'update', 0.002, true);
    m.observeOperation('nft', 'update', 0.002, false);
    m.observeOperation('nft', 'hasTable', 0.001, true);
    const s = samples(await m.scrape());
    expect(s.get('netd_firewall_applies_total{kind="full"}')).toBe(1);
    expect(s.get('netd_firewall_applies_total{kind="delta"}')).toBe(1);
    expect(s.get('netd_operation_duration_seconds_count{component="nft",op="update",result="error"}')).toBe(1);
  });
});

describe(instrumentPort.name, () => {
  class Port {
    #secret = 41;
    calls = 0;
    async add(n: number): Promise<number> {
      this.calls++;
      return this.#secret + n;
    }
    async fail(): Promise<void> {
      throw new Error('EEXIST');
    }
    sync(): number {
      return this.#secret;
    }
    async untimed(): Promise<number> {
      return 0;
    }
  }

  it('times the methods that return promises, on the target, and keeps instanceof', async () => {
    const seen: string[] = [];
    const p = instrumentPort(new Port(), 'netlink', (c, op, s, ok) => seen.push(`${c}.${op}:${ok}:${s >= 0}`), ['add', 'fail', 'sync']);
    expect(await p.add(1)).toBe(42);
    await expect(p.fail()).rejects.toThrow('EEXIST');
    expect(p.sync()).toBe(41);
    expect(await p.untimed()).toBe(0);
    expect(p).toBeInstanceOf(Port);
    expect(p.calls).toBe(1);
    expect(p.add).toBe(p.add);
    expect(seen).toEqual(['netlink.add:true:true', 'netlink.fail:false:true']);
  });
});

describe('metrics and topology of a daemon on the fake kernel', () => {
  let dataRoot: string;
  afterEach(() => rmSync(dataRoot, { recursive: true, force: true }));

  it('count API requests by route template and kernel operations, and show the topology', async () => {
    dataRoot = mkdtempSync(join(tmpdir(), 'netd-metrics-'));
    const netlink = new FakeNetlink();
    const hostNs = netlink.addNamespace('/run/netns/fake-host');
    const kernel = { netlink, netns: new FakeNetns(netlink), firewall: new FakeFirewall(), sysctl: new FakeSysctl(netlink), containerRuntime: new FakeRuntime() };
    const config: NetdConfig = { ...DEFAULTS, dataRoot, execRoot: join(dataRoot, 'run'), hostNetns: hostNs.path, seedBusybox: false, metricsAddr: { host: '127.0.0.1', port: 9323 } };
    const rt = composeServices(config, kernel, pino({ level: 'silent' }));
    const metrics = rt.metrics!;
    await reconcile(rt);
    const img = await makeImage(rt.images.images.store, [[file('bin/sleep', '#!')]], { cmd: ['sleep', '1000'] });
    await rt.images.images.store.setTag('docker.io/library/busybox:latest', img.manifestDigest);
    const app = await createApp(rt);
    const fastify = app.getHttpAdapter().getInstance();
    try {
      const created = await fastify.inject({ method: 'POST', url: '/v1.47/networks/create', payload: { Name: 'front', IPAM: { Config: [{ Subnet: '10.77.0.0/24' }] } } });
      expect(created.statusCode).toBe(201);
      const id = JSON.parse(created.body).Id as string;
      expect((await fastify.inject({ method: 'GET', url: `/networks/${id}` })).statusCode).toBe(200);
      expect((await fastify.inject({ method: 'GET', url: '/networks/nosuchnetwork' })).statusCode).toBe(404);
      expect((await fastify.inject({ method: 'GET', url: '/no/such/route' })).statusCode).toBe(404);
      const c = await rt.containers.create('web1', { Image: 'busybox', HostConfig: { NetworkMode: 'front' } });
      await rt.containers.start(c.Id);
      const s = samples(await metrics.scrape());
      expect(s.get('netd_api_requests_total{method="POST",route="/networks/create",status="201"}')).toBe(1);
      expect(s.get('netd_api_requests_total{method="GET",route="/networks/:id",status="200"}')).toBe(1);
      expect(s.get('netd_api_requests_total{method="GET",route="/networks/:id",status="404"}')).toBe(1);
      expect(s.get('netd_api_requests_total{method="GET",route="unmatched",status="404"}')).toBe(1);
      expect(s.get('netd_api_request_duration_seconds_count{method="POST",route="/networks/create",status="201"}')).toBe(1);
      expect(s.get('netd_networks{driver="bridge"}')).toBe(2);
      expect(s.get('netd_containers{state="running"}')).toBe(1);
      expect(s.get('netd_endpoints')).toBe(1);
      expect(s.get('netd_operation_duration_seconds_count{component="netlink",op="createLink",result="ok"}')).toBeGreaterThan(0);
      expect(s.get('netd_operation_duration_seconds_count{component="runc",op="start",result="ok"}')).toBe(1);
      expect(s.get('netd_firewall_applies_total{kind="full"}')! + (s.get('netd_firewall_applies_total{kind="delta"}') ?? 0)).toBeGreaterThan(0);

      const t = topologyOf(rt);
      const front = t.networks.find((n) => n.name === 'front')!;
      expect(front).toMatchObject({ driver: 'bridge', subnets: ['10.77.0.0/24'], hosts: [t.host.name] });
      expect(front.containers).toEqual([{ id: c.Id, name: 'web1', host: t.host.name, ipv4: expect.stringMatching(/^10\.77\.0\.\d+\/24$/), ipv6: undefined, state: 'running' }]);
      expect(t.hosts).toEqual([t.host]);
    } finally {
      rt.containers.detach();
      await app.close();
      rt.db.close();
    }
  });
});
