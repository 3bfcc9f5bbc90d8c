import { InvalidParameterError } from '@app/common';
import { containerPaths } from '@app/container';
import { directorySize } from '@app/volume';
import { join } from 'node:path';
import { toDockerSummary } from '../images/images.controller';
import type { Services } from '../composition-root';
import { toDockerVolume } from '../volumes/volumes.service';

/**
 * `GET /system/df` (Docker's DiskUsage): images with how many containers use each and the bytes
 * they share, containers with the size of their writable layer, volumes with their size and
 * users. netd keeps no build cache apart from the images a build makes, so BuildCache is empty.
 */
/** `GET /system/df?type=`: the object kinds Docker names; none given means all of them. */
export const DISK_USAGE_TYPES = ['container', 'image', 'volume', 'build-cache'] as const;
export type DiskUsageType = (typeof DISK_USAGE_TYPES)[number];

export function parseDiskUsageTypes(given: readonly string[]): Set<DiskUsageType> {
  for (const t of given) if (!(DISK_USAGE_TYPES as readonly string[]).includes(t)) throw new InvalidParameterError(`unknown object type: ${t}`);
  return new Set((given.length > 0 ? given : DISK_USAGE_TYPES) as DiskUsageType[]);
}

/** Only the kinds asked for are computed; the others are null, as dockerd leaves them. */
export async function diskUsage(rt: Services, kinds: ReadonlySet<DiskUsageType> = new Set(DISK_USAGE_TYPES)): Promise<Record<string, unknown>> {
  const records = rt.containerStore.listSync();
  const imageOf = new Map(records.map((r) => [r.id, r.spec.imageId]));
  const images = kinds.has('image') || kinds.has('container') ? await rt.images.list() : [];
  const out: Record<string, unknown> = { LayersSize: 0, Images: null, Containers: null, Volumes: null, BuildCache: kinds.has('build-cache') ? [] : null };
  if (kinds.has('image')) {
    const usersOf = new Map<string, number>();
    for (const r of records) if (r.spec.imageId) usersOf.set(r.spec.imageId, (usersOf.get(r.spec.imageId) ?? 0) + 1);
    const { layersSize, shared } = await rt.images.images.diskUsage();
    out.LayersSize = layersSize;
    out.Images = images.map((i) => ({ ...toDockerSummary(i), SharedSize: shared.get(i.id) ?? 0, Containers: usersOf.get(i.id) ?? 0 }));
  }
  if (kinds.has('container')) {
    const imageSize = new Map(images.map((i) => [i.id, i.size]));
    const stateDir = join(rt.config.dataRoot, 'containers');
    out.Containers = await Promise.all(
      rt.containerViews.list({ all: true }).map(async (c) => {
        const sizeRw = await directorySize(containerPaths(stateDir, c.Id).upper);
        const image = imageOf.get(c.Id);
        return { ...c, SizeRw: sizeRw, SizeRootFs: sizeRw + (image ? (imageSize.get(image) ?? 0) : 0) };
      }),
    );
  }
  if (kinds.has('volume')) {
    out.Volumes = await Promise.all(
      rt.volumes.volumes.list().map(async (v) => ({
        ...toDockerVolume(v),
        UsageData: { Size: await rt.volumes.volumes.driver.size(v.name), RefCount: rt.volumes.volumes.usedBy(v.name).length },
      })),
    );
  }
  return out;
}
