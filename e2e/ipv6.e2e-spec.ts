// IPv6 on bridge networks through the docker 28 client: `network create --ipv6` with and without
// a subnet, containers with IPv6 addresses (dynamic and --ip6) reaching each other by address and
// by name (AAAA from the embedded DNS), inspect fields, and --ip6 refused where it cannot apply.
import { createTempNetns, describeAsRoot, run, TempNetns } from '@app/kernel/testing';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { NetdProcess, removeDir, startNetd } from '../apps/netd/src/testing/netd-process';

type Result = { rc: number; out: string; err: string };

describeAsRoot('IPv6 endpoints through the docker client', () => {
  let host: TempNetns;
  let netd: NetdProcess;
  const d = (...args: string[]): Result => {
    const r = spawnSync('docker', ['-H', `unix://${netd.socket}`, ...args], { encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH, HOME: '/nonexistent' } });
    return { rc: r.status ?? -1, out: r.stdout, err: r.stderr };
  };
  const ok = (r: Result): string => {
    if (r.rc !== 0) throw new Error(`docker failed (${r.rc}): ${r.err}${r.out}`);
    return r.out;
  };

  beforeAll(async () => {
    host = await createTempNetns();
    netd = await startNetd({ hostNetns: host.ref.path, bridge: 'netd6' });
  });

  afterAll(async () => {
    const ids = netd ? d('ps', '-aq').out.split('\n').filter(Boolean) : [];
    if (netd) {
      if (ids.length > 0) d('rm', '-f', ...ids);
      await netd.stop();
    }
    const mine = new Set(ids.map((id) => `netd-c-${id.slice(0, 12)}`));
    for (const n of readdirSync('/run/netns').filter((x) => mine.has(x))) await run('ip', ['netns', 'del', n]).catch(() => undefined);
    await host?.dispose();
    if (netd) removeDir(netd.dir);
  });

  it('gives containers IPv6 addresses that reach each other by address and by name', () => {
    ok(d('network', 'create', '--ipv6', '--subnet', '10.214.0.0/24', '--subnet', 'fd00:214::/64', 'six'));
    ok(d('run', '-d', '--name', 'six-a', '--network', 'six', 'busybox', 'sleep', '600'));
    ok(d('run', '-d', '--name', 'six-b', '--network', 'six', '--ip6', 'fd00:214::b', 'busybox', 'sleep', '600'));
    const net = (name: string) => JSON.parse(ok(d('inspect', '--format', '{{json .NetworkSettings.Networks.six}}', name)));
    expect(net('six-a')).toMatchObject({ GlobalIPv6Address: 'fd00:214::2', GlobalIPv6PrefixLen: 64, IPv6Gateway: 'fd00:214::1', IPAddress: '10.214.0.2' });
    expect(net('six-b')).toMatchObject({ GlobalIPv6Address: 'fd00:214::b', IPAMConfig: { IPv6Address: 'fd00:214::b' } });
    expect(ok(d('exec', 'six-a', 'ip', '-6', 'route', 'show', 'default'))).toContain('via fd00:214::1');
    ok(d('exec', 'six-a', 'ping', '-6', '-c1', '-W2', 'fd00:214::b'));
    expect(ok(d('exec', 'six-a', 'nslookup', '-type=AAAA', 'six-b', '127.0.0.11'))).toContain('fd00:214::b');
    expect(ok(d('exec', 'six-b', 'cat', '/etc/hosts'))).toMatch(/^fd00:214::b\s.*$/m);
    const [inspect] = JSON.parse(ok(d('network', 'inspect', 'six')));
    expect(Object.values(inspect.Containers as Record<string, { Name: string; IPv6Address: string }>).map((c) => [c.Name, c.IPv6Address]).sort())
      .toEqual([['six-a', 'fd00:214::2/64'], ['six-b', 'fd00:214::b/64']]);
  });

  it('takes a ULA /64 of the engine ID for --ipv6 without a subnet, the same one after a restart', async () => {
    const info = () => JSON.parse(ok(d('info', '--format', '{{json .}}')));
    const id = info().ID;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    ok(d('network', 'create', '--ipv6', 'ula'));
    const subnet = () => ok(d('network', 'inspect', '--format', '{{range .IPAM.Config}}{{.Subnet}} {{end}}', 'ula')).trim().split(' ').find((s) => s.includes(':'));
    const before = subnet();
    expect(before).toMatch(/^fd[0-9a-f:]+\/64$/);
    ok(d('run', '-d', '--name', 'ula-a', '--network', 'ula', 'busybox', 'sleep', '600'));
    expect(ok(d('inspect', '--format', '{{.NetworkSettings.Networks.ula.GlobalIPv6Address}}', 'ula-a')).trim()).toMatch(/^fd/);
    ok(d('network', 'create', '--ipv6', 'ula2'));
    const other = ok(d('network', 'inspect', '--format', '{{range .IPAM.Config}}{{.Subnet}} {{end}}', 'ula2')).trim();
    expect(other).not.toContain(before);
    expect(ok(d('network', 'inspect', '--format', '{{.Id}}', 'ula')).trim()).toMatch(/^[0-9a-f]{64}$/);
    const dataRoot = netd.dataRoot;
    const dir = netd.dir;
    await netd.stop();
    netd = await startNetd({ hostNetns: host.ref.path, bridge: 'netd6', dataRoot, dir });
    expect(subnet()).toBe(before);
    // the containers of the first test and this one, all running; busybox is the seeded image
    expect(info()).toMatchObject({ ID: id, Containers: 3, ContainersRunning: 3, ContainersStopped: 0, Images: 1, Driver: 'overlay2' });
  });

  it('refuses --ip6 on a network without IPv6 and leaves no container behind', () => {
    ok(d('network', 'create', '--subnet', '10.215.0.0/24', 'four'));
    const r = d('run', '-d', '--name', 'four-a', '--network', 'four', '--ip6', 'fd00:215::5', 'busybox', 'sleep', '600');
    expect(r.rc).toBe(125);
    expect(r.err).toContain("Invalid address fd00:215::5: It does not belong to any of this network's subnets.");
    expect(d('ps', '-a', '--filter', 'name=four-a', '-q').out.trim()).toBe('');
  });
});
