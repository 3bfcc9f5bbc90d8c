// Containers keep resolving names while netd restarts: the embedded DNS lives in a resolver
// process (apps/netd/src/dns/resolver-process.ts) that netd adopts after each start. A busybox
// nslookup loop runs in a container and a TCP DNS loop in the test, both counting failures,
// through five graceful restarts and one kill -9; then the resolver is shown to go away with
// netd for good (inline DNS configured, data root removed). Needs root, runc, conmon,
// busybox-static and the docker client.
import { withNetns } from '@app/kernel';
import { describeAsRoot } from '@app/kernel/testing';
import * as packet from 'dns-packet';
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { resolverPaths } from '../apps/netd/src/dns/resolver-protocol';
import { removeDir } from '../apps/netd/src/testing/netd-process';
import { useNetd } from '../apps/netd/src/testing/netd-suite';
import { startUplink, type Uplink } from './support/dns-uplink';
import { exec } from './support/exec';
import { until } from './support/until';

const alive = (pid: number): boolean => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('dns-resolver');
  } catch {
    return false;
  }
};

/** One A query for `name` over TCP to 127.0.0.11 inside `nsPath`; the addresses, or undefined on any failure. */
function askTcp(nsPath: string, name: string, timeoutMs = 1000): Promise<string[] | undefined> {
  return new Promise((resolve) => {
    let sock: net.Socket;
    try {
      // a host name with a synchronous lookup: the socket is made inside the setns window
      sock = withNetns({ path: nsPath }, () =>
        net.connect({ host: 'dns.invalid', port: 53, family: 4, autoSelectFamily: false, lookup: ((_h: string, o: { all?: boolean }, cb: (...a: unknown[]) => void) => (o?.all ? cb(null, [{ address: '127.0.0.11', family: 4 }]) : cb(null, '127.0.0.11', 4))) as never }),
      );
    } catch {
      return resolve(undefined);
    }
    const q = packet.encode({ id: randomInt(65536), type: 'query', flags: packet.RECURSION_DESIRED, questions: [{ name, type: 'A', class: 'IN' }] });
    let acc = Buffer.alloc(0);
    const timer = setTimeout(() => done(undefined), timeoutMs);
    const done = (r: string[] | undefined): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    sock.on('error', () => done(undefined));
    sock.on('connect', () => sock.write(Buffer.concat([Buffer.from([q.length >> 8, q.length & 0xff]), q])));
    sock.on('data', (c) => {
      acc = Buffer.concat([acc, c]);
      if (acc.length < 2 || acc.length < acc.readUInt16BE(0) + 2) return;
      const a = packet.decode(acc.subarray(2));
      done(a.rcode === 'NOERROR' ? (a.answers ?? []).map((x) => String((x as { data?: unknown }).data)) : undefined);
    });
  });
}

describeAsRoot('container name resolution across netd restarts (resolver process)', () => {
  let up: Uplink | undefined;
  let webIp: string;
  let clientId: string;
  let clientNs: string;
  const resolverPids = new Set<number>();
  const a = randomInt(20, 200);
  const b = randomInt(0, 250);
  const uplink = `10.${a}.${b}`;

  const daemon = useNetd({
    bridge: 'netdr0',
    daemonJson: { dns: [`${uplink}.2`] },
    logFile: process.env.DNS_LOG,
    beforeStart: async (host) => {
      up = await startUplink(host, uplink, 29, [{ kind: 'zone', records: { 'outside.example': ['192.0.2.80'] } }]);
    },
  });
  const docker = async (...args: string[]): Promise<string> => {
    const r = await exec('docker', ['-H', daemon.url, ...args], { env: { HOME: '/nonexistent' } });
    if (r.code !== 0) throw new Error(`docker ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
    return r.stdout.trim();
  };
  const resolverPid = (): number | undefined => {
    const text = existsSync(resolverPaths(join(daemon.dir, 'run')).pid) ? readFileSync(resolverPaths(join(daemon.dir, 'run')).pid, 'utf8') : '';
    const pid = Number(text.trim()) || undefined;
    if (pid) resolverPids.add(pid);
    return pid;
  };
  /** The client container's loop: one `ok` or `fail` line per nslookup, read from its log file. */
  const loopResults = (): string[] =>
    readFileSync(join(daemon.dir, 'data', 'containers', clientId, 'container.log'), 'utf8')
      .split('\n')
      .map((l) => / stdout F (ok|fail)$/.exec(l)?.[1])
      .filter((x): x is string => x !== undefined);

  beforeAll(async () => {
    await docker('network', 'create', '--subnet', `10.${a + 1}.${b}.0/24`, 'n1');
    await docker('run', '-d', '--name', 'web', '--network', 'n1', 'busybox', 'sleep', '1000');
    webIp = await docker('inspect', '--format', '{{(index .NetworkSettings.Networks "n1").IPAddress}}', 'web');
    // busybox nslookup retries after 1 s by itself; the 2 s bound makes a lost answer a failure
    const loop = 'while :; do if timeout 2 nslookup web >/dev/null 2>&1; then echo ok; else echo fail; fi; sleep 0.05; done';
    clientId = await docker('run', '-d', '--name', 'client', '--network', 'n1', 'busybox', 'sh', '-c', loop);
    clientNs = await docker('inspect', '--format', '{{.NetworkSettings.SandboxKey}}', 'client');
    await until('the lookup loop answers', async () => loopResults().length >= 3, 20_000, 100);
  }, 120_000);

  afterAll(async () => {
    // every resolver this suite saw, by pid, in case a failed test left one
    for (const pid of resolverPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await up?.dispose();
  });

  /** Run `during` while a TCP loop asks for `web` every 50 ms; returns the TCP results. */
  async function withTcpLoop(during: () => Promise<void>): Promise<{ ok: number; fail: number; failedAt: number[] }> {
    const out = { ok: 0, fail: 0, failedAt: [] as number[] };
    let stop = false;
    const loop = (async () => {
      while (!stop) {
        const r = await askTcp(clientNs, 'web');
        if (r?.[0] === webIp) out.ok++;
        else {
          out.fail++;
          out.failedAt.push(Date.now());
        }
        await new Promise((res) => setTimeout(res, 50));
      }
    })();
    try {
      await during();
    } finally {
      stop = true;
      await loop;
    }
    return out;
  }

  it('loses no lookup, UDP or TCP, across five graceful restarts; the resolver is adopted each time', async () => {
    const pid = resolverPid();
    expect(pid).toBeDefined();
    const before = loopResults().length;
    const t0 = Date.now();
    const tcp = await withTcpLoop(async () => {
      for (let i = 0; i < 5; i++) {
        expect(await daemon.netd.stop()).toBe(0);
        await daemon.restart();
        expect(resolverPid()).toBe(pid);
      }
      await new Promise((r) => setTimeout(r, 2500)); // lookups in flight at the last restart finish
    });
    const udp = loopResults().slice(before);
    const fails = udp.filter((r) => r === 'fail').length;
    process.stdout.write(`graceful x5 in ${Date.now() - t0} ms: udp ${udp.length - fails} ok / ${fails} failed; tcp ${tcp.ok} ok / ${tcp.fail} failed\n`);
    expect({ udpFailed: fails, tcpFailed: tcp.fail }).toEqual({ udpFailed: 0, tcpFailed: 0 });
    expect(udp.length).toBeGreaterThan(20);
    expect(alive(pid!)).toBe(true);
    const rss = (p: number): string => `${(Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1]) / 1024).toFixed(1)} MB`;
    process.stdout.write(`RSS with 2 containers: netd ${rss(daemon.netd.child.pid!)}, resolver ${rss(pid!)}\n`);
    // upstream forwarding goes on through the resolver
    expect(await docker('exec', 'client', 'nslookup', 'outside.example')).toContain('192.0.2.80');
  });

  it('answers through a kill -9 of netd and while none runs; a restarted netd adopts the resolver', async () => {
    const pid = resolverPid();
    const before = loopResults().length;
    let downFor = 0;
    let upAt = 0;
    const tcp = await withTcpLoop(async () => {
      await daemon.netd.kill9();
      const down = Date.now();
      await new Promise((r) => setTimeout(r, 3000)); // no netd at all
      await daemon.restart();
      upAt = Date.now();
      downFor = upAt - down;
      expect(resolverPid()).toBe(pid);
      await new Promise((r) => setTimeout(r, 1000));
    });
    const udp = loopResults().slice(before);
    const fails = udp.filter((r) => r === 'fail').length;
    // answers after the new netd is up: the first TCP answer after upAt comes within one loop turn
    const firstAfterUp = tcp.failedAt.filter((t) => t > upAt);
    process.stdout.write(`kill -9, no netd for ${downFor} ms: udp ${udp.length - fails} ok / ${fails} failed; tcp ${tcp.ok} ok / ${tcp.fail} failed\n`);
    expect({ udpFailed: fails, tcpFailed: tcp.fail, failedAfterUp: firstAfterUp.length }).toEqual({ udpFailed: 0, tcpFailed: 0, failedAfterUp: 0 });
    expect(udp.length).toBeGreaterThan(10);
  });

  it('stops the resolver when netd starts with the inline DNS, which then answers itself', async () => {
    const pid = resolverPid()!;
    await daemon.netd.stop();
    await daemon.restart(['--dns-resolver', 'inline']);
    expect(alive(pid)).toBe(false);
    expect(await askTcp(clientNs, 'web')).toEqual([webIp]);
    await daemon.netd.stop();
    await daemon.restart();
    const next = resolverPid()!;
    expect(next).not.toBe(pid);
    expect(await askTcp(clientNs, 'web')).toEqual([webIp]);
  });

  it('leaves no resolver behind when the data root is removed', async () => {
    const pid = resolverPid()!;
    await docker('rm', '-f', 'client', 'web');
    await daemon.netd.stop();
    removeDir(daemon.dir);
    await until('the resolver exits', async () => !alive(pid), 5000, 50);
  });
});
