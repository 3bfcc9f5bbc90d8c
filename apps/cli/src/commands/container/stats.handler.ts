import type { Handler } from '../../command';
import { UsageError } from '../../client/errors';
import { EXIT_USAGE } from '../../context';
import { humanSize, truncateId } from '../../output/go-units';
import { tabwrite } from '../../output/tabwriter';

/** The parts of Docker's StatsJSON `docker stats` reads. */
export interface StatsView {
  name: string;
  id: string;
  cpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats: { cpu_usage: { total_usage: number }; system_cpu_usage?: number };
  memory_stats: { usage?: number; limit?: number; stats?: Record<string, number> };
  pids_stats: { current?: number };
  blkio_stats: { io_service_bytes_recursive?: { op: string; value: number }[] | null };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
}

/** Go's `%.2f`: the exact binary value rounded half to even (3.125 gives 3.12, where toFixed gives 3.13). */
export function goFixed2(x: number): string {
  const scaled = x * 100;
  const floor = Math.floor(scaled);
  const diff = scaled - floor;
  const exactHalf = diff === 0.5 && Number.isInteger(scaled * 2) && (x * 1000) % 10 === 5;
  const n = diff > 0.5 || (diff === 0.5 && !(exactHalf && floor % 2 === 0)) ? floor + 1 : floor;
  return (n / 100).toFixed(2);
}

const BINARY = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** go-units BytesSize: binary units, `%.4g`. */
export function bytesSize(n: number): string {
  let i = 0;
  while (n >= 1024 && i < BINARY.length - 1) {
    n /= 1024;
    i++;
  }
  return `${Number(n.toPrecision(4))}${BINARY[i]}`;
}

/** One row of `docker stats`, computed as the docker CLI computes it (cpu against the host's delta, memory without the page cache). */
export function statsRow(s: StatsView): string[] {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
  const sysDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
  const cpu = sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * (s.cpu_stats.online_cpus ?? 1) * 100 : 0;
  const m = s.memory_stats;
  const cache = m.stats?.total_inactive_file ?? m.stats?.inactive_file ?? 0;
  const mem = Math.max(0, (m.usage ?? 0) - (cache < (m.usage ?? 0) ? cache : 0));
  const limit = m.limit ?? 0;
  const nets = Object.values(s.networks ?? {});
  const io = s.blkio_stats.io_service_bytes_recursive ?? [];
  const sum = (op: string) => io.filter((e) => e.op.toLowerCase() === op).reduce((a, e) => a + e.value, 0);
  return [
    truncateId(s.id), s.name.replace(/^\//, ''), `${goFixed2(cpu)}%`, `${bytesSize(mem)} / ${bytesSize(limit)}`, `${goFixed2(limit ? (mem / limit) * 100 : 0)}%`,
    `${humanSize(nets.reduce((a, n) => a + n.rx_bytes, 0))} / ${humanSize(nets.reduce((a, n) => a + n.tx_bytes, 0))}`,
    `${humanSize(sum('read'))} / ${humanSize(sum('write'))}`, String(s.pids_stats.current ?? 0),
  ];
}

const TITLES = ['CONTAINER ID', 'NAME', 'CPU %', 'MEM USAGE / LIMIT', 'MEM %', 'NET I/O', 'BLOCK I/O', 'PIDS'];

/** `docker stats --no-stream`: one sample of each container (default: the running ones). */
export const statsHandler: Handler<{ stream: boolean; all?: boolean }> = async ({ args, opts }, { client, output }) => {
  if (opts.stream) throw new UsageError('Error: netctl stats shows one sample: use --no-stream', EXIT_USAGE);
  const names = args.length > 0 ? args : (await client.listContainers({ all: opts.all })).map((c) => c.Id);
  const rows = [];
  for (const n of names) rows.push(statsRow((await client.containerStats(n)) as unknown as StatsView));
  output.write(tabwrite([TITLES, ...rows].map((r) => r.join('\t')).join('\n') + '\n'));
};
