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
export async function diskUsage(rt: Services): Promise<Record<string, unknown>> {
  const records = rt.containerStore.listSync();
  const usersOf = new Map<string, number>();
  for (const r of records) if (r.spec.imageId) usersOf.set(r.spec.imageId, (usersOf.get(r.spec.imageId) ?? 0) + 1);
  const { layersSize, shared } = await rt.images.images.diskUsage();
  const images = await rt.images.list();
  const imageSize = new Map(images.map((i) => [i.id, i.size]));
  const stateDir = join(rt.config.dataRoot, 'containers');
  const containers = await Promise.all(
    rt.containerViews.list({ all: true }).map(async (c) => {
      const sizeRw = await directorySize(containerPaths(stateDir, c.Id).upper);
      const image = records.find((r) => r.id === c.Id)?.spec.imageId;
      return { ...c, SizeRw: sizeRw, SizeRootFs: sizeRw + (image ? (imageSize.get(image) ?? 0) : 0) };
    }),
  );
  const volumes = await Promise.all(
    rt.volumes.volumes.list().map(async (v) => ({
      ...toDockerVolume(v),
      UsageData: { Size: await rt.volumes.volumes.driver.size(v.name), RefCount: rt.volumes.volumes.usedBy(v.name).length },
    })),
  );
  return {
    LayersSize: layersSize,
    Images: images.map((i) => ({ ...toDockerSummary(i), SharedSize: shared.get(i.id) ?? 0, Containers: usersOf.get(i.id) ?? 0 })),
    Containers: containers,
    Volumes: volumes,
    BuildCache: [],
  };
}
