// The embedded DNS asked by containers through the docker 28 client against netd in a test host
// namespace: names, aliases, links, hostnames, PTR, scoping, host-gateway, upstream order, TCP
// fallback, and --dns kept across a daemon restart. Needs root, runc, conmon, busybox-static.
import { IpAddr } from '@app/common';
import type { NetnsEnter } from '@app/dns';
import { FakeUpstream } from '@app/dns/testing/fake-upstream';
import { listenTcpInNetns, withNetns } from '@app/kernel';
import { createTempNetns, describeAsRoot, run, TempNetns } from '@app/kernel/testing';
import { spawnSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetdProcess, removeDir, startNetd } from '../apps/netd/src/testing/netd-process';
import { exec } from './support/exec';

type Result = { rc: number; out: string; err: string };

function docker(socket: string, ...args: string[]): Result {
  const r = spawnSync('docker', ['-H', `unix://${socket}`, ...args], { encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH, HOME: '/nonexistent' } });
  return { rc: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** The same without blocking the event loop: the fake upstreams live in this process. */
async function dockerAsync(socket: string, ...args: string[]): Promise<Result> {
  const r = await exec('docker', ['-H', `unix://${socket}`, ...args], { env: { HOME: '/nonexistent' } });
  return { rc: r.code ?? -1, out: r.stdout, err: r.stderr };
}

function ok(r: Result): string {
  if (r.rc !== 0) throw new Error(`docker failed (${r.rc}): ${r.err}${r.out}`);
  return r.out;
}

/** Addresses of the answers in busybox nslookup output (the server's own `Address:` line has a port). */
const answers = (out: string): string[] =>
  out.split('\n').map((l) => /^Address:\s+([0-9a-f.:]+)$/.exec(l.trim())?.[1]).filter((a): a is string => !!a && !a.startsWith('127.0.0.11'));

describeAsRoot('the embedded DNS asked by containers (docker client, busybox nslookup)', () => {
  let host: TempNetns;
  let upNs: TempNetns;
  let daemonUp: FakeUpstream | undefined;
  let ownUp: FakeUpstream | undefined;
  let netd: NetdProcess;
  let dir: string;
  const a = randomInt(20, 200);
  const b = randomInt(0, 250);
  const n1 = `10.${a}.${b}`;
  const n2 = `10.${a + 1}.${b}`;
  const uplink = `10.${a + 2}.${b}`;
  const started: string[] = [];
  const d = (...args: string[]) => docker(netd.socket, ...args);
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
    const r = await dockerAsync(netd.socket, 'run', '--rm', ...runArgs, 'busybox', 'nslookup', name);
    return r.out + r.err;
  };

  beforeAll(async () => {
    host = await createTempNetns();
    upNs = await createTempNetns();
    await run('ip', ['-n', host.name, 'link', 'add', 'vup', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', upNs.name]);
    await run('ip', ['-n', host.name, 'addr', 'add', `${uplink}.1/29`, 'dev', 'vup']);
    await run('ip', ['-n', upNs.name, 'addr', 'add', `${uplink}.2/29`, 'dev', 'eth0']);
    await run('ip', ['-n', upNs.name, 'addr', 'add', `${uplink}.3/29`, 'dev', 'eth0']);
    for (const [ns, dev] of [[host.name, 'vup'], [upNs.name, 'eth0'], [host.name, 'lo'], [upNs.name, 'lo']]) await run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    const place = (addr: string) => ({ port: 53, enter: ((fn) => withNetns(upNs.ref, fn)) as NetnsEnter, tcpFd: listenTcpInNetns(upNs.ref, IpAddr.parse(addr), 53) });
    daemonUp = await new FakeUpstream({ kind: 'zone', records: { 'outside.example': ['192.0.2.80'], 'big.example': ['192.0.2.81'] }, truncateUdp: ['big.example'] }, `${uplink}.2`)
      .start(place(`${uplink}.2`));
    ownUp = await new FakeUpstream({ kind: 'zone', records: { 'outside.example': ['192.0.2.99'] } }, `${uplink}.3`).start(place(`${uplink}.3`));
    dir = mkdtempSync(join(tmpdir(), 'netd-t-'));
    writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ dns: [`${uplink}.2`], 'host-gateway-ip': '192.0.2.1' }));
    netd = await startNetd({ hostNetns: host.ref.path, dir, bridge: 'netdd0', extraArgs: process.env.DNS_LOG ? ['--log-level', 'debug'] : [] });
    ok(d('network', 'create', '--subnet', `${n1}.0/24`, 'n1'));
    ok(d('network', 'create', '--subnet', `${n2}.0/24`, 'n2'));
  });

  afterAll(async () => {
    if (netd) {
      if (process.env.DNS_LOG) writeFileSync(process.env.DNS_LOG, netd.logs());
      const ids = d('ps', '-aq').out.split('\n').filter(Boolean);
      if (ids.length > 0) d('rm', '-f', ...ids);
      await netd.stop();
    }
    for (const id of started) await run('ip', ['netns', 'del', `netd-c-${id.slice(0, 12)}`]).catch(() => undefined);
    await daemonUp?.stop().catch(() => undefined);
    await ownUp?.stop().catch(() => undefined);
    await upNs?.dispose().catch(() => undefined);
    await host?.dispose().catch(() => undefined);
    if (dir && process.env.KEEP_NETD !== '1') removeDir(dir);
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
    expect(daemonUp!.asked.filter((q) => q.name === 'big.example').map((q) => q.transport)).toEqual(expect.arrayContaining(['udp', 'tcp']));
  });

  it('answers a container hostname again after a daemon restart (--dns after restart: unit-tested)', async () => {
    rund('--name', 'keeper', '--hostname', 'kh', '--dns', `${uplink}.3`, '--network', 'n1', 'busybox', 'sleep', '1000');
    const ip = ipOf('keeper', 'n1');
    await netd.kill9();
    netd = await startNetd({ hostNetns: host.ref.path, dir: netd.dir, dataRoot: netd.dataRoot, bridge: 'netdd0' });
    let out = '';
    for (let i = 0; i < 50 && answers(out).length === 0; i++) {
      out = d('exec', 'keeper', 'nslookup', '-type=a', 'kh').out;
      if (answers(out).length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(answers(out)).toEqual([ip]);
  });
});
