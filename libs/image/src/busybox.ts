import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { InvalidParameterError } from '@app/common';
import { writeImage } from './image-writer';
import { packLayer, type LayerFile } from './layers/layer-writer';
import type { ImageRecord, ImageStore } from './store/image-store.port';

export interface BusyboxImageOptions {
  /** Host path of a static busybox binary (Debian's busybox-static: /bin/busybox). */
  binary: string;
  /** Applets as `busybox --list-full` prints them (`bin/sh`, `usr/bin/wget`, …). */
  applets: readonly string[];
  architecture?: string;
}

/**
 * A one-layer busybox image made without running anything: the binary at /bin/busybox and one
 * symlink per applet, which is what `RUN busybox --install -s` would create. Until build steps
 * can RUN, this is how a fresh machine gets an image without a registry.
 */
export async function busyboxImage(store: ImageStore, opts: BusyboxImageOptions): Promise<ImageRecord> {
  const st = await stat(opts.binary).catch(() => undefined);
  if (!st?.isFile()) throw new InvalidParameterError(`busybox binary not found: ${opts.binary}`);
  const dirs = new Set<string>(['bin']);
  const links: LayerFile[] = [];
  for (const raw of opts.applets) {
    const path = posix.normalize(raw.trim().replace(/^\/+/, ''));
    if (!path || path === '.' || path === 'bin/busybox') continue;
    if (path.startsWith('..') || !/^[\w./[-]+$/.test(path)) throw new InvalidParameterError(`invalid applet path: ${raw}`);
    for (let d = posix.dirname(path); d !== '.'; d = posix.dirname(d)) dirs.add(d);
    links.push({ path, type: 'symlink', linkname: '/bin/busybox' });
  }
  const files: LayerFile[] = [
    ...[...dirs].sort().map((path): LayerFile => ({ path, type: 'directory' })),
    { path: 'bin/busybox', type: 'file', mode: 0o755, data: { fromFile: opts.binary, size: st.size } },
    ...links,
  ];
  const layer = await packLayer(files);
  return writeImage(store, {
    layers: [{ packed: layer }],
    architecture: opts.architecture ?? 'amd64',
    config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
    history: [{ created_by: 'COPY busybox /bin/busybox + busybox --install -s (symlinks written by netd)' }],
  });
}
