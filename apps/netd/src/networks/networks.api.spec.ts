import { checkScope } from './networks.service';
import { FakeDaemon, startFakeDaemon } from '../testing/fake-daemon';

describe('networks API (fake kernel)', () => {
  let d: FakeDaemon;
  beforeEach(async () => {
    d = await startFakeDaemon();
  });
  afterEach(async () => {
    await d.close();
  });

  it('creates the predefined networks at first start', async () => {
    const res = await d.request('GET', '/v1.47/networks');
    expect(res.status).toBe(200);
    const byName = Object.fromEntries(res.body.map((n: { Name: string }) => [n.Name, n]));
    expect(Object.keys(byName).sort()).toEqual(['bridge', 'host', 'none']);
    expect(byName.bridge.IPAM.Config).toEqual([{ Subnet: '172.17.0.0/16', Gateway: '172.17.0.1' }]);
    expect(byName.none.Driver).toBe('null');
    expect(byName.host.Created).toBe('0001-01-01T00:00:00Z');
  });

  it('creates, inspects and deletes a network', async () => {
    const created = await d.request('POST', '/networks/create', { Name: 'n1', Labels: { a: 'b' }, Unknown: 1 });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ Id: expect.stringMatching(/^[0-9a-f]{64}$/), Warning: '' });
    const inspect = await d.request('GET', `/networks/${created.body.Id.slice(0, 5)}`);
    expect(inspect.status).toBe(200);
    expect(inspect.body).toMatchObject({ Name: 'n1', Driver: 'bridge', Scope: 'local', Labels: { a: 'b' }, Containers: {} });
    expect(inspect.body.IPAM.Config[0].Subnet).toBe('172.18.0.0/16');
    expect(inspect.body.Status.IPAM.Subnets['172.18.0.0/16'].IPsInUse).toBeGreaterThan(0);
    expect(await d.request('DELETE', '/networks/n1')).toMatchObject({ status: 204 });
    expect(await d.request('GET', '/networks/n1')).toMatchObject({ status: 404, body: { message: 'network n1 not found' } });
  });

  it('honours a Scope that is the driver own and refuses any other, creating nothing', async () => {
    expect(await d.request('POST', '/networks/create', { Name: 'loc', Scope: 'local' })).toMatchObject({ status: 201 });
    expect((await d.request('GET', '/networks/loc')).body.Scope).toBe('local');
    for (const scope of ['swarm', 'global']) {
      expect(await d.request('POST', '/networks/create', { Name: `s-${scope}`, Scope: scope })).toMatchObject({
        status: 403, body: { message: `cannot create a ${scope} scoped bridge network: netd runs no swarm (bridge networks are local)` },
      });
      expect(await d.request('GET', `/networks/s-${scope}`)).toMatchObject({ status: 404 });
    }
    expect(await d.request('POST', '/networks/create', { Name: 'bad', Scope: 'planet' })).toMatchObject({ status: 400 });
  });

  it('answers an old client (API 1.41) without the fields newer versions added', async () => {
    await d.request('POST', '/networks/create', { Name: 'a' });
    expect((await d.request('GET', '/v1.41/networks/a')).body).not.toHaveProperty('EnableIPv4');
    expect((await d.request('GET', '/v1.41/networks')).body.every((n: object) => !('EnableIPv4' in n))).toBe(true);
    expect((await d.request('GET', '/v1.47/networks/a')).body).toHaveProperty('EnableIPv4', true);
  });

  it('creates a second network of a taken name for a client before API 1.44 that did not ask CheckDuplicate, as dockerd did', async () => {
    const first = await d.request('POST', '/v1.41/networks/create', { Name: 'dup' });
    const second = await d.request('POST', '/v1.41/networks/create', { Name: 'dup' });
    expect(second).toMatchObject({ status: 201, body: { Warning: `Network with name dup (id : ${first.body.Id}) already exists` } });
    expect(await d.request('POST', '/v1.41/networks/create', { Name: 'dup', CheckDuplicate: true })).toMatchObject({ status: 409, body: { message: 'network with name dup already exists' } });
    expect(await d.request('POST', '/v1.47/networks/create', { Name: 'dup', CheckDuplicate: false })).toMatchObject({ status: 409 });
    expect(await d.request('GET', '/networks/dup')).toMatchObject({ status: 400, body: { message: 'network dup is ambiguous (2 matches found based on name)' } });
    expect((await d.request('GET', `/networks/${second.body.Id}`)).body.Name).toBe('dup');
    expect(await d.request('DELETE', `/networks/${first.body.Id}`)).toMatchObject({ status: 204 });
    expect((await d.request('GET', '/networks/dup')).body.Id).toBe(second.body.Id);
  });

  it('shows IPAM.Options null when the client sent none, and {} when it sent {} (the docker CLI does)', async () => {
    await d.request('POST', '/networks/create', { Name: 'a' });
    await d.request('POST', '/networks/create', { Name: 'b', IPAM: { Driver: 'default', Options: {}, Config: [] } });
    expect((await d.request('GET', '/networks/a')).body.IPAM.Options).toBeNull();
    expect((await d.request('GET', '/networks/b')).body.IPAM.Options).toEqual({});
  });

  it('takes names dockerd takes: a space, a leading underscore or dash', async () => {
    for (const name of ['my net', '_x_default', '-n']) {
      expect(await d.request('POST', '/networks/create', { Name: name })).toMatchObject({ status: 201 });
      expect((await d.request('GET', `/networks/${encodeURIComponent(name)}`)).body.Name).toBe(name);
    }
  });

  it('takes com.docker.network.enable_ipv6 as EnableIPv6 and keeps it in Options, as dockerd does', async () => {
    const res = await d.request('POST', '/networks/create', { Name: 'v6', Options: { 'com.docker.network.enable_ipv6': 'true' } });
    expect(res.status).toBe(201);
    const n = (await d.request('GET', '/networks/v6')).body;
    expect(n).toMatchObject({ EnableIPv6: true, Options: { 'com.docker.network.enable_ipv6': 'true' } });
    expect(n.IPAM.Config.some((c: { Subnet: string }) => c.Subnet.includes(':'))).toBe(true);
    expect(await d.request('POST', '/networks/create', { Name: 'bad', Options: { 'com.docker.network.enable_ipv6': 'yes' } }))
      .toMatchObject({ status: 400, body: { message: 'driver-opt "com.docker.network.enable_ipv6" is not a valid bool' } });
  });

  it.each([
    ['duplicate name', { Name: 'bridge' }, 403, 'operation is not permitted on predefined bridge network'],
    ['unknown driver', { Name: 'x', Driver: 'nosuch' }, 404, 'plugin "nosuch" not found'],
    ['blank name', { Name: ' ' }, 400, expect.stringContaining('Name must not be blank')],
    ['second host network', { Name: 'h2', Driver: 'host' }, 403, 'only one instance of "host" network is allowed'],
    ['second null network', { Name: 'n2', Driver: 'null' }, 403, 'only one instance of "null" network is allowed'],
    ['bad CIDR', { Name: 'x', IPAM: { Config: [{ Subnet: '10.0.0.0/33' }] } }, 400, 'Invalid subnet 10.0.0.0/33 : invalid CIDR address: 10.0.0.0/33'],
    ['wrong type', { Name: 'x', Internal: 'yes' }, 400, expect.stringContaining('Internal must be a boolean')],
    ['gateway outside', { Name: 'x', IPAM: { Config: [{ Subnet: '10.9.0.0/24', Gateway: '10.8.0.1' }] } }, 400, expect.stringContaining('10.8.0.1')],
  ])('rejects %s', async (_name, body, status, message) => {
    const before = (await d.request('GET', '/networks')).body.length;
    const res = await d.request('POST', '/networks/create', body);
    expect(res).toMatchObject({ status, body: { message } });
    expect((await d.request('GET', '/networks')).body.length).toBe(before);
  });

  it.each(['constructor', 'toString', 'hasOwnProperty', 'valueOf'])('keeps a label named %s as data, and filters on it exactly', async (key) => {
    const created = await d.request('POST', '/networks/create', `{"Name":"lbl","Labels":{"${key}":"v","a":"b"}}`);
    expect(created.status).toBe(201);
    expect((await d.request('GET', '/networks/lbl')).body.Labels).toEqual({ [key]: 'v', a: 'b' });
    const named = async (filters: object) => (await d.request('GET', `/networks?filters=${encodeURIComponent(JSON.stringify(filters))}`)).body.map((n: { Name: string }) => n.Name);
    expect(await named({ label: [key] })).toEqual(['lbl']);
    expect(await named({ label: [`${key}=v`] })).toEqual(['lbl']);
    expect(await named({ label: [`${key}=w`] })).toEqual([]);
  });

  it.each(['constructor', 'toString'])('refuses a driver option named %s as unknown (400), not a 500', async (key) => {
    const res = await d.request('POST', '/networks/create', `{"Name":"opt","Options":{"${key}":"v"}}`);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(key);
  });

  // both were accepted and dropped, leaving an ordinary network where a config-only one was asked for
  it.each([
    [{ ConfigOnly: true }, 501, 'config-only networks (ConfigOnly) are not implemented by netd'],
    [{ ConfigFrom: { Network: 'cfg' } }, 501, 'networks from a config-only network (ConfigFrom) are not implemented by netd'],
    [{ ConfigFrom: [] }, 400, 'ConfigFrom'],
    [{ ConfigFrom: 'cfg' }, 400, 'ConfigFrom'],
    [{ ConfigFrom: { Network: 5 } }, 400, 'Network'],
  ])('refuses %j with %i and creates nothing', async (extra, status, message) => {
    const res = await d.request('POST', '/networks/create', { Name: 'cfg-net', ...extra });
    expect(res.status).toBe(status);
    expect(res.body.message).toContain(message);
    expect((await d.request('GET', '/networks/cfg-net')).status).toBe(404);
  });

  it('takes the empty ConfigFrom and false ConfigOnly the docker CLI sends', async () => {
    expect((await d.request('POST', '/networks/create', { Name: 'cli-net', ConfigOnly: false, ConfigFrom: { Network: '' } })).status).toBe(201);
  });

  it('rejects a second network with the same name (409)', async () => {
    await d.request('POST', '/networks/create', { Name: 'dup' });
    expect(await d.request('POST', '/networks/create', { Name: 'dup' })).toMatchObject({
      status: 409,
      body: { message: 'network with name dup already exists' },
    });
  });

  it('reports overlapping pools and normalises host bits with a warning', async () => {
    const a = await d.request('POST', '/networks/create', { Name: 'a', IPAM: { Config: [{ Subnet: '10.50.0.5/24' }] } });
    expect(a.status).toBe(201);
    expect(a.body.Warning).toContain('10.50.0.0/24');
    const b = await d.request('POST', '/networks/create', { Name: 'b', IPAM: { Config: [{ Subnet: '10.50.0.0/25' }] } });
    expect(b.status).toBe(409);
    expect(b.body.message).toContain('Pool overlaps');
  });

  it('filters the list', async () => {
    await d.request('POST', '/networks/create', { Name: 'lab', Labels: { tier: 'db' } });
    const q = (f: object) => d.request('GET', `/networks?filters=${encodeURIComponent(JSON.stringify(f))}`);
    expect((await q({ type: ['custom'] })).body.map((n: { Name: string }) => n.Name)).toEqual(['lab']);
    expect((await q({ label: { 'tier=db': true } })).body.map((n: { Name: string }) => n.Name)).toEqual(['lab']);
    expect((await q({ driver: ['null'] })).body.map((n: { Name: string }) => n.Name)).toEqual(['none']);
    expect((await q({ dangling: ['true'] })).body.map((n: { Name: string }) => n.Name)).toEqual(['lab']);
    expect(await q({ bogus: ['x'] })).toMatchObject({ status: 400, body: { message: "invalid filter 'bogus'" } });
  });

  it('refuses to delete predefined networks', async () => {
    expect(await d.request('DELETE', '/networks/bridge')).toMatchObject({
      status: 403,
      body: { message: 'bridge is a pre-defined network and cannot be removed' },
    });
  });

  it('prunes unused custom networks only', async () => {
    await d.request('POST', '/networks/create', { Name: 'p1' });
    await d.request('POST', '/networks/create', { Name: 'p2', Labels: { keep: '1' } });
    const res = await d.request('POST', `/networks/prune?filters=${encodeURIComponent(JSON.stringify({ 'label!': ['keep'] }))}`);
    expect(res).toMatchObject({ status: 200, body: { NetworksDeleted: ['p1'] } });
  });

  it('answers version prefixes and refuses versions that are too new', async () => {
    expect((await d.request('GET', '/v1.24/version')).status).toBe(200);
    expect(await d.request('GET', '/v1.99/networks')).toMatchObject({
      status: 400,
      body: { message: 'client version 1.99 is too new. Maximum supported API version is 1.47' },
    });
  });

  it('pings with Docker headers', async () => {
    const res = await d.request('GET', '/_ping');
    expect(res.status).toBe(200);
    expect(res.body).toBe('OK');
    expect(res.headers).toMatchObject({ 'api-version': '1.47', ostype: 'linux', 'docker-experimental': 'false', swarm: 'inactive' });
    expect((await d.request('HEAD', '/_ping')).status).toBe(200);
  });

  it('answers swarm endpoints with 503', async () => {
    expect(await d.request('GET', '/swarm')).toMatchObject({ status: 503, body: { message: expect.stringContaining('not a swarm manager') } });
    expect(await d.request('POST', '/swarm/leave')).toMatchObject({ status: 503, body: { message: 'This node is not part of a swarm' } });
  });

  it('avoids a host route that appeared after the start, and hands a deleted network\'s subnet out again', async () => {
    const { Prefix } = await import('@app/common');
    await d.netlink.createLink(d.hostNs, { kind: 'dummy', name: 'vpn0' });
    await d.netlink.setLinkUp(d.hostNs, 'vpn0');
    await d.netlink.addAddress(d.hostNs, 'vpn0', Prefix.parse('172.18.0.1/16'));
    const a = await d.request('POST', '/networks/create', { Name: 'a' });
    expect((await d.request('GET', `/networks/${a.body.Id}`)).body.IPAM.Config[0].Subnet).toBe('172.19.0.0/16');
    await d.netlink.deleteLink(d.hostNs, 'vpn0');
    const b = await d.request('POST', '/networks/create', { Name: 'b' });
    expect((await d.request('GET', '/networks/b')).body.IPAM.Config[0].Subnet).toBe('172.18.0.0/16');
    expect(await d.request('DELETE', '/networks/a')).toMatchObject({ status: 204 });
    expect(await d.request('DELETE', `/networks/${b.body.Id}`)).toMatchObject({ status: 204 });
    await d.request('POST', '/networks/create', { Name: 'c' });
    expect((await d.request('GET', '/networks/c')).body.IPAM.Config[0].Subnet).toBe('172.18.0.0/16');
  });

  it('turns malformed JSON and unknown routes into {message}', async () => {
    expect(await d.request('POST', '/networks/create', '{"Name":')).toMatchObject({ status: 400, body: { message: expect.any(String) } });
    expect(await d.request('GET', '/nope')).toMatchObject({ status: 404, body: { message: 'page not found' } });
    expect(await d.request('POST', '/networks/create', 'x'.repeat(2 * 1024 * 1024))).toMatchObject({ status: 413, body: { message: expect.any(String) } });
  });
});

describe('predefined bridge placement', () => {
  it('moves the default bridge off 172.17.0.0/16 when a host route covers it', async () => {
    const { IpAddr, Prefix } = await import('@app/common');
    const d = await startFakeDaemon({}, undefined, async (netlink, hostNs) => {
      await netlink.createLink(hostNs, { kind: 'dummy', name: 'uplink' });
      await netlink.setLinkUp(hostNs, 'uplink');
      await netlink.addAddress(hostNs, 'uplink', Prefix.parse('172.17.5.1/16'));
      await netlink.addRoute(hostNs, { dst: Prefix.parse('10.0.0.0/8'), gateway: IpAddr.parse('172.17.0.254'), dev: 'uplink' });
    });
    try {
      const bridge = (await d.request('GET', '/networks/bridge')).body;
      expect(bridge.IPAM.Config[0].Subnet).not.toBe('172.17.0.0/16');
      const created = await d.request('POST', '/networks/create', { Name: 'x', IPAM: { Config: [{ Subnet: '10.1.0.0/16' }] } });
      expect(created).toMatchObject({ status: 409, body: { message: expect.stringContaining('Pool overlaps') } });
    } finally {
      await d.close();
    }
  });
});

describe(checkScope.name, () => {
  it('lets a cluster-wide driver be global or swarm, and refuses to lower it to local', () => {
    expect(() => checkScope('global', 'overlay', 'global')).not.toThrow();
    expect(() => checkScope('swarm', 'overlay', 'global')).not.toThrow();
    expect(() => checkScope(undefined, 'overlay', 'global')).not.toThrow();
    expect(() => checkScope('local', 'overlay', 'global')).toThrow('cannot downgrade network scope for overlay networks');
  });
});
