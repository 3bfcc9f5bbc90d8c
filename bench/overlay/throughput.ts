// bench/overlay (a): iperf3 TCP, one stream, between sandboxes on two hosts over the overlay
// against two sandboxes on one host's bridge, in alternating rounds, for two underlays:
//   cable   — a veth straight between the two host namespaces (two hosts on one cable): the pair
//             the ratio is taken from, since a real switch costs the hosts no CPU, while the
//             segment's software switch runs on the same two cores as both hosts;
//   switch  — the e2e segment as it is: host → veth → bridge namespace → veth → host, no netfilter
//             on the bridge (a physical switch runs none).
// The overlay data path inside the hosts (bridge, vxlan device, nft table) is the same for both;
// only the route to the peer VTEP (a /32 over the cable, or the segment's /24) changes. In the
// same rounds, the kernel floor (./kernel-floor.ts): the same overlay and bridge pair built with
// `ip` alone, netd nowhere, measured the same way — the ratio the kernel itself gives here.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { eventually } from '@app/common/testing';
import { startIn } from '@app/drivers/testing/processes';
import { nsExec, run } from '@app/kernel/testing';
import type { L3Segment, SegmentHost } from '../../e2e/support/l3-segment';
import type { KernelFloor } from './kernel-floor';

export const RUNS = Number(process.env.OVERLAY_IPERF_RUNS ?? 5);
export const SECONDS = Number(process.env.OVERLAY_IPERF_SECONDS ?? 3);
/** The fixed rate of the cost runs: below what every variant reaches, so each carries the same load. */
export const COST_RATE_GBPS = 6;
const CABLE = 'cab0';

export interface Sandbox {
  readonly ns: string;
  readonly ip: string;
}

export interface Throughput {
  readonly cable: number[];
  readonly switched: number[];
  readonly bridge: number[];
  /** The kernel floor's overlay pair and bridge pair. */
  readonly floorOverlay: number[];
  readonly floorBridge: number[];
}

/** CPU time per GB received at {@link COST_RATE_GBPS}, ms, per path. */
export interface CostOf {
  readonly cable: number[];
  readonly bridge: number[];
  readonly floorOverlay: number[];
  readonly floorBridge: number[];
}

/**
 * Two accounts of the same runs. `machine`: the whole machine's busy time (all cores, every
 * namespace), which also counts whatever else runs meanwhile: on a shared machine, other jobs'
 * work lands in it at random and spreads the runs by 2×. `test`: the CPU time of the test's own
 * processes (iperf3's client and server, as getrusage reports them to iperf3, and the kernel's
 * softirq threads): the packet path of veth, vxlan, bridge and nftables runs in softirq in the
 * sending process's context (charged to it) or in ksoftirqd, so this holds the data path's whole
 * cost and none of another job's.
 */
export interface Cost {
  readonly machine: CostOf;
  readonly test: CostOf;
}

const CPUS = availableParallelism();

/**
 * Busy CPU seconds of the whole machine so far: CPUs × uptime − idle, both from /proc/uptime. Idle
 * time is measured precisely (tickless idle); the per-mode tick counts of /proc/stat are sampled
 * and, in this VM, do not even add up to the elapsed time.
 */
function busySeconds(): number {
  const [up, idle] = readFileSync('/proc/uptime', 'utf8').trim().split(/\s+/).map(Number);
  return CPUS * up - idle;
}

/** The ksoftirqd threads' CPU time so far, in seconds (schedstat: ns of run time, exact). */
function softirqThreadSeconds(): number {
  let ns = 0;
  for (const pid of ksoftirqd) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // a CPU gone offline: its thread is gone too
    }
  }
  return ns / 1e9;
}

const ksoftirqd = readdirSync('/proc').filter((pid) => {
  if (!/^\d+$/.test(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('ksoftirqd/');
  } catch {
    return false;
  }
});

const ip = (ns: string, ...args: string[]) => run('ip', ['-n', ns, ...args]);

/**
 * The iperf3 client runs asynchronously, so this process keeps reading the server's output while it
 * runs. Run synchronously, a rate-limited client never ended in 5 of 7 bench runs (killed at its
 * timeout); asynchronously, in none of the runs since. Why was not pinned down: iperf3 has open
 * reports of clients stuck at the end of a test.
 */
async function iperfClient(ns: string, args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('nsenter', [`--net=/run/netns/${ns}`, 'iperf3', ...args], { encoding: 'utf8', timeout: (SECONDS + 10) * 1000 });
  return stdout;
}

/** One iperf3 run: a one-shot server in `server`, a client in `client`; Gbit/s received. */
async function iperf(client: string, server: string, addr: string): Promise<number> {
  return (await iperfRun(client, server, addr)).gbps;
}

/** One run at {@link COST_RATE_GBPS}: the machine's busy CPU time and the test's own over it, per GB received. */
async function cpuPerGb(client: string, server: string, addr: string): Promise<{ machine: number; test: number }> {
  const { bytes, busy, own } = await iperfRun(client, server, addr, COST_RATE_GBPS);
  return { machine: (busy * 1000) / (bytes / 1e9), test: (own * 1000) / (bytes / 1e9) };
}

async function iperfRun(client: string, server: string, addr: string, rateGbps?: number): Promise<{ gbps: number; bytes: number; busy: number; own: number }> {
  const srv = startIn(server, 'iperf3', ['-s', '-1', '-B', addr]);
  try {
    await eventually('iperf3 listening', async () => (await nsExec(server, 'ss', ['-Hltn'])).includes(`${addr}:5201`), 2500, 50);
    const rate = rateGbps === undefined ? [] : ['-b', `${rateGbps}G`];
    const t0 = busySeconds();
    const s0 = softirqThreadSeconds();
    const out = JSON.parse(await iperfClient(client, ['-c', addr, '-t', String(SECONDS), ...rate, '-J']));
    const busy = busySeconds() - t0;
    const softirq = softirqThreadSeconds() - s0;
    // percent of one CPU over each side's own test time
    const { host_total: clientPct, remote_total: serverPct } = out.end.cpu_utilization_percent as { host_total: number; remote_total: number };
    const own = (clientPct * out.end.sum_sent.seconds + serverPct * out.end.sum_received.seconds) / 100 + softirq;
    return { gbps: out.end.sum_received.bits_per_second / 1e9, bytes: out.end.sum_received.bytes, busy, own };
  } finally {
    await srv.stop();
  }
}

/** The veth between the two hosts; it goes with their namespaces. Unused until {@link useCable}. */
async function plugCable(h1: SegmentHost, h2: SegmentHost): Promise<void> {
  await ip(h1.ns.name, 'link', 'add', CABLE, 'type', 'veth', 'peer', 'name', CABLE, 'netns', h2.ns.name);
  for (const h of [h1, h2]) await ip(h.ns.name, 'link', 'set', CABLE, 'up');
}

async function useCable(h1: SegmentHost, h2: SegmentHost, on: boolean): Promise<void> {
  for (const [h, peer] of [[h1, h2], [h2, h1]] as const) await ip(h.ns.name, 'route', on ? 'replace' : 'del', `${peer.ipv4}/32`, 'dev', CABLE);
}

export async function measureThroughput(segment: L3Segment, a: Sandbox, local: Sandbox, remote: Sandbox, floor: KernelFloor): Promise<Throughput> {
  const [h1, h2] = segment.hosts;
  const t: Throughput = { cable: [], switched: [], bridge: [], floorOverlay: [], floorBridge: [] };
  await plugCable(h1, h2);
  for (let r = 0; r < RUNS; r++) {
    await useCable(h1, h2, true);
    try {
      t.cable.push(await iperf(a.ns, remote.ns, remote.ip));
    } finally {
      await useCable(h1, h2, false);
    }
    t.switched.push(await iperf(a.ns, remote.ns, remote.ip));
    t.bridge.push(await iperf(a.ns, local.ns, local.ip));
    t.floorOverlay.push(await iperf(floor.client.ns, floor.remote.ns, floor.remote.ip));
    t.floorBridge.push(await iperf(floor.client.ns, floor.local.ns, floor.local.ip));
  }
  return t;
}

/** The CPU cost of the same four paths (netd's over the cable), alternating as above. */
export async function measureCost(segment: L3Segment, a: Sandbox, local: Sandbox, remote: Sandbox, floor: KernelFloor): Promise<Cost> {
  const [h1, h2] = segment.hosts;
  const c: Cost = { machine: { cable: [], bridge: [], floorOverlay: [], floorBridge: [] }, test: { cable: [], bridge: [], floorOverlay: [], floorBridge: [] } };
  const push = (path: keyof CostOf, v: { machine: number; test: number }) => {
    c.machine[path].push(v.machine);
    c.test[path].push(v.test);
  };
  await useCable(h1, h2, true);
  try {
    for (let r = 0; r < RUNS; r++) {
      push('cable', await cpuPerGb(a.ns, remote.ns, remote.ip));
      push('bridge', await cpuPerGb(a.ns, local.ns, local.ip));
      push('floorOverlay', await cpuPerGb(floor.client.ns, floor.remote.ns, floor.remote.ip));
      push('floorBridge', await cpuPerGb(floor.client.ns, floor.local.ns, floor.local.ip));
    }
  } finally {
    await useCable(h1, h2, false);
  }
  return c;
}
