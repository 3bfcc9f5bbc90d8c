// IPv6 on bridge networks through the docker 28 client: `network create --ipv6` with and without
// a subnet, containers with IPv6 addresses (dynamic and --ip6) reaching each other by address and
// by name (AAAA from the embedded DNS), inspect fields, and --ip6 refused where it cannot apply.
import { describeAsRoot } from '@app/kernel/testing';
import { type DockerNetd, ok, startDockerNetd } from './support/docker-netd';

describeAsRoot('IPv6 endpoints through the docker client', () => {
  let t: DockerNetd;
  const d = (...args: string[]) => t.d(...args);

  beforeAll(async () => {
    t = await startDockerNetd({ bridge: 'netd6' });
  });

  afterAll(async () => {
    await t?.dispose();
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
    await t.netd.stop();
    await t.restart();
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
