import { FakeDaemon, startFakeDaemon } from '../testing/fake-daemon';

describe('connect/disconnect API (fake kernel)', () => {
  let d: FakeDaemon;
  beforeEach(async () => {
    d = await startFakeDaemon();
  });
  afterEach(async () => {
    await d.close();
  });

  async function network(name: string, body: object = {}): Promise<string> {
    const res = await d.request('POST', '/networks/create', { Name: name, ...body });
    expect(res.status).toBe(201);
    return res.body.Id;
  }

  it('connects a sandbox: address, eth0 in its namespace, inspect shows it', async () => {
    const id = await network('n1', { IPAM: { Config: [{ Subnet: '10.60.0.0/24' }] } });
    const sb = await d.rt.sandboxes.create('sb1');
    const res = await d.request('POST', '/networks/n1/connect', { Container: 'sb1', EndpointConfig: { Aliases: ['web'] } });
    expect(res.status).toBe(200);
    const inspect = (await d.request('GET', `/networks/${id}`)).body;
    expect(inspect.Containers[sb.id]).toMatchObject({ Name: 'sb1', IPv4Address: '10.60.0.2/24', EndpointID: expect.any(String) });
    const links = d.netlink.linksIn({ path: '/run/netns/sb1' }).map((l: { name: string }) => l.name);
    expect(links).toContain('eth0');
    expect(inspect.Status.IPAM.Subnets['10.60.0.0/24'].IPsInUse).toBe(4);
    const events = d.rt.events.subscribe(0n, () => undefined);
    events.unsubscribe();
    expect(events.past.map((e) => e.Action)).toEqual(['create', 'create', 'create', 'create', 'connect']);
  });

  it('gives the second network eth1 and rejects a double connect', async () => {
    await network('a');
    await network('b');
    await d.rt.sandboxes.create('sb');
    expect((await d.request('POST', '/networks/a/connect', { Container: 'sb' })).status).toBe(200);
    expect((await d.request('POST', '/networks/b/connect', { Container: 'sb' })).status).toBe(200);
    expect(d.rt.store.listEndpoints().map((e) => e.ifname).sort()).toEqual(['eth0', 'eth1']);
    expect(await d.request('POST', '/networks/a/connect', { Container: 'sb' })).toMatchObject({
      status: 409,
      body: { message: 'endpoint with name sb already exists in network a' },
    });
  });

  it.each([
    ['unknown sandbox', 'n', { Container: 'ghost' }, 404, 'No such container: ghost'],
    ['unknown network', 'missing', { Container: 'sb' }, 404, 'network missing not found'],
    ['host network', 'host', { Container: 'sb' }, 403, 'container cannot be disconnected from host network or connected to host network'],
    ['none network', 'none', { Container: 'sb' }, 403, 'container cannot be connected to multiple networks with one of the networks in private (none) mode'],
    ['static IP without a user subnet', 'n', { Container: 'sb', EndpointConfig: { IPAMConfig: { IPv4Address: '172.18.0.9' } } }, 400,
      'user specified IP address is supported only when connecting to networks with user configured subnets'],
    ['static IP outside the subnet', 'u', { Container: 'sb', EndpointConfig: { IPAMConfig: { IPv4Address: '10.99.0.5' } } }, 400,
      "Invalid address 10.99.0.5: It does not belong to any of this network's subnets."],
    ['static IP equal to the gateway', 'u', { Container: 'sb', EndpointConfig: { IPAMConfig: { IPv4Address: '10.61.0.1' } } }, 409, 'Address already in use.'],
  ])('rejects %s', async (_name, net, body, status, message) => {
    await network('n');
    await network('u', { IPAM: { Config: [{ Subnet: '10.61.0.0/24' }] } });
    await d.rt.sandboxes.create('sb');
    expect(await d.request('POST', `/networks/${net}/connect`, body)).toMatchObject({ status, body: { message } });
    expect(d.rt.store.listEndpoints()).toEqual([]);
  });

  it('takes a static address on a user subnet', async () => {
    await network('u', { IPAM: { Config: [{ Subnet: '10.62.0.0/24' }] } });
    await d.rt.sandboxes.create('sb');
    const body = { Container: 'sb', EndpointConfig: { IPAMConfig: { IPv4Address: '10.62.0.77' } } };
    expect((await d.request('POST', '/networks/u/connect', body)).status).toBe(200);
    expect(d.rt.store.listEndpoints()[0].ipv4).toBe('10.62.0.77/24');
  });

  it('gives endpoints an IPv6 address on an --ipv6 network, honours IPv6Address and releases both on disconnect', async () => {
    const id = await network('v6', { EnableIPv6: true, IPAM: { Config: [{ Subnet: '10.64.0.0/24' }, { Subnet: 'fd00:64::/64' }] } });
    const a = await d.rt.sandboxes.create('sa');
    const b = await d.rt.sandboxes.create('sb');
    expect((await d.request('POST', '/networks/v6/connect', { Container: 'sa' })).status).toBe(200);
    const fixed = { Container: 'sb', EndpointConfig: { IPAMConfig: { IPv6Address: 'fd00:64::99' } } };
    expect((await d.request('POST', '/networks/v6/connect', fixed)).status).toBe(200);
    const inspect = (await d.request('GET', `/networks/${id}`)).body;
    expect(inspect.Containers[a.id]).toMatchObject({ IPv4Address: '10.64.0.2/24', IPv6Address: 'fd00:64::2/64' });
    expect(inspect.Containers[b.id]).toMatchObject({ IPv4Address: '10.64.0.3/24', IPv6Address: 'fd00:64::99/64' });
    const addrs = await d.netlink.listAddresses({ path: '/run/netns/sb' }, 'eth0');
    expect(addrs.map(String)).toEqual(expect.arrayContaining(['10.64.0.3/24', 'fd00:64::99/64']));
    expect((await d.request('POST', '/networks/v6/disconnect', { Container: 'sb' })).status).toBe(200);
    expect((await d.request('POST', '/networks/v6/connect', fixed)).status).toBe(200);
    expect(d.rt.store.listEndpoints().find((e) => e.sandboxId === b.id)?.ipv6).toBe('fd00:64::99/64');
  });

  it('takes a /64 of the host ULA for --ipv6 without an IPv6 subnet', async () => {
    const id = await network('ula', { EnableIPv6: true });
    await d.rt.sandboxes.create('sb');
    expect((await d.request('POST', '/networks/ula/connect', { Container: 'sb' })).status).toBe(200);
    const inspect = (await d.request('GET', `/networks/${id}`)).body;
    const v6 = inspect.IPAM.Config.find((c: { Subnet: string }) => c.Subnet.includes(':'));
    expect(v6.Subnet).toMatch(/^fd[0-9a-f]{2}:[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f:]*\/64$/);
    expect(Object.values(inspect.Containers)[0]).toMatchObject({ IPv6Address: expect.stringMatching(/^fd.*\/64$/) });
  });

  it.each([
    ['IPv6Address on a network without IPv6', 'u', 'fd00:65::5', 400, "Invalid address fd00:65::5: It does not belong to any of this network's subnets."],
    ['an IPv4 address as IPv6Address', 'v6', '10.65.0.9', 400, 'EndpointConfig.IPAMConfig.IPv6Address must be an IPv6 address, got 10.65.0.9'],
    ['IPv6Address outside the subnet', 'v6', 'fd00:99::5', 400, "Invalid address fd00:99::5: It does not belong to any of this network's subnets."],
  ])('rejects %s and leaves nothing behind', async (_name, net, ip6, status, message) => {
    await network('u', { IPAM: { Config: [{ Subnet: '10.66.0.0/24' }] } });
    await network('v6', { EnableIPv6: true, IPAM: { Config: [{ Subnet: '10.65.0.0/24' }, { Subnet: 'fd00:65::/64' }] } });
    await d.rt.sandboxes.create('sb');
    const body = { Container: 'sb', EndpointConfig: { IPAMConfig: { IPv6Address: ip6 } } };
    expect(await d.request('POST', `/networks/${net}/connect`, body)).toMatchObject({ status, body: { message } });
    expect(d.rt.store.listEndpoints()).toEqual([]);
  });

  it('refuses a disconnect from the host network with Docker\'s 403', async () => {
    await d.rt.sandboxes.create('sb');
    expect(await d.request('POST', '/networks/host/disconnect', { Container: 'sb' })).toMatchObject({
      status: 403,
      body: { message: 'container cannot be disconnected from host network or connected to host network' },
    });
  });

  it('disconnects and releases the address; delete then works', async () => {
    await network('n', { IPAM: { Config: [{ Subnet: '10.63.0.0/24' }] } });
    await d.rt.sandboxes.create('sb');
    await d.request('POST', '/networks/n/connect', { Container: 'sb' });
    expect(await d.request('DELETE', '/networks/n')).toMatchObject({ status: 409, body: { message: expect.stringContaining('has active endpoints') } });
    expect((await d.request('POST', '/networks/n/disconnect', { Container: 'sb' })).status).toBe(200);
    expect(d.netlink.linksIn({ path: '/run/netns/sb' }).map((l: { name: string }) => l.name)).not.toContain('eth0');
    expect(await d.request('POST', '/networks/n/disconnect', { Container: 'sb' })).toMatchObject({ status: 409 });
    expect((await d.request('DELETE', '/networks/n')).status).toBe(204);
  });

  it('serves 200 concurrent connects to one network with distinct addresses', async () => {
    await network('big', { IPAM: { Config: [{ Subnet: '10.64.0.0/22' }] } });
    const names = Array.from({ length: 200 }, (_, i) => `c${i}`);
    for (const n of names) await d.rt.sandboxes.create(n);
    const results = await Promise.all(names.map((n) => d.request('POST', '/networks/big/connect', { Container: n })));
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    const addrs = d.rt.store.listEndpoints().map((e) => e.ipv4);
    expect(addrs).toHaveLength(200);
    expect(new Set(addrs).size).toBe(200);
  });

  it('reconciles after a restart: half-done connects are undone, sandboxes gone are released', async () => {
    const id = await network('n', { IPAM: { Config: [{ Subnet: '10.65.0.0/24' }] } });
    const a = await d.rt.sandboxes.create('sa');
    const b = await d.rt.sandboxes.create('sb');
    await d.request('POST', '/networks/n/connect', { Container: 'sa' });
    await d.request('POST', '/networks/n/connect', { Container: 'sb' });
    // a crash right after the intent was recorded for sa, and sb's namespace vanished
    d.rt.store.setEndpointState(d.rt.store.endpointOf(id, a.id)!.id, 'creating');
    await d.netns.delete('sb');
    d = await d.restart();
    expect(d.rt.store.listEndpoints()).toEqual([]);
    expect(d.rt.store.sandboxByName('sb')).toBeUndefined();
    expect(d.rt.ipam.usage(d.rt.store.getNetwork(id)!.poolIds[0]).ipsInUse).toBe(3n);
    expect(b.id).toBeDefined();
    expect((await d.request('POST', '/networks/n/connect', { Container: 'sa' })).status).toBe(200);
  });
});
