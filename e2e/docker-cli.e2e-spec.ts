import { createTempNetns, describeAsRoot, ipJson, run, TempNetns, tempNetnsName } from '@app/kernel/testing';
import { spawnSync } from 'node:child_process';
import { api, NetdProcess, removeDir, startNetd } from '../apps/netd/src/testing/netd-process';
import { sandboxKit } from '../apps/netd/src/testing/sandbox-kit';

/** The docker 28 client on PATH, pointed at netd's socket; returns rc, stdout, stderr. */
function docker(socket: string, ...args: string[]): { rc: number; out: string; err: string } {
  const r = spawnSync('docker', ['-H', `unix://${socket}`, ...args], { encoding: 'utf8', timeout: 30_000, env: { PATH: process.env.PATH, HOME: process.env.HOME } });
  return { rc: r.status ?? -1, out: r.stdout, err: r.stderr };
}

function ok(r: { rc: number; out: string; err: string }): string {
  if (r.rc !== 0) throw new Error(`docker failed (${r.rc}): ${r.err}${r.out}`);
  return r.out;
}

describeAsRoot('the docker 28 client drives netd', () => {
  let host: TempNetns;
  let netd: NetdProcess;
  const sandboxes: string[] = [];

  beforeAll(async () => {
    host = await createTempNetns();
    netd = await startNetd({ hostNetns: host.ref.path });
    const kit = sandboxKit(netd.dataRoot);
    try {
      for (let i = 0; i < 2; i++) {
        const name = tempNetnsName();
        sandboxes.push(name);
        await kit.sandboxes.create(name);
      }
    } finally {
      kit.close();
    }
  });

  afterAll(async () => {
    await netd?.kill9();
    for (const n of sandboxes) await run('ip', ['netns', 'del', n]).catch(() => undefined);
    await host?.dispose();
    if (netd) removeDir(netd.dir);
  });

  it('negotiates the API version', () => {
    const v = JSON.parse(ok(docker(netd.socket, 'version', '--format', '{{json .Server}}')));
    expect(v).toMatchObject({ ApiVersion: '1.47', MinAPIVersion: '1.24', Os: 'linux' });
  });

  it('network create | ls | inspect | connect | disconnect | rm | prune', async () => {
    const id = ok(docker(netd.socket, 'network', 'create', '--subnet', '10.212.0.0/24', '--gateway', '10.212.0.1', '--label', 'team=e2e',
      '-o', 'com.docker.network.driver.mtu=1400', 'e2e-a')).trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    ok(docker(netd.socket, 'network', 'create', 'e2e-b'));

    const ls = ok(docker(netd.socket, 'network', 'ls', '--no-trunc', '--format', '{{json .}}')).trim().split('\n').map((l) => JSON.parse(l));
    expect(ls.map((n) => n.Name).sort()).toEqual(['bridge', 'e2e-a', 'e2e-b', 'host', 'none']);
    expect(ls.find((n) => n.Name === 'e2e-a')).toMatchObject({ ID: id, Driver: 'bridge', Scope: 'local' });
    expect(ls.find((n) => n.Name === 'none')).toMatchObject({ Driver: 'null' });
    const filtered = ok(docker(netd.socket, 'network', 'ls', '-q', '--no-trunc', '--filter', 'label=team=e2e')).trim();
    expect(filtered).toBe(id);
    const table = ok(docker(netd.socket, 'network', 'ls'));
    expect(table.split('\n')[0]).toMatch(/^NETWORK ID\s+NAME\s+DRIVER\s+SCOPE/);
    expect(table).toContain(id.slice(0, 12));

    const [a, b] = sandboxes;
    ok(docker(netd.socket, 'network', 'connect', 'e2e-a', a));
    ok(docker(netd.socket, 'network', 'connect', '--ip', '10.212.0.50', '--alias', 'db', 'e2e-a', b));
    const [inspect] = JSON.parse(ok(docker(netd.socket, 'network', 'inspect', 'e2e-a')));
    expect(inspect).toMatchObject({ Name: 'e2e-a', Id: id, Driver: 'bridge', Labels: { team: 'e2e' }, Options: { 'com.docker.network.driver.mtu': '1400' } });
    expect(inspect.IPAM.Config).toEqual([{ Subnet: '10.212.0.0/24', Gateway: '10.212.0.1' }]);
    const containers = Object.values(inspect.Containers as Record<string, { Name: string; IPv4Address: string; MacAddress: string }>);
    expect(containers.map((c) => [c.Name, c.IPv4Address]).sort()).toEqual([[a, '10.212.0.2/24'], [b, '10.212.0.50/24']].sort());
    const eth0 = await ipJson<{ address: string; mtu: number; addr_info: { local: string }[] }[]>(b, ['addr', 'show', 'eth0']);
    expect(eth0[0].addr_info.map((x) => x.local)).toContain('10.212.0.50');
    expect(eth0[0].address).toBe(containers.find((c) => c.Name === b)!.MacAddress);
    expect(eth0[0].mtu).toBe(1400);

    expect(docker(netd.socket, 'network', 'connect', 'e2e-a', a).err).toContain(`endpoint with name ${a} already exists in network e2e-a`);
    expect(docker(netd.socket, 'network', 'rm', 'e2e-a').err).toContain('has active endpoints');
    expect(docker(netd.socket, 'network', 'rm', 'bridge').err).toContain('bridge is a pre-defined network and cannot be removed');
    expect(docker(netd.socket, 'network', 'create', 'e2e-a').err).toContain('network with name e2e-a already exists');
    expect(docker(netd.socket, 'network', 'create', '--subnet', '10.212.0.0/25', 'e2e-c').err).toContain('Pool overlaps with other one on this address space');
    expect(docker(netd.socket, 'network', 'create', '-d', 'nosuchdriver', 'e2e-c').err).toContain('plugin "nosuchdriver" not found');
    expect(docker(netd.socket, 'network', 'inspect', 'e2e-missing').err).toContain('network e2e-missing not found');

    ok(docker(netd.socket, 'network', 'disconnect', 'e2e-a', a));
    ok(docker(netd.socket, 'network', 'disconnect', 'e2e-a', b));
    expect(docker(netd.socket, 'network', 'disconnect', 'e2e-a', b).err).toContain('is not connected to network e2e-a');
    expect((await ipJson<{ ifname: string }[]>(b, ['link', 'show'])).map((l) => l.ifname)).toEqual(['lo']);

    expect(ok(docker(netd.socket, 'network', 'rm', 'e2e-a')).trim()).toBe('e2e-a');
    const pruned = ok(docker(netd.socket, 'network', 'prune', '-f'));
    expect(pruned).toContain('e2e-b');
    const names = ok(docker(netd.socket, 'network', 'ls', '--format', '{{.Name}}')).trim().split('\n').sort();
    expect(names).toEqual(['bridge', 'host', 'none']);
    expect((await api(netd.socket, 'GET', '/networks')).body).toHaveLength(3);
    const links = (await ipJson<{ ifname: string }[]>(host.name, ['link', 'show'])).map((l) => l.ifname);
    expect(links.filter((l) => l.startsWith('br-') || l.startsWith('veth'))).toEqual([]);
  });
});
