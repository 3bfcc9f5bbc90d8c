import { busyboxImage } from '@app/image';
import { runCommand } from '@app/kernel/exec';
import { existsSync } from 'node:fs';
import type { Services } from '../composition-root';

export const BUSYBOX_BINARY = '/bin/busybox';

/**
 * After reconciliation, before the API opens: seed the busybox image if asked, then re-adopt
 * containers (running ones keep running, exits while netd was down are recorded, restart
 * policies applied).
 */
export async function startContainers(services: Services): Promise<void> {
  if (services.config.seedBusybox) await seedBusybox(services);
  const records = await services.containers.adopt();
  await services.health.resume();
  services.log.info({ containers: records.length, running: records.filter((r) => r.state.running).length }, 'containers adopted');
}

async function seedBusybox(services: Services): Promise<void> {
  if (!existsSync(BUSYBOX_BINARY)) return;
  const tags = await services.images.images.store.listTags();
  if (tags.some((t) => t.name === 'docker.io/library/busybox:latest')) return;
  try {
    const listed = await runCommand(BUSYBOX_BINARY, ['--list-full'], { timeoutMs: 5000 });
    const applets = listed.stdout.split('\n').filter(Boolean);
    const img = await busyboxImage(services.images.images.store, { binary: BUSYBOX_BINARY, applets });
    await services.images.images.store.setTag('docker.io/library/busybox:latest', img.manifestDigest);
    services.log.info({ image: img.configDigest }, `created busybox:latest from ${BUSYBOX_BINARY}`);
  } catch (e) {
    services.log.warn({ err: e }, `could not create busybox:latest from ${BUSYBOX_BINARY}`);
  }
}
