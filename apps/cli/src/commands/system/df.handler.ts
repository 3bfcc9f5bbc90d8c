import type { Handler } from '../../command';
import type { DiskUsage } from '../../client/system-types';
import { formatList } from '../../output/formatter';
import { humanSize } from '../../output/go-units';
import type { DfOptions } from './system.commands';

export const DEFAULT_DF_TABLE = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';

/** Keys in the order docker's `{{json .}}` prints them (sorted, as its context marshals a map). */
interface DfRow {
  Active: string;
  Reclaimable: string;
  Size: string;
  TotalCount: string;
  Type: string;
}

const row = (Type: string, TotalCount: number, Active: number, Size: string, Reclaimable: string): DfRow => ({
  Active: String(Active), Reclaimable, Size, TotalCount: String(TotalCount), Type,
});

const size = (n: number) => humanSize(n, 4);
/** docker's "<size> (<percent>%)", the percent only when there is anything at all. */
const withPercent = (part: number, total: number) => (total > 0 ? `${size(part)} (${Math.trunc((part * 100) / total)}%)` : size(part));

/** The four rows of docker's `system df`, computed as its formatter does. */
export function dfRows(du: DiskUsage): DfRow[] {
  const images = du.Images ?? [];
  const usedBytes = images.filter((i) => i.Containers > 0 && i.Size !== -1 && i.SharedSize !== -1).reduce((n, i) => n + i.Size - i.SharedSize, 0);
  const containers = du.Containers ?? [];
  const active = (state: string) => /running|paused|restarting/.test(state);
  const containerBytes = containers.reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const idleContainerBytes = containers.filter((c) => !active(c.State)).reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const volumes = du.Volumes ?? [];
  const volumeSize = (v: (typeof volumes)[number]) => (v.UsageData && v.UsageData.Size !== -1 ? v.UsageData.Size : 0);
  const volumeBytes = volumes.reduce((n, v) => n + volumeSize(v), 0);
  const idleVolumeBytes = volumes.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((n, v) => n + volumeSize(v), 0);
  const cache = du.BuildCache ?? [];
  const cacheBytes = cache.filter((b) => !b.Shared).reduce((n, b) => n + b.Size, 0);
  const idleCacheBytes = cache.filter((b) => !b.Shared && !b.InUse).reduce((n, b) => n + b.Size, 0);
  return [
    row('Images', images.length, images.filter((i) => i.Containers > 0).length, size(du.LayersSize), withPercent(du.LayersSize - usedBytes, du.LayersSize)),
    row('Containers', containers.length, containers.filter((c) => active(c.State)).length, size(containerBytes), withPercent(idleContainerBytes, containerBytes)),
    row('Local Volumes', volumes.length, volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length, size(volumeBytes), withPercent(idleVolumeBytes, volumeBytes)),
    row('Build Cache', cache.length, cache.filter((b) => b.InUse).length, size(cacheBytes), size(idleCacheBytes)),
  ];
}

/** docker's `system df` (the summary table, or --format over its rows). */
export const dfHandler: Handler<DfOptions> = async ({ opts }, { client, output, messages }) => {
  const rows = dfRows(await client.systemDf());
  let format = opts.format ?? '';
  if (format === '' || format === 'table') format = DEFAULT_DF_TABLE;
  output.write(formatList(format, rows, messages.system.dfHeader));
};
