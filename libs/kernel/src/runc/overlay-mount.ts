import { InvalidParameterError, SystemError } from '@app/common';
import koffi from 'koffi';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { errnoError } from '../errno';
import { MNT_DETACH, umount2 } from '../native/libc';

/** An overlayfs root: read-only lower dirs (topmost first, overlayfs order) + upper + work. */
export interface OverlaySpec {
  readonly target: string;
  /** Lower directories, topmost layer first (the order of overlayfs's `lowerdir=`). */
  readonly lowers: readonly string[];
  /** Per-container writable layer; must be on the same filesystem as `work`. */
  readonly upper: string;
  readonly work: string;
}

type MountFn = (source: string, target: string, fstype: string, flags: number, data: string) => number;
let mountFn: MountFn | undefined;

function mountWithData(): MountFn {
  if (mountFn) return mountFn;
  try {
    mountFn = koffi
      .load('libc.so.6')
      .func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)') as MountFn;
    return mountFn;
  } catch (e) {
    throw new SystemError(`cannot load libc through koffi: ${(e as Error).message}`, { cause: e });
  }
}

/** The mount options string, or InvalidParameter for paths overlayfs cannot express. */
export function overlayOptions(spec: Omit<OverlaySpec, 'target'>): string {
  if (spec.lowers.length === 0) throw new InvalidParameterError('overlay mount needs at least one lower directory');
  for (const p of [...spec.lowers, spec.upper, spec.work]) {
    // ':' separates lowers and ',' separates options; the kernel has no escaping we can rely on.
    if (!p.startsWith('/') || /[:,\n]/.test(p)) throw new InvalidParameterError(`unusable overlay path: ${p}`);
  }
  return `lowerdir=${spec.lowers.join(':')},upperdir=${spec.upper},workdir=${spec.work}`;
}

/** Mount the overlay on `target` (mount(2) in netd's process, no helper). */
export function mountOverlay(spec: OverlaySpec): void {
  const data = overlayOptions(spec);
  // A page-sized option string is the kernel's limit; past it mount fails with a bare EINVAL.
  if (data.length >= 4096) throw new InvalidParameterError(`overlay options too long (${data.length} bytes, ${spec.lowers.length} layers)`);
  if (mountWithData()('overlay', spec.target, 'overlay', 0, data) !== 0) {
    throw errnoError(koffi.errno(), `mount overlay on ${spec.target}`);
  }
}

/** Unmount `target` lazily (MNT_DETACH): a process still holding a file must not block delete. */
export function unmountPath(target: string): void {
  umount2(target, MNT_DETACH);
}

/**
 * Whether a filesystem is mounted on `path`: its device differs from its parent's (or it is the
 * root). Two stats instead of a scan of /proc/self/mountinfo, whose size grows with every
 * container's mount and namespace. A bind mount of a directory of the same filesystem is not
 * seen; netd asks only about overlay roots.
 */
export function isMountPoint(path: string): boolean {
  try {
    const st = statSync(path);
    const parent = statSync(dirname(path));
    return st.dev !== parent.dev || st.ino === parent.ino;
  } catch {
    return false;
  }
}
