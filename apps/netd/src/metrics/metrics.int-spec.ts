import { createTempNetns, describeAsRoot, nsExec, run, TempNetns } from '@app/kernel/testing';
import { api, NetdProcess, removeDir, startNetd } from '../testing/netd-process';
import { samples } from '../testing/exposition';

const METRICS = '127.0.0.1:9323';
const UI = '127.0.0.1:9324';

// The daemon's own process lives in the test namespace, so its metrics and page listen on that
// namespace's loopback, and only a client entering it (curl through nsenter) reaches them.
describeAsRoot('metrics and the topology page on loopback', () => {
  let host: TempNetns;
  let netd: NetdProcess | undefined;

  beforeAll(async () => {
    host = await createTempNetns();
    await run('ip', ['-n', host.name, 'link', 'set', 'lo', 'up']);
    netd = await startNetd({ hostNetns: host.ref.path, netns: host.ref.path, bridge: 'nmt0', extraArgs: ['--metrics-addr', METRICS, '--ui-addr', UI] });
  }, 60_000);

  afterAll(async () => {
    if (netd) {
      await netd.stop();
      removeDir(netd.dir);
    }
    await host?.dispose();
  });

  const curl = (...args: string[]) => nsExec(host.ref, 'curl', ['-sS', '--max-time', '10', ...args]);
  const scrape = async () => samples(await curl(`http://${METRICS}/metrics`));

  it('counts requests, networks, endpoints, containers and kernel operations as they happen', async () => {
    const s = netd!.socket;
    const before = await scrape();
    expect(before.get('netd_networks{driver="bridge"}')).toBe(1);
    expect(before.get('netd_containers{state="running"}')).toBe(0);

    const net = await api(s, 'POST', '/networks/create', { Name: 'mt-net', IPAM: { Config: [{ Subnet: '10.252.9.0/24' }] } });
    expect(net.status).toBe(201);
    const c = await api(s, 'POST', '/containers/create?name=mt-web', { Image: 'busybox', Cmd: ['sleep', '600'], HostConfig: { NetworkMode: 'mt-net' } });
    expect(c.status).toBe(201);
    expect((await api(s, 'POST', `/containers/${c.body.Id}/start`)).status).toBe(204);
    // a lookup from the container goes through the resolver process
    await api(s, 'GET', `/containers/${c.body.Id}/json`);

    const after = await scrape();
    expect(after.get('netd_networks{driver="bridge"}')).toBe(2);
    expect(after.get('netd_containers{state="running"}')).toBe(1);
    expect(after.get('netd_endpoints')).toBe((before.get('netd_endpoints') ?? 0) + 1);
    expect(after.get('netd_api_requests_total{method="POST",route="/networks/create",status="201"}')).toBe(1);
    expect(after.get('netd_api_requests_total{method="POST",route="/containers/:id/start",status="204"}')).toBe(1);
    expect(after.get('netd_api_requests_total{method="GET",route="/containers/:id/json",status="200"}')).toBe(1);
    const ok = (component: string, op: string) => after.get(`netd_operation_duration_seconds_count{component="${component}",op="${op}",result="ok"}`) ?? 0;
    expect(ok('netlink', 'createLink')).toBeGreaterThan(0);
    expect(ok('runc', 'create')).toBe(1);
    expect(ok('runc', 'start')).toBe(1);
    expect((after.get('netd_firewall_applies_total{kind="full"}') ?? 0) + (after.get('netd_firewall_applies_total{kind="delta"}') ?? 0)).toBeGreaterThan(
      (before.get('netd_firewall_applies_total{kind="full"}') ?? 0) + (before.get('netd_firewall_applies_total{kind="delta"}') ?? 0),
    );

    // a name lookup inside the container reaches the resolver process, whose counters the daemon reports
    const dnsBefore = after.get('netd_dns_queries_total{transport="udp"}') ?? 0;
    const exec = await api(s, 'POST', `/containers/${c.body.Id}/exec`, { Cmd: ['nslookup', 'mt-web'], AttachStdout: true, AttachStderr: true });
    expect(exec.status).toBe(201);
    expect((await api(s, 'POST', `/exec/${exec.body.Id}/start`, { Detach: false })).status).toBe(200);
    const dns = await scrape();
    expect(dns.get('netd_dns_queries_total{transport="udp"}')).toBeGreaterThan(dnsBefore);
    expect(dns.get('netd_dns_answers_total{source="local",rcode="NOERROR"}')).toBeGreaterThan(0);
    await api(s, 'DELETE', `/containers/${c.body.Id}?force=1`);
    await api(s, 'DELETE', '/networks/mt-net');
  }, 60_000);

  it('serves only reads: other paths 404, other methods 405, foreign Host names 421 on the page', async () => {
    const status = (...args: string[]) => curl('-o', '/dev/null', '-w', '%{http_code}', ...args);
    expect(await status(`http://${METRICS}/`)).toBe('404');
    expect(await status('-X', 'POST', `http://${METRICS}/metrics`)).toBe('405');
    expect(await status(`http://${UI}/`)).toBe('200');
    expect(await status(`http://${UI}/api/topology`)).toBe('200');
    expect(await status('-X', 'DELETE', `http://${UI}/api/topology`)).toBe('405');
    expect(await status('-X', 'POST', `http://${UI}/networks/create`)).toBe('405');
    expect(await status(`http://${UI}/networks`)).toBe('404');
    expect(await status('-H', 'Host: evil.example:9324', `http://${UI}/api/topology`)).toBe('421');
    const topology = JSON.parse(await curl(`http://${UI}/api/topology`));
    expect(topology.networks.map((n: { name: string }) => n.name)).toEqual(expect.arrayContaining(['bridge', 'host', 'none']));
  });
});
