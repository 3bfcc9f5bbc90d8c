import { InvalidParameterError } from '@app/common';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { MNT_DETACH, MS_BIND, mount, umount2 } from '../native/libc';

/**
 * An overlayfs root: read-only lower dirs (topmost first, overlayfs order) + upper + work. runc
 * mounts it inside the container's mount namespace (libs/container's withOverlayRoot).
 */
export interface OverlaySpec {
  /** Lower directories, topmost layer first (the order of overlayfs's `lowerdir=`). */
  readonly lowers: readonly string[];
  /** Per-container writable layer; must be on the same filesystem as `work`. */
  readonly upper: string;
  readonly work: string;
}

/**
 * The overlay's mount data, or InvalidParameter for paths overlayfs cannot express and for a
 * string past the kernel's limit: a page, past which mount(2) fails with a bare EINVAL (runc
 * passes it on unchanged).
 */
export function overlayMountData(spec: OverlaySpec): string {
  if (spec.lowers.length === 0) throw new InvalidParameterError('overlay mount needs at least one lower directory');
  for (const p of [...spec.lowers, spec.upper, spec.work]) {
    // ':' separates lowers and ',' separates options; the kernel has no escaping we can rely on.
    if (!p.startsWith('/') || /[:,\n]/.test(p)) throw new InvalidParameterError(`unusable overlay path: ${p}`);
  }
  const data = `lowerdir=${spec.lowers.join(':')},upperdir=${spec.upper},workdir=${spec.work}`;
  if (data.length >= 4096) throw new InvalidParameterError(`overlay options too long (${data.length} bytes, ${spec.lowers.length} layers)`);
  return data;
}

/**
 * Mount the overlay on `target` in the daemon's own mount namespace (a stopped container's root
 * for `docker cp`); the caller unmounts it. Fails (EBUSY) while another mount uses the upper dir.
 */
export function mountOverlay(spec: OverlaySpec, target: string): void {
  mount('overlay', target, 'overlay', 0, overlayMountData(spec));
}

/**
 * A read-only view of layers (topmost first) on `target`, writing nothing anywhere: an overlay
 * of lower directories only (no upper, no work dir), or a bind mount of a single layer, which
 * overlayfs refuses to mount alone.
 */
export function mountLayersReadOnly(layers: readonly string[], target: string): void {
  if (layers.length === 1) return mount(layers[0], target, null, MS_BIND);
  for (const p of layers) if (!p.startsWith('/') || /[:,\n]/.test(p)) throw new InvalidParameterError(`unusable overlay path: ${p}`);
  mount('overlay', target, 'overlay', 1 /* MS_RDONLY */, `lowerdir=${layers.join(':')}`);
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
