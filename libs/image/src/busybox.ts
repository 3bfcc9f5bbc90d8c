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

/** Docker Hub's busybox /etc/passwd: root, the system accounts and nobody. */
export const BUSYBOX_PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`;

/** Docker Hub's busybox /etc/group. */
export const BUSYBOX_GROUP = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:daemon
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nogroup:x:65534:
`;

/**
 * The directories and files of Docker Hub's busybox besides the applets, so what users do there
 * works here: `echo x > /tmp/f` (a sticky, world-writable /tmp), `cd ~` as root, `id nobody`,
 * `su`/`adduser` finding /etc/passwd and /etc/group.
 */
const SKELETON: readonly LayerFile[] = [
  { path: 'dev', type: 'directory' },
  { path: 'etc', type: 'directory' },
  { path: 'etc/group', type: 'file', mode: 0o644, data: Buffer.from(BUSYBOX_GROUP) },
  { path: 'etc/passwd', type: 'file', mode: 0o644, data: Buffer.from(BUSYBOX_PASSWD) },
  { path: 'home', type: 'directory' },
  { path: 'proc', type: 'directory' },
  { path: 'root', type: 'directory', mode: 0o700 },
  { path: 'sys', type: 'directory' },
  { path: 'tmp', type: 'directory', mode: 0o1777 },
  { path: 'usr', type: 'directory' },
  { path: 'var', type: 'directory' },
  { path: 'var/spool', type: 'directory' },
  { path: 'var/spool/mail', type: 'directory' },
  { path: 'var/www', type: 'directory' },
];

/**
 * A one-layer busybox image made without running anything: the binary at /bin/busybox and one
 * symlink per applet, which is what `RUN busybox --install -s` would create, over the skeleton of
 * Docker Hub's image (above). Until build steps
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
  const skeleton = new Set(SKELETON.map((f) => f.path));
  const files: LayerFile[] = [
    ...SKELETON,
    ...[...dirs].filter((d) => !skeleton.has(d)).sort().map((path): LayerFile => ({ path, type: 'directory' })),
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
