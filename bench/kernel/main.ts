// Per-container attach cost, N containers on one bridge inside a "host" namespace made here:
// (a) the floor: `ip netns add` + one `ip -batch` in the host ns + one in the container ns;
// (b) InProcessNetns + RtNetlink doing the same (namespace, veth with its peer born in the
// container, bridge port, lo up, address, eth0 up, default route). Also namespace creation
// alone: `ip netns add` vs InProcessNetns. Prints medians and ratios; removes everything.
import { IpAddr, Prefix } from '@app/common';
import { InProcessNetns, RtNetlink, resolveTool } from '@app/kernel';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

const N = Number(process.env.BENCH_N ?? 200);
const tag = randomBytes(3).toString('hex');
const IP = resolveTool('ip');
const made: string[] = [];

function ip(args: string[], input?: string): void {
  const r = spawnSync(IP, args, { input, timeout: 10_000, stdio: ['pipe', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr?.toString().trim() || r.error?.message}`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const addr = (i: number) => Prefix.of(IpAddr.parse('10.88.0.0').add(BigInt(i + 10)), 16);

async function main(): Promise<void> {
  const netns = new InProcessNetns();
  const nl = new RtNetlink();
  const hostName = `netd-b-${tag}-host`;
  const host = await netns.create(hostName);
  made.push(hostName);
  const gw = IpAddr.parse('10.88.0.1');
  await nl.createLink(host, { kind: 'bridge', name: 'br0' });
  await nl.addAddress(host, 'br0', Prefix.of(gw, 16));
  await nl.setLinkUp(host, 'br0');

  // (a) and (b) alternate, so load from other processes weighs on both alike.
  const floor: number[] = [];
  const netd: number[] = [];
  for (let i = 0; i < N; i++) {
    const a = `netd-b-${tag}-a${i}`;
    let t0 = performance.now();
    ip(['netns', 'add', a]);
    made.push(a);
    ip(['-n', hostName, '-batch', '-'], `link add va${i} type veth peer name eth0 netns ${a}\nlink set va${i} master br0\nlink set va${i} up\n`);
    ip(['-n', a, '-batch', '-'], `link set lo up\naddr add ${addr(i)} dev eth0\nlink set eth0 up\nroute add default via ${gw}\n`);
    floor.push(performance.now() - t0);

    const name = `netd-b-${tag}-b${i}`;
    t0 = performance.now();
    const c = await netns.create(name);
    made.push(name);
    await nl.createLink(host, { kind: 'veth', name: `vb${i}`, peer: { name: 'eth0', ns: c } });
    await nl.setLinkMaster(host, `vb${i}`, 'br0');
    await nl.setLinkUp(host, `vb${i}`);
    await nl.setLinkUp(c, 'lo');
    await nl.addAddress(c, 'eth0', addr(N + i));
    await nl.setLinkUp(c, 'eth0');
    await nl.addRoute(c, { dst: Prefix.parse('0.0.0.0/0'), gateway: gw });
    netd.push(performance.now() - t0);
  }

  const ipAdd: number[] = [];
  const inProc: number[] = [];
  for (let i = 0; i < N; i++) {
    const a = `netd-b-${tag}-n${i}`;
    let t0 = performance.now();
    ip(['netns', 'add', a]);
    ipAdd.push(performance.now() - t0);
    made.push(a);
    const b = `netd-b-${tag}-m${i}`;
    t0 = performance.now();
    await netns.create(b);
    inProc.push(performance.now() - t0);
    made.push(b);
  }

  const ok = (await nl.listRoutes({ path: `/run/netns/netd-b-${tag}-b${N - 1}` })).some((r) => r.gateway?.equals(gw));
  nl.close();
  const ports = (await nl.listLinks(host)).filter((l) => l.master === 'br0').length;
  nl.close();
  console.log(`kernel bench, N=${N} containers on one bridge (medians, ms)`);
  console.log(`attach (a) ip netns add + 2x ip -batch : ${median(floor).toFixed(2)}`);
  console.log(`attach (b) InProcessNetns + RtNetlink  : ${median(netd).toFixed(2)}   ratio b/a = ${(median(netd) / median(floor)).toFixed(2)}`);
  console.log(`  last 100 / first 100 (b)            : ${(median(netd.slice(-100)) / median(netd.slice(0, 100))).toFixed(2)}`);
  console.log(`netns create: ip netns add             : ${median(ipAdd).toFixed(2)}`);
  console.log(`netns create: InProcessNetns           : ${median(inProc).toFixed(2)}   ratio = ${(median(inProc) / median(ipAdd)).toFixed(2)}`);
  console.log(`sanity: ${ports} bridge ports, default route in last container: ${ok}`);
}

async function cleanup(): Promise<void> {
  const netns = new InProcessNetns();
  const t0 = performance.now();
  for (const n of made.reverse()) await netns.delete(n).catch((e: Error) => console.error(`cleanup ${n}: ${e.message}`));
  console.log(`teardown of ${made.length} namespaces: ${(performance.now() - t0).toFixed(0)} ms`);
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(cleanup);
