import { detectCgroupMode, readStats, type CgroupMode, type ContainerManager, type ContainerRecord, type StatsSample } from '@app/container';

const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Docker's StatsJSON (api/types/stats.go), with its omitempty fields left out when empty. */
export interface StatsJson {
  read: string;
  preread: string;
  pids_stats: { current?: number; limit?: number };
  blkio_stats: Record<string, { major: number; minor: number; op: string; value: number }[] | null>;
  num_procs: number;
  storage_stats: Record<string, never>;
  cpu_stats: CpuStatsJson;
  precpu_stats: CpuStatsJson;
  memory_stats: { usage?: number; max_usage?: number; stats?: Record<string, number>; failcnt?: number; limit?: number };
  name: string;
  id: string;
  networks?: Record<string, Record<string, number>>;
}

interface CpuStatsJson {
  cpu_usage: { total_usage: number; percpu_usage?: number[]; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

const BLKIO_KEYS = ['io_service_bytes_recursive', 'io_serviced_recursive', 'io_queue_recursive', 'io_service_time_recursive', 'io_wait_time_recursive', 'io_merged_recursive', 'io_time_recursive', 'sectors_recursive'];

function cpuJson(s: StatsSample | undefined): CpuStatsJson {
  if (!s) return { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
  const c = s.cpu;
  return {
    cpu_usage: { total_usage: c.total, ...(c.perCpu?.length ? { percpu_usage: c.perCpu } : {}), usage_in_kernelmode: c.kernel, usage_in_usermode: c.user },
    ...(c.system ? { system_cpu_usage: c.system } : {}),
    ...(c.onlineCpus ? { online_cpus: c.onlineCpus } : {}),
    throttling_data: { periods: c.periods, throttled_periods: c.throttledPeriods, throttled_time: c.throttledTime },
  };
}

const nonZero = <T extends Record<string, unknown>>(o: T) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== 0)) as Partial<T>;

/** The JSON of one sample, `pre` the one before it (precpu_stats); no sample: Docker's empty stats of a stopped container. */
export function statsJson(r: ContainerRecord, s: StatsSample | undefined, pre: StatsSample | undefined): StatsJson {
  const blkio = Object.fromEntries(BLKIO_KEYS.map((k) => [k, null])) as StatsJson['blkio_stats'];
  if (s?.blkio.serviceBytes.length) blkio.io_service_bytes_recursive = s.blkio.serviceBytes;
  if (s?.blkio.serviced.length) blkio.io_serviced_recursive = s.blkio.serviced;
  return {
    read: s?.read.toISOString() ?? ZERO_TIME,
    preread: pre?.read.toISOString() ?? ZERO_TIME,
    pids_stats: s ? nonZero({ current: s.pids.current, limit: s.pids.limit }) : {},
    blkio_stats: blkio,
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuJson(s),
    precpu_stats: cpuJson(pre),
    memory_stats: s
      ? { ...nonZero({ usage: s.memory.usage, max_usage: s.memory.maxUsage }), ...(Object.keys(s.memory.stats).length ? { stats: s.memory.stats } : {}), ...nonZero({ failcnt: s.memory.failcnt, limit: s.memory.limit }) }
      : {},
    name: r.name,
    id: r.id,
    ...(s && Object.keys(s.networks).length ? { networks: s.networks as unknown as Record<string, Record<string, number>> } : {}),
  };
}

/**
 * `GET /containers/{id}/stats`: samples of the container's cgroup and network namespace. As
 * dockerd's collector does, samples are a second apart, so even a one-shot answer (stream=false)
 * carries the previous sample in precpu_stats for a CPU percentage; `one-shot` skips that wait.
 */
export class ContainerStats {
  private readonly mode: CgroupMode;
  constructor(private readonly d: { manager: ContainerManager; cgroupMode?: CgroupMode; cgroupParent?: string; intervalMs?: number }) {
    this.mode = d.cgroupMode ?? detectCgroupMode();
  }

  private sample(r: ContainerRecord): Promise<StatsSample> {
    return readStats({ mode: this.mode, parent: this.d.cgroupParent ?? '/netd', id: r.id, pid: r.state.pid });
  }

  /** One answer; `oneShot`: no previous sample. */
  async once(ref: string, oneShot: boolean): Promise<StatsJson> {
    const r = await this.d.manager.inspect(ref);
    if (!r.state.running || r.state.restarting) return statsJson(r, undefined, undefined);
    const first = await this.sample(r);
    if (oneShot) return statsJson(r, first, undefined);
    await new Promise((res) => setTimeout(res, this.d.intervalMs ?? 1000));
    return statsJson(r, await this.sample(r), first);
  }

  /** Samples every interval until `signal` aborts; `emit` returns false to stop. */
  async stream(ref: string, signal: AbortSignal, emit: (s: StatsJson) => boolean): Promise<void> {
    let pre: StatsSample | undefined;
    while (!signal.aborted) {
      const r = await this.d.manager.inspect(ref).catch(() => undefined);
      if (!r) return;
      const s = r.state.running ? await this.sample(r) : undefined;
      if (!emit(statsJson(r, s, pre))) return;
      pre = s;
      await new Promise<void>((res) => {
        const t = setTimeout(res, this.d.intervalMs ?? 1000);
        signal.addEventListener('abort', () => { clearTimeout(t); res(); }, { once: true });
      });
    }
  }
}
