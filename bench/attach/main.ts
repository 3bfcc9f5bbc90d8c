// bench/attach: cost of plugging a container into a bridge.
//   (a) the kernel floor: per container `ip netns add` + one `ip -batch` in the host namespace
//       and one in the container's namespace;
//   (b) netd: namespace (Netns port) + createEndpoint + join through libs/drivers on the real
//       kernel ports, 1,000 containers on one bridge (first 100 vs last 100 medians);
//   (c) bridge network create + delete.
// Everything happens inside a "host" namespace made here, and is removed at the end.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateId, Prefix } from '@app/common';
import { InProcessNetns, NftFirewall, ProcSysctl, RtNetlink } from '@app/kernel';
import { BridgeDriver } from '@app/drivers';

// The floor runs as many containers as netd does: on this kernel both grow with the number of
// bridge ports and namespaces (measured: the floor alone goes 16.8 → 54.1 ms from the first to
// the last 100 of 1,000), so growth is judged against the floor's own growth.
const FLOOR_N = Number(process.env.ATTACH_FLOOR_N ?? 1000);
const NETD_N = Number(process.env.ATTACH_N ?? 1000);
const NET_N = Number(process.env.ATTACH_NET_N ?? 50);
const tag = randomBytes(3).toString('hex');
const HOST = `netd-b-${tag}`;

function sh(args: string[], input?: string): void {
  const r = spawnSync('ip', args, { input, stdio: ['pipe', 'ignore', 'pipe'], timeout: 10_000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr?.toString().trim()}`);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const f = (x: number) => x.toFixed(2);

async function main(): Promise<void> {
  const made: string[] = [];
  sh(['netns', 'add', HOST]);
  try {
    // (a) kernel floor, on its own bridge.
    sh(['-n', HOST, 'link', 'add', 'floorbr', 'type', 'bridge']);
    sh(['-n', HOST, 'addr', 'add', '10.201.0.1/16', 'dev', 'floorbr']);
    sh(['-n', HOST, 'link', 'set', 'floorbr', 'up']);
    const floor: number[] = [];
    for (let i = 0; i < FLOOR_N; i++) {
      const ns = `netd-bf-${tag}-${i}`;
      const ip = `10.201.${(i + 2) >> 8}.${(i + 2) & 255}`;
      const t0 = process.hrtime.bigint();
      sh(['netns', 'add', ns]);
      made.push(ns);
      sh(['-n', HOST, '-batch', '-'], `link add vf${i} type veth peer name eth0 netns ${ns}\nlink set vf${i} master floorbr\nlink set vf${i} up\n`);
      sh(['-n', ns, '-batch', '-'], `link set lo up\naddr add ${ip}/16 dev eth0\nlink set eth0 up\nroute add default via 10.201.0.1\n`);
      floor.push(ms(t0));
    }
    for (const ns of made.splice(0)) sh(['netns', 'del', ns]);

    // (b) netd's join on the real kernel ports.
    const netlink = new RtNetlink();
    const netns = new InProcessNetns();
    const hostNs = { path: `/run/netns/${HOST}` };
    // Per-step timing of join from the driver's step log (step start → next step start).
    const stepTimes = new Map<string, number[]>();
    let lastStep: { name: string; at: bigint } | undefined;
    const closeStep = () => {
      if (lastStep) {
        const arr = stepTimes.get(lastStep.name) ?? [];
        arr.push(ms(lastStep.at));
        stepTimes.set(lastStep.name, arr);
      }
      lastStep = undefined;
    };
    const logger = {
      debug: (o: object) => {
        closeStep();
        const step = (o as { step?: string }).step;
        if (step) lastStep = { name: step, at: process.hrtime.bigint() };
      },
      info: () => undefined,
      warn: () => undefined,
    };
    const driver = new BridgeDriver({ netlink, netns, firewall: new NftFirewall(), sysctl: new ProcSysctl(), hostNs, logger });
    const subnet = Prefix.parse('10.202.0.0/16');
    const networkId = generateId();
    await driver.createNetwork({
      networkId,
      name: 'bench',
      options: driver.parseOptions({}),
      internal: false,
      enableIpv6: false,
      ipv4: [{ subnet, gateway: subnet.nth(1n) }],
      ipv6: [],
    });
    const joins: number[] = [];
    const nsPart: number[] = [];
    for (let i = 0; i < NETD_N; i++) {
      const name = `netd-bn-${tag}-${i}`;
      const endpointId = generateId();
      const t0 = process.hrtime.bigint();
      const sandbox = await netns.create(name);
      made.push(name);
      const t1 = process.hrtime.bigint();
      await driver.createEndpoint({ networkId, endpointId, addresses: [Prefix.of(subnet.nth(BigInt(i + 2)), 16)] });
      await driver.join({ networkId, endpointId, sandbox, ifname: 'eth0', defaultRoute: true });
      closeStep();
      joins.push(ms(t0));
      nsPart.push(Number(t1 - t0) / 1e6);
    }
    const t0 = process.hrtime.bigint();
    for (const name of made.splice(0)) await netns.delete(name);
    const teardown = ms(t0);
    await driver.deleteNetwork(networkId).catch(() => undefined);

    const joinSteps = new Map(stepTimes);
    stepTimes.clear();

    // (c) network create/delete.
    const creates: number[] = [];
    const deletes: number[] = [];
    for (let i = 0; i < NET_N; i++) {
      const id = generateId();
      const s = Prefix.parse(`10.203.${i}.0/24`);
      let t = process.hrtime.bigint();
      await driver.createNetwork({ networkId: id, name: `n${i}`, options: driver.parseOptions({}), internal: false, enableIpv6: false, ipv4: [{ subnet: s, gateway: s.nth(1n) }], ipv6: [] });
      closeStep();
      creates.push(ms(t));
      t = process.hrtime.bigint();
      await driver.deleteNetwork(id);
      deletes.push(ms(t));
    }

    // (d) a published port through DNAT from 127.0.0.1 (route_localnet) against the container
    // address directly (the baseline), 300 HTTP GETs each from the host namespace.
    const createSteps = new Map(stepTimes);
    const web = await publishedPortLatency(driver, netns, made);

    const a = median(floor);
    const b = median(joins);
    const first = median(joins.slice(0, 100));
    const last = median(joins.slice(-100));
    console.log(`(a) kernel floor (ip netns add + 2 ip -batch), N=${FLOOR_N}: median ${f(a)} ms`);
    if (floor.length >= 200) {
      console.log(`    floor first 100 median ${f(median(floor.slice(0, 100)))} ms, last 100 ${f(median(floor.slice(-100)))} ms`);
    }
    console.log(`(b) netd join (netns + endpoint + join), N=${NETD_N}: median ${f(b)} ms`);
    console.log(`    ratio (b)/(a): ${f(b / a)} (target <= 0.5)`);
    console.log(`    first 100 median ${f(first)} ms, last 100 median ${f(last)} ms, last/first ${f(last / first)} (target <= 1.1)`);
    if (floor.length >= 200) {
      const floorGrowth = median(floor.slice(-100)) / median(floor.slice(0, 100));
      console.log(`    kernel floor last/first ${f(floorGrowth)}; netd growth over the floor's growth ${f(last / first / floorGrowth)}`);
      console.log(`    last 100: netd/floor ${f(last / median(floor.slice(-100)))}; first 100: netd/floor ${f(first / median(floor.slice(0, 100)))}`);
    }
    console.log(`    of which namespace creation: first 100 median ${f(median(nsPart.slice(0, 100)))} ms, last 100 ${f(median(nsPart.slice(-100)))} ms`);
    for (const [name, xs] of joinSteps) {
      if (xs.length >= 200) console.log(`    step ${name}: first 100 median ${f(median(xs.slice(0, 100)))} ms, last 100 ${f(median(xs.slice(-100)))} ms`);
    }
    console.log(`    teardown of ${NETD_N} namespaces: ${f(teardown)} ms`);
    console.log(`(c) network create median ${f(median(creates))} ms (target <= 5), delete median ${f(median(deletes))} ms, N=${NET_N}`);
    for (const [name, xs] of createSteps) console.log(`    create step ${name}: median ${f(median(xs))} ms`);
    console.log(`(d) HTTP GET from the host: via 127.0.0.1 DNAT median ${f(web.dnat)} ms, direct to the container ${f(web.direct)} ms, ratio ${f(web.dnat / web.direct)}`);
  } finally {
    for (const ns of made) spawnSync('ip', ['netns', 'del', ns]);
    spawnSync('ip', ['netns', 'del', HOST]);
  }
}

const CLIENT = `
import socket, sys, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
ts = []
for _ in range(n):
    t = time.perf_counter()
    s = socket.create_connection((host, port), timeout=2)
    s.sendall(b"GET /hello HTTP/1.0\\r\\n\\r\\n")
    while s.recv(4096):
        pass
    s.close()
    ts.append((time.perf_counter() - t) * 1000)
ts.sort()
print(ts[len(ts) // 2])
`;

async function publishedPortLatency(driver: BridgeDriver, netns: InProcessNetns, made: string[]): Promise<{ dnat: number; direct: number }> {
  const id = generateId();
  const s = Prefix.parse('10.204.0.0/24');
  await driver.createNetwork({ networkId: id, name: 'web', options: driver.parseOptions({}), internal: false, enableIpv6: false, ipv4: [{ subnet: s, gateway: s.nth(1n) }], ipv6: [] });
  const name = `netd-bw-${tag}`;
  const sandbox = await netns.create(name);
  made.push(name);
  const endpointId = generateId();
  await driver.createEndpoint({ networkId: id, endpointId, addresses: [Prefix.of(s.nth(2n), 24)] });
  await driver.join({ networkId: id, endpointId, sandbox, ifname: 'eth0', defaultRoute: true, portMappings: [{ proto: 'tcp', hostPort: 18080, containerPort: 80 }] });
  const dir = mkdtempSync(join(tmpdir(), 'netd-bench-www-'));
  writeFileSync(join(dir, 'hello'), 'hello\n');
  const server = spawn('nsenter', [`--net=/run/netns/${name}`, 'busybox', 'httpd', '-f', '-p', '80', '-h', dir], { stdio: 'ignore' });
  try {
    spawnSync('ip', ['-n', HOST, 'link', 'set', 'lo', 'up']);
    const measure = (host: string, port: number) => {
      for (let i = 0; i < 50; i++) {
        const r = spawnSync('nsenter', [`--net=/run/netns/${HOST}`, 'python3', '-c', CLIENT, host, String(port), '300'], { timeout: 60_000 });
        if (r.status === 0) return Number(r.stdout.toString().trim());
        spawnSync('sleep', ['0.1']);
      }
      return NaN;
    };
    return { dnat: measure('127.0.0.1', 18080), direct: measure(s.nth(2n).toString(), 80) };
  } finally {
    if (server.pid) process.kill(server.pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    await driver.deleteNetwork(id).catch(() => undefined);
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
