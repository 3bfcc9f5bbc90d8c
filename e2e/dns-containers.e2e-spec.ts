// The embedded DNS asked by containers through the docker 28 client against netd in a test host
// namespace: names, aliases, links, hostnames, PTR, scoping, host-gateway, upstream order, TCP
// fallback, and --dns kept across a daemon restart. Needs root, runc, conmon, busybox-static.
import { describeAsRoot, run } from '@app/kernel/testing';
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { useNetd } from '../apps/netd/src/testing/netd-suite';
import { startUplink, type Uplink } from './support/dns-uplink';
import { type DockerResult, ok } from './support/docker-netd';
import { exec } from './support/exec';

function docker(socket: string, ...args: string[]): DockerResult {
  const r = spawnSync('docker', ['-H', `unix://${socket}`, ...args], { encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH, HOME: '/nonexistent' } });
  return { rc: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** The same without blocking the event loop: the fake upstreams live in this process. */
async function dockerAsync(socket: string, ...args: string[]): Promise<DockerResult> {
  const r = await exec('docker', ['-H', `unix://${socket}`, ...args], { env: { HOME: '/nonexistent' } });
  return { rc: r.code ?? -1, out: r.stdout, err: r.stderr };
}

/** Addresses of the answers in busybox nslookup output (the server's own `Address:` line has a port). */
const answers = (out: string): string[] =>
  out.split('\n').map((l) => /^Address:\s+([0-9a-f.:]+)$/.exec(l.trim())?.[1]).filter((a): a is string => !!a && !a.startsWith('127.0.0.11'));

describeAsRoot('the embedded DNS asked by containers (docker client, busybox nslookup)', () => {
  let up: Uplink | undefined;
  const a = randomInt(20, 200);
  const b = randomInt(0, 250);
  const n1 = `10.${a}.${b}`;
  const n2 = `10.${a + 1}.${b}`;
  const uplink = `10.${a + 2}.${b}`;
  const started: string[] = [];
  const daemon = useNetd({
    bridge: 'netdd0',
    daemonJson: { dns: [`${uplink}.2`], 'host-gateway-ip': '192.0.2.1' },
    extraArgs: process.env.DNS_LOG ? ['--log-level', 'debug'] : [],
    logFile: process.env.DNS_LOG,
    beforeStart: async (host) => {
      up = await startUplink(host, uplink, 29, [
        { kind: 'zone', records: { 'outside.example': ['192.0.2.80'], 'big.example': ['192.0.2.81'] }, truncateUdp: ['big.example'] },
        { kind: 'zone', records: { 'outside.example': ['192.0.2.99'] } },
      ]);
    },
  });

  const d = (...args: string[]) => docker(daemon.netd.socket, ...args);
  const ipOf = (name: string, network: string) => ok(d('inspect', '--format', `{{(index .NetworkSettings.Networks "${network}").IPAddress}}`, name)).trim();
  const rund = (...args: string[]): string => {
    const id = ok(d('run', '-d', ...args)).trim();
    started.push(id);
    return id;
  };
  /** `nslookup name` in a fresh --rm container: its output whether it failed or not. */
  const lookup = (runArgs: string[], name: string): string => {
    const r = d('run', '--rm', ...runArgs, 'busybox', 'nslookup', name);
    return r.out + r.err;
  };
  /** For names the fake upstreams (in this process) must answer. */
  const lookupAsync = async (runArgs: string[], name: string): Promise<string> => {
    const r = await dockerAsync(daemon.netd.socket, 'run', '--rm', ...runArgs, 'busybox', 'nslookup', name);
    return r.out + r.err;
  };

  beforeAll(() => {
    ok(d('network', 'create', '--subnet', `${n1}.0/24`, 'n1'));
    ok(d('network', 'create', '--subnet', `${n2}.0/24`, 'n2'));
  });

  afterAll(async () => {
    for (const id of started) await run('ip', ['netns', 'del', `netd-c-${id.slice(0, 12)}`]).catch(() => undefined);
    await up?.dispose();
  });

  it('points the container at 127.0.0.11 with ndots:0', () => {
    const conf = ok(d('run', '--rm', '--network', 'n1', 'busybox', 'cat', '/etc/resolv.conf'));
    expect(conf).toMatch(/^nameserver 127\.0\.0\.11$/m);
    expect(conf).toMatch(/^options ndots:0/m);
  });

  it('answers the name, --network-alias, name.network, short id, hostname and PTR of a running container', () => {
    const id = rund('--name', 'web', '--hostname', 'h1', '--network-alias', 'www', '--network', 'n1', 'busybox', 'httpd', '-f', '-p', '80');
    const ip = ipOf('web', 'n1');
    for (const name of ['web', 'www', 'web.n1', id.slice(0, 12), 'h1']) expect([name, answers(lookup(['--network', 'n1'], name))]).toEqual([name, [ip]]);
    expect(lookup(['--network', 'n1'], ip)).toContain('name = web.n1');
  });

  it('does not answer a name on a network the asker does not share', () => {
    rund('--name', 'far', '--network', 'n2', 'busybox', 'sleep', '1000');
    expect(answers(lookup(['--network', 'n1'], 'far'))).toEqual([]);
    expect(answers(lookup(['--network', 'n2'], 'far'))).toEqual([ipOf('far', 'n2')]);
  });

  it('shows a --link alias on a user network to the linking container only', () => {
    const ip = ipOf('web', 'n1');
    expect(answers(lookup(['--network', 'n1', '--link', 'web:db'], 'db'))).toEqual([ip]);
    expect(answers(lookup(['--network', 'n1'], 'db'))).toEqual([]);
  });

  it('shuffles the addresses of a shared alias across 40 lookups', () => {
    rund('--name', 's1', '--network', 'n1', '--network-alias', 'shared', 'busybox', 'sleep', '1000');
    rund('--name', 's2', '--network', 'n1', '--network-alias', 'shared', 'busybox', 'sleep', '1000');
    const want = [ipOf('s1', 'n1'), ipOf('s2', 'n1')].sort();
    const out = ok(d('run', '--rm', '--network', 'n1', 'busybox', 'sh', '-c', 'for i in $(seq 40); do nslookup -type=a shared; done'));
    const blocks = out.split('Server:').slice(1).map(answers);
    expect(blocks).toHaveLength(40);
    for (const got of blocks) expect([...got].sort()).toEqual(want);
    expect(new Set(blocks.map((x) => x.join(','))).size).toBe(2);
  });

  it('stops answering a stopped container at once', () => {
    rund('--name', 'brief', '--network', 'n1', 'busybox', 'sleep', '1000');
    expect(answers(lookup(['--network', 'n1'], 'brief'))).toHaveLength(1);
    ok(d('stop', '-t', '0', 'brief'));
    expect(answers(lookup(['--network', 'n1'], 'brief'))).toEqual([]);
  });

  it('resolves names on the default bridge too', () => {
    rund('--name', 'onbridge', 'busybox', 'sleep', '1000');
    expect(answers(lookup([], 'onbridge'))).toEqual([ipOf('onbridge', 'bridge')]);
  });

  it('answers host.docker.internal with host-gateway-ip for a container that asked for it, only', () => {
    expect(answers(lookup(['--network', 'n1', '--add-host', 'host.docker.internal:host-gateway'], 'host.docker.internal'))).toEqual(['192.0.2.1']);
    expect(answers(lookup(['--network', 'n1'], 'host.docker.internal'))).toEqual([]);
  });

  it('writes host-gateway-ip into /etc/hosts for --add-host x:host-gateway, the address the DNS answers', () => {
    const hosts = ok(d('run', '--rm', '--network', 'n1', '--add-host', 'gw:host-gateway', 'busybox', 'cat', '/etc/hosts'));
    expect(hosts).toMatch(/^192\.0\.2\.1\s+gw$/m);
  });

  it('forwards to the daemon dns, and to the container --dns first when it has one', async () => {
    expect(answers(await lookupAsync(['--network', 'n1'], 'outside.example'))).toEqual(['192.0.2.80']);
    expect(answers(await lookupAsync(['--network', 'n1', '--dns', `${uplink}.3`], 'outside.example'))).toEqual(['192.0.2.99']);
  });

  it('asks the upstream again over TCP when its UDP answer is truncated', async () => {
    expect(answers(await lookupAsync(['--network', 'n1'], 'big.example'))).toEqual(['192.0.2.81']);
    expect(up!.upstreams[0].asked.filter((q) => q.name === 'big.example').map((q) => q.transport)).toEqual(expect.arrayContaining(['udp', 'tcp']));
  });

  it('answers a container hostname again after a daemon restart (--dns after restart: unit-tested)', async () => {
    rund('--name', 'keeper', '--hostname', 'kh', '--dns', `${uplink}.3`, '--network', 'n1', 'busybox', 'sleep', '1000');
    const ip = ipOf('keeper', 'n1');
    await daemon.netd.kill9();
    await daemon.restart();
    let out = '';
    for (let i = 0; i < 50 && answers(out).length === 0; i++) {
      out = d('exec', 'keeper', 'nslookup', '-type=a', 'kh').out;
      if (answers(out).length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(answers(out)).toEqual([ip]);
  });
});
