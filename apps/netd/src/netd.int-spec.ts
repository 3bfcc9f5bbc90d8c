import { createTempNetns, describeAsRoot, ipJson, nsExec, run, TempNetns, tempNetnsName } from '@app/kernel/testing';
import { request } from 'node:http';
import { api, NetdProcess, removeDir, startNetd } from './testing/netd-process';
import { sandboxKit } from './testing/sandbox-kit';

interface Link {
  ifname: string;
  link_type?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: { local: string; prefixlen: number }[];
}

describeAsRoot('netd over its unix socket (real kernel)', () => {
  let host: TempNetns;
  let netd: NetdProcess;
  const sandboxNames: string[] = [];

  beforeEach(async () => {
    host = await createTempNetns();
    netd = await startNetd({ hostNetns: host.ref.path });
  });

  afterEach(async () => {
    await netd?.kill9();
    for (const n of sandboxNames.splice(0)) await run('ip', ['netns', 'del', n]).catch(() => undefined);
    await host?.dispose();
    removeDir(netd.dir);
  });

  async function sandbox(): Promise<{ id: string; name: string }> {
    const kit = sandboxKit(netd.dataRoot);
    try {
      const name = tempNetnsName();
      sandboxNames.push(name);
      return await kit.sandboxes.create(name);
    } finally {
      kit.close();
    }
  }

  it('pings with Docker headers on the socket, mode 0660', async () => {
    const res = await api(netd.socket, 'GET', '/_ping');
    expect(res.status).toBe(200);
    expect(res.text).toBe('OK');
    expect(res.headers).toMatchObject({ 'api-version': '1.47', ostype: 'linux', 'docker-experimental': 'false' });
    const { statSync } = await import('node:fs');
    expect(statSync(netd.socket).mode & 0o777).toBe(0o660);
    const info = await api(netd.socket, 'GET', '/v1.47/info');
    expect(info.body).toMatchObject({ Swarm: { LocalNodeState: 'inactive' }, DockerRootDir: netd.dataRoot, Networks: 3 });
  });

  it('creates a bridge network, connects a sandbox, disconnects and deletes', async () => {
    const created = await api(netd.socket, 'POST', '/v1.47/networks/create', { Name: 'it-net', IPAM: { Config: [{ Subnet: '10.201.0.0/24' }] } });
    expect(created.status).toBe(201);
    const bridge = `br-${created.body.Id.slice(0, 12)}`;
    const links = await ipJson<Link[]>(host.name, ['addr', 'show', bridge]);
    expect(links[0].addr_info?.map((a) => `${a.local}/${a.prefixlen}`)).toContain('10.201.0.1/24');

    const sb = await sandbox();
    expect((await api(netd.socket, 'POST', '/v1.47/networks/it-net/connect', { Container: sb.name })).status).toBe(200);
    const inspect = await api(netd.socket, 'GET', '/v1.47/networks/it-net');
    expect(inspect.body.Containers[sb.id]).toMatchObject({ Name: sb.name, IPv4Address: '10.201.0.2/24' });
    const eth0 = await ipJson<Link[]>(sb.name, ['addr', 'show', 'eth0']);
    expect(eth0[0].addr_info?.map((a) => `${a.local}/${a.prefixlen}`)).toContain('10.201.0.2/24');
    await nsExec(sb.name, 'ping', ['-c1', '-W2', '10.201.0.1']);

    expect((await api(netd.socket, 'POST', '/v1.47/networks/it-net/disconnect', { Container: sb.name })).status).toBe(200);
    expect((await ipJson<Link[]>(sb.name, ['link', 'show'])).map((l) => l.ifname)).toEqual(['lo']);
    expect((await api(netd.socket, 'DELETE', '/v1.47/networks/it-net')).status).toBe(204);
    expect((await ipJson<Link[]>(host.name, ['link', 'show'])).map((l) => l.ifname)).not.toContain(bridge);
  });

  it('gives sandboxes on an --ipv6 network IPv6 addresses that ping each other and the gateway', async () => {
    await api(netd.socket, 'POST', '/networks/create', {
      Name: 'six', EnableIPv6: true, IPAM: { Config: [{ Subnet: '10.204.0.0/24' }, { Subnet: 'fd00:204::/64', Gateway: 'fd00:204::1' }] },
    });
    const a = await sandbox();
    const b = await sandbox();
    await api(netd.socket, 'POST', '/networks/six/connect', { Container: a.name });
    await api(netd.socket, 'POST', '/networks/six/connect', { Container: b.name, EndpointConfig: { IPAMConfig: { IPv6Address: 'fd00:204::b' } } });
    const eth0 = (await ipJson<Link[]>(b.name, ['addr', 'show', 'eth0']))[0];
    expect(eth0.addr_info?.map((x) => `${x.local}/${x.prefixlen}`)).toEqual(expect.arrayContaining(['10.204.0.3/24', 'fd00:204::b/64']));
    const routes = await ipJson<{ dst: string; gateway?: string }[]>(b.name, ['-6', 'route', 'show', 'default']);
    expect(routes).toEqual([expect.objectContaining({ dst: 'default', gateway: 'fd00:204::1' })]);
    await nsExec(a.name, 'ping', ['-6', '-c1', '-W2', 'fd00:204::b']);
    await nsExec(b.name, 'ping', ['-6', '-c1', '-W2', 'fd00:204::1']);
    await api(netd.socket, 'POST', '/networks/six/disconnect', { Container: b.name });
    expect((await ipJson<Link[]>(b.name, ['link', 'show'])).map((l) => l.ifname)).not.toContain('eth0');
  });

  it('streams events as JSON lines', async () => {
    const lines: string[] = [];
    const req = request({ socketPath: netd.socket, path: '/v1.47/events?filters=' + encodeURIComponent('{"type":["network"]}') });
    const got = new Promise<void>((resolve) => {
      req.on('response', (res) => res.on('data', (c: Buffer) => {
        lines.push(...c.toString().split('\n').filter(Boolean));
        if (lines.length >= 2) resolve();
      }));
    });
    req.end();
    await new Promise((r) => setTimeout(r, 200));
    await api(netd.socket, 'POST', '/networks/create', { Name: 'ev' });
    await api(netd.socket, 'DELETE', '/networks/ev');
    await got;
    req.destroy();
    const events = lines.map((l) => JSON.parse(l));
    expect(events.map((e) => [e.Type, e.Action, e.Actor.Attributes.name])).toEqual([
      ['network', 'create', 'ev'],
      ['network', 'destroy', 'ev'],
    ]);
    expect(events[0]).toMatchObject({ scope: 'local', time: expect.any(Number), timeNano: expect.any(Number) });
  });

  it('exits 0 on SIGTERM leaving networks and endpoints in place, and restores them', async () => {
    await api(netd.socket, 'POST', '/networks/create', { Name: 'live', IPAM: { Config: [{ Subnet: '10.202.0.0/24' }] } });
    const sb = await sandbox();
    await api(netd.socket, 'POST', '/networks/live/connect', { Container: sb.name });
    expect(await netd.stop()).toBe(0);
    expect((await ipJson<Link[]>(sb.name, ['link', 'show'])).map((l) => l.ifname)).toContain('eth0');
    netd = await startNetd({ hostNetns: host.ref.path, dataRoot: netd.dataRoot, dir: netd.dir });
    const inspect = await api(netd.socket, 'GET', '/networks/live');
    expect(inspect.body.Containers[sb.id].IPv4Address).toBe('10.202.0.2/24');
    await nsExec(sb.name, 'ping', ['-c1', '-W2', '10.202.0.1']);
  });

  it('refuses a second daemon on the same data root and leaves the first one serving', async () => {
    const second = await startNetd({ hostNetns: host.ref.path, dataRoot: netd.dataRoot, expectFailure: true });
    try {
      expect(await second.exited).toBe(1);
      expect(second.logs()).toContain(`process with PID ${netd.child.pid} is still running`);
      expect((await api(netd.socket, 'GET', '/_ping')).status).toBe(200);
    } finally {
      await second.kill9();
      removeDir(second.dir);
    }
  });

  it('rebuilds networks the kernel lost and removes objects the database does not know', async () => {
    const created = await api(netd.socket, 'POST', '/networks/create', { Name: 'lost', IPAM: { Config: [{ Subnet: '10.203.0.0/24' }] } });
    const bridge = `br-${created.body.Id.slice(0, 12)}`;
    await netd.kill9();
    await nsExec(host.name, 'ip', ['link', 'del', bridge]);
    // a bridge netd made (its MAC carries netd's 02:6e:64 marker) for a network the database never committed
    await nsExec(host.name, 'ip', ['link', 'add', 'br-0123456789ab', 'address', '02:6e:64:aa:bb:cc', 'type', 'bridge']);
    await nsExec(host.name, 'ip', ['link', 'add', 'br-fedcba987654', 'type', 'bridge']);
    netd = await startNetd({ hostNetns: host.ref.path, dataRoot: netd.dataRoot, dir: netd.dir });
    const names = (await ipJson<Link[]>(host.name, ['link', 'show'])).map((l) => l.ifname);
    expect(names).toContain(bridge);
    expect(names).not.toContain('br-0123456789ab');
    expect(names).toContain('br-fedcba987654'); // not ours: left alone
  });
});
