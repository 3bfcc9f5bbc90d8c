// bench/overlay-run: how fast an overlay network converges, with real daemons and real clients — from
// `docker run -d --network ov` on host 1 to the first successful `ping <name>` from a container on
// host 2 (busybox ping: the name through host 2's embedded DNS, then ARP and ICMP over VXLAN).
//
// Two hosts are namespaces on an underlay segment (e2e/support/l3-segment, TEST-NET-1 only); one
// netd per host, each run inside its host namespace (so its DHT socket lives there), host 1 its own
// DHT bootstrap, host 2 joining with host 1's token. The prober is one container on host 2 whose
// shell reads a name from stdin and loops `ping -c1 -W1 <name>` until it answers, then prints the
// name: it is told the name the moment `docker run` starts on host 1, and the clock stops when it
// prints. Baseline in the same run: the same prober for a container that already exists (the
// probe's own cost: one lookup, one ping, one line back). Upstream DNS of both daemons is a fake
// server on the segment's bridge address answering NXDOMAIN at once (a real upstream's answer to a
// name not yet known; a dead one would cost the forwarder's 4 s timeout per try, as ICMP port
// unreachable is rate-limited): no lookup ever leaves the namespaces.
import { randomBytes } from 'node:crypto';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { request } from 'node:http';
import { bundledNetdCommand } from '../../apps/netd/src/bundled-entry';
import { startDhtTestnet, type DhtTestnet } from '../../e2e/support/dht-testnet';
import { createL3Segment, type L3Segment, type SegmentHost } from '../../e2e/support/l3-segment';
import { until as poll } from '../../e2e/support/until';

const until = <T>(what: string, fn: () => Promise<T | undefined | false>) => poll(what, fn, 60_000, 100);

const N = Number(process.env.OVERLAY_RUN_N ?? 15);
const CLUSTER_PORT = 7946;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p90 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))];
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

/** One Engine API call over the unix socket; the parsed JSON body (or the text). */
function api(socket: string, method: string, path: string, body?: object): Promise<{ status: number; body: any; text: string }> { // eslint-disable-line @typescript-eslint/no-explicit-any -- any endpoint's JSON
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ socketPath: socket, method, path, headers: data ? { 'Content-Type': 'application/json' } : {} }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, text });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** A DNS server in `ns` on `host`:53 that answers every query NXDOMAIN; killed by PID. */
async function startNxdomainServer(ns: string, host: string): Promise<ChildProcess> {
  const script = `
    const packet = require(process.env.DNS_PACKET);
    const s = require('node:dgram').createSocket('udp4');
    s.on('message', (m, r) => {
      try {
        const q = packet.decode(m);
        s.send(packet.encode({ id: q.id, type: 'response', flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE | 3, questions: q.questions }), r.port, r.address);
      } catch {}
    });
    s.bind(53, process.env.HOST, () => process.stdout.write('ready\\n'));`;
  const child = spawn('nsenter', [`--net=${ns}`, process.execPath, '-e', script], {
    env: { PATH: process.env.PATH, HOST: host, DNS_PACKET: require.resolve('dns-packet') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`fake DNS server exited ${code}`)));
  });
  return child;
}

interface Host {
  readonly seg: SegmentHost;
  readonly dir: string;
  readonly socket: string;
  readonly child: ChildProcess;
}


function startHost(seg: SegmentHost, config: object): Host {
  const dir = mkdtempSync(join(tmpdir(), 'netd-bench-ov-'));
  writeFileSync(join(dir, 'daemon.json'), JSON.stringify(config));
  const socket = join(dir, 'netd.sock');
  // this bundle holds the daemon too (--daemon below); nsenter puts the whole process in the host namespace
  const child = spawn('nsenter', [`--net=${seg.ns.ref.path}`, process.execPath, process.argv[1], '--daemon', '--config-file', join(dir, 'daemon.json'),
    '-H', `unix://${socket}`, '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'run'), '--netns-dir', join(dir, 'netns'),
    '--host-netns', seg.ns.ref.path, '--bridge', `nb${seg.n}`, '--log-level', 'warn'], { stdio: ['ignore', 'ignore', 'inherit'] });
  return { seg, dir, socket, child };
}

function docker(h: Host, ...args: string[]): { ms: number; out: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('docker', ['-H', `unix://${h.socket}`, ...args], { encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH, HOME: '/nonexistent' } });
  if (r.status !== 0) throw new Error(`docker ${args.join(' ')}: ${r.stderr}`);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, out: r.stdout.trim() };
}

/** A container on `h` that pings each name it reads until it answers, then prints the name. */
function startProber(h: Host): { ask(name: string): Promise<number>; stop(): void } {
  const loop = 'while read n; do until ping -c1 -W1 "$n" >/dev/null 2>&1; do :; done; echo "$n"; done';
  const child = spawn('docker', ['-H', `unix://${h.socket}`, 'run', '-i', '--rm', '--name', 'prober', '--network', 'ov', 'busybox', 'sh', '-c', loop],
    { stdio: ['pipe', 'pipe', 'inherit'], env: { PATH: process.env.PATH, HOME: '/nonexistent' } });
  const waiting = new Map<string, (t: bigint) => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => waiting.get(line.trim())?.(process.hrtime.bigint()));
  return {
    ask(name) {
      const t0 = process.hrtime.bigint();
      return new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no answer for ${name} within 30 s`)), 30_000);
        waiting.set(name, (t) => {
          clearTimeout(timer);
          waiting.delete(name);
          resolve(Number(t - t0) / 1e6);
        });
        child.stdin!.write(`${name}\n`);
      });
    },
    stop: () => child.stdin!.end(),
  };
}

async function main(): Promise<void> {
  if (spawnSync('docker', ['--version']).status !== 0) throw new Error('the docker client is needed on PATH');
  let segment: L3Segment | undefined;
  let testnet: DhtTestnet | undefined;
  let upstream: ChildProcess | undefined;
  const hosts: Host[] = [];
  try {
    segment = await createL3Segment(2);
    const [s1, s2] = segment.hosts;
    // a small DHT on the segment as host 2's extra bootstrap (as in e2e/overlay): two nodes alone make a degenerate DHT
    testnet = await startDhtTestnet(segment.bridgeNs, segment.bridgeIpv4, segment.owns);
    const bootstrap = testnet.bootstrap.map((b) => `${b.host}:${b.port}`);
    upstream = await startNxdomainServer(segment.bridgeNs.ref.path, segment.bridgeIpv4);
    const dns = [segment.bridgeIpv4];
    hosts.push(startHost(s1, { dns }));
    await until('host 1 up', async () => existsSync(hosts[0].socket) && (await api(hosts[0].socket, 'GET', '/_ping')).status === 200);
    const init = await api(hosts[0].socket, 'POST', '/netd/cluster/init', { AdvertiseAddr: s1.ipv4, ListenPort: CLUSTER_PORT, Name: 'host1' });
    if (init.status !== 201) throw new Error(`cluster init: ${init.text}`);
    hosts.push(startHost(s2, { dns, cluster: { token: init.body.Token, 'advertise-addr': s2.ipv4, 'listen-port': CLUSTER_PORT, name: 'host2', bootstrap } }));
    await until('host 2 up', async () => existsSync(hosts[1].socket) && (await api(hosts[1].socket, 'GET', '/_ping')).status === 200);
    await until('two ready nodes', async () => {
      for (const h of hosts) {
        const s = (await api(h.socket, 'GET', '/netd/cluster')).body;
        if (s.Nodes.filter((x: { State: string }) => x.State === 'ready').length !== 2) return false;
      }
      return true;
    });
    const [h1, h2] = hosts;
    docker(h1, 'network', 'create', '-d', 'overlay', '--attachable', '--subnet', '10.77.0.0/16', 'ov');
    await until('ov on host 2', async () => ((await api(h2.socket, 'GET', '/networks/ov')).status === 200));

    const prober = startProber(h2);
    docker(h1, 'run', '-d', '--name', 'there', '--network', 'ov', 'busybox', 'sleep', '3600');
    await prober.ask('there'); // warm: the prober container is up and the path works
    const base: number[] = [];
    for (let i = 0; i < N; i++) base.push(await prober.ask('there'));

    const converge: number[] = [];
    const runs: number[] = [];
    for (let i = 0; i < N; i++) {
      const name = `c${i}-${randomBytes(2).toString('hex')}`;
      const answered = prober.ask(name);
      const t0 = process.hrtime.bigint();
      const run = spawn('docker', ['-H', `unix://${h1.socket}`, 'run', '-d', '--name', name, '--network', 'ov', 'busybox', 'sleep', '3600'],
        { stdio: 'ignore', env: { PATH: process.env.PATH, HOME: '/nonexistent' } });
      const ran = new Promise<number>((resolve, reject) => run.on('exit', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - t0) / 1e6) : reject(new Error(`docker run ${name} exited ${code}`)))));
      const [c, r] = [await answered, await ran];
      converge.push(c);
      runs.push(r);
    }
    prober.stop();
    console.log(`host 1 docker run -d → host 2 ping by name answers, ${N} runs: median ${median(converge).toFixed(1)} ms, p90 ${p90(converge).toFixed(1)} ms (target median ≤ 200 ms)`);
    console.log(`  of which docker run -d on host 1 itself: median ${median(runs).toFixed(1)} ms`);
    console.log(`  baseline, the prober for a name that already answers: median ${median(base).toFixed(1)} ms`);
    console.log(`load average: ${load()}`);
  } finally {
    for (const h of hosts) {
      const list = await api(h.socket, 'GET', '/containers/json?all=1').catch(() => undefined);
      for (const c of (list?.body as { Id: string }[] | undefined) ?? []) await api(h.socket, 'DELETE', `/containers/${c.Id}?force=1`).catch(() => undefined);
    }
    for (const h of hosts) {
      h.child.kill('SIGTERM');
      await new Promise((r) => (h.child.exitCode !== null ? r(undefined) : h.child.once('exit', r)));
      spawnSync('umount', ['-l', join(h.dir, 'netns')]);
      rmSync(h.dir, { recursive: true, force: true });
    }
    if (upstream?.pid && upstream.exitCode === null) process.kill(upstream.pid, 'SIGKILL');
    await testnet?.stop().catch(() => undefined);
    await segment?.dispose();
  }
}

const asNetd = bundledNetdCommand();
if (asNetd) {
  void asNetd.then((code) => process.exit(code));
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
