import { readFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { CgroupMode } from './cgroups';

/** One sample of a container's resource use, in the units and field names of Docker's stats. */
export interface StatsSample {
  readonly read: Date;
  readonly cpu: { total: number; perCpu?: number[]; kernel: number; user: number; system: number; onlineCpus: number; periods: number; throttledPeriods: number; throttledTime: number };
  readonly memory: { usage: number; maxUsage?: number; limit: number; failcnt?: number; stats: Record<string, number> };
  readonly pids: { current: number; limit?: number };
  readonly blkio: { serviceBytes: BlkioEntry[]; serviced: BlkioEntry[] };
  readonly networks: Record<string, NetDevCounters>;
}

export interface BlkioEntry { major: number; minor: number; op: string; value: number }

export interface NetDevCounters {
  rx_bytes: number; rx_packets: number; rx_errors: number; rx_dropped: number;
  tx_bytes: number; tx_packets: number; tx_errors: number; tx_dropped: number;
}

/** USER_HZ: the unit of /proc/stat and cpuacct.stat (100 on every Linux ABI netd runs on). */
const TICK_NS = 1e7;

const read = (p: string) => readFile(p, 'utf8').catch(() => undefined);
const num = (t: string | undefined) => (t === undefined || t.trim() === 'max' || t.trim() === '' ? undefined : Number(t.trim()));

/** `key value` lines (memory.stat, cpu.stat, cpuacct.stat). */
export function keyValues(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

/** blkio.throttle.io_service_bytes / io_serviced lines (`8:0 Read 4096`), v1. */
export function blkioEntries(text: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const m = /^(\d+):(\d+)\s+(\w+)\s+(\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3], value: Number(m[4]) });
  }
  return out;
}

/** io.stat lines (`8:0 rbytes=1 wbytes=2 rios=3 wios=4 …`), v2, as Docker maps them to Read/Write. */
export function ioStatEntries(text: string | undefined): { serviceBytes: BlkioEntry[]; serviced: BlkioEntry[] } {
  const serviceBytes: BlkioEntry[] = [];
  const serviced: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const [dev, ...fields] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    const kv = Object.fromEntries(fields.map((f) => f.split('=')).map(([k, v]) => [k, Number(v)]));
    const [major, minor] = [Number(m[1]), Number(m[2])];
    serviceBytes.push({ major, minor, op: 'read', value: kv.rbytes ?? 0 }, { major, minor, op: 'write', value: kv.wbytes ?? 0 });
    serviced.push({ major, minor, op: 'read', value: kv.rios ?? 0 }, { major, minor, op: 'write', value: kv.wios ?? 0 });
  }
  return { serviceBytes, serviced };
}

/** /proc/<pid>/net/dev: the counters of the namespace the process is in, loopback left out (as Docker's). */
export function netDev(text: string | undefined): Record<string, NetDevCounters> {
  const out: Record<string, NetDevCounters> = {};
  for (const line of (text ?? '').split('\n').slice(2)) {
    const m = /^\s*([^:\s]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = m[2].trim().split(/\s+/).map(Number);
    out[m[1]] = { rx_bytes: f[0], rx_packets: f[1], rx_errors: f[2], rx_dropped: f[3], tx_bytes: f[8], tx_packets: f[9], tx_errors: f[10], tx_dropped: f[11] };
  }
  return out;
}

/** The host's CPU time (the first line of /proc/stat) in nanoseconds: Docker's system_cpu_usage. */
export function systemCpuNs(procStat: string | undefined): number {
  const line = (procStat ?? '').split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return 0;
  return line.trim().split(/\s+/).slice(1, 8).map(Number).reduce((a, b) => a + b, 0) * TICK_NS;
}

/**
 * Read one sample of the container `id` from its cgroup under `parent` (v1: one directory per
 * controller; v2: one directory) and its network namespace through `/proc/<pid>/net/dev`.
 * Files that are missing read as zero: a container that just exited gives an empty sample.
 */
export async function readStats(o: { mode: CgroupMode; parent: string; id: string; pid: number; root?: string }): Promise<StatsSample> {
  const root = o.root ?? '/sys/fs/cgroup';
  const rel = join(o.parent, o.id);
  const [procStat, dev] = await Promise.all([read('/proc/stat'), o.pid > 0 ? read(`/proc/${o.pid}/net/dev`) : undefined]);
  const onlineCpus = cpus().length;
  const hostMemory = totalmem();
  if (o.mode === 'v2') {
    const dir = join(root, rel);
    const [cpuStat, memCur, memMax, memStat, pidsCur, pidsMax, ioStat] = await Promise.all(
      ['cpu.stat', 'memory.current', 'memory.max', 'memory.stat', 'pids.current', 'pids.max', 'io.stat'].map((f) => read(join(dir, f))),
    );
    const c = keyValues(cpuStat);
    const limit = num(memMax);
    return {
      read: new Date(),
      cpu: {
        total: (c.usage_usec ?? 0) * 1000, kernel: (c.system_usec ?? 0) * 1000, user: (c.user_usec ?? 0) * 1000, system: systemCpuNs(procStat), onlineCpus,
        periods: c.nr_periods ?? 0, throttledPeriods: c.nr_throttled ?? 0, throttledTime: (c.throttled_usec ?? 0) * 1000,
      },
      memory: { usage: num(memCur) ?? 0, limit: limit !== undefined && limit < hostMemory ? limit : hostMemory, stats: keyValues(memStat) },
      pids: { current: num(pidsCur) ?? 0, limit: num(pidsMax) },
      blkio: ioStatEntries(ioStat),
      networks: netDev(dev),
    };
  }
  const at = (controller: string, file: string) => read(join(root, controller, rel, file));
  const [usage, perCpu, acctStat, cpuStat, memUsage, memMax, memLimit, memFail, memStat, pidsCur, pidsMax, ioBytes, ioOps] = await Promise.all([
    at('cpuacct', 'cpuacct.usage'), at('cpuacct', 'cpuacct.usage_percpu'), at('cpuacct', 'cpuacct.stat'), at('cpu', 'cpu.stat'),
    at('memory', 'memory.usage_in_bytes'), at('memory', 'memory.max_usage_in_bytes'), at('memory', 'memory.limit_in_bytes'), at('memory', 'memory.failcnt'),
    at('memory', 'memory.stat'), at('pids', 'pids.current'), at('pids', 'pids.max'),
    at('blkio', 'blkio.throttle.io_service_bytes_recursive'), at('blkio', 'blkio.throttle.io_serviced_recursive'),
  ]);
  const acct = keyValues(acctStat);
  const c = keyValues(cpuStat);
  const limit = num(memLimit);
  return {
    read: new Date(),
    cpu: {
      total: num(usage) ?? 0, perCpu: (perCpu ?? '').trim().split(/\s+/).filter(Boolean).map(Number), kernel: (acct.system ?? 0) * TICK_NS, user: (acct.user ?? 0) * TICK_NS,
      system: systemCpuNs(procStat), onlineCpus, periods: c.nr_periods ?? 0, throttledPeriods: c.nr_throttled ?? 0, throttledTime: c.throttled_time ?? 0,
    },
    memory: { usage: num(memUsage) ?? 0, maxUsage: num(memMax) ?? 0, failcnt: num(memFail) ?? 0, limit: limit !== undefined && limit < hostMemory ? limit : hostMemory, stats: keyValues(memStat) },
    pids: { current: num(pidsCur) ?? 0, limit: num(pidsMax) },
    blkio: { serviceBytes: blkioEntries(ioBytes), serviced: blkioEntries(ioOps) },
    networks: netDev(dev),
  };
}
