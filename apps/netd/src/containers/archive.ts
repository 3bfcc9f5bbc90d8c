import { ForbiddenError, InvalidParameterError, NotFoundError, NotImplementedError } from '@app/common';
import { RootFs, type ContainerManager, type ContainerRecord, type PathStat } from '@app/container';
import { posix } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** The X-Docker-Container-Path-Stat header: base64 of the stat's JSON. */
export const PATH_STAT_HEADER = 'X-Docker-Container-Path-Stat';
export const encodePathStat = (s: PathStat) => Buffer.from(JSON.stringify(s)).toString('base64');

/**
 * `docker cp`: stat, read and write paths of a container's root filesystem (running or not),
 * every path resolved inside that root (RootFs), never on the host.
 */
export class ContainerArchive {
  constructor(private readonly d: { manager: ContainerManager }) {}

  stat(ref: string, path: string): Promise<PathStat> {
    checkPath(path);
    return this.d.manager.withRootFs(ref, (root, r) => {
      refuseMountsWhenStopped(root, r, path);
      return this.inRoot(root, ref, (fs) => fs.stat(path));
    });
  }

  /** The stat, then the tar written to `out` by `send` once the stat is known (headers first). */
  get(ref: string, path: string, send: (stat: PathStat) => Writable): Promise<void> {
    checkPath(path);
    return this.d.manager.withRootFs(ref, (root, r) => this.inRoot(root, ref, async (fs) => {
      refuseMountsWhenStopped(root, r, path);
      const stat = await fs.stat(path);
      const tar = await fs.tar(path);
      await pipeline(tar, send(stat));
    }));
  }

  put(ref: string, path: string, tar: Readable, o: { noOverwriteDirNonDir: boolean }): Promise<void> {
    checkPath(path);
    return this.d.manager.withRootFs(ref, async (root, r) => {
      if (r.spec.readonlyRootfs) throw new ForbiddenError('container rootfs is marked read-only');
      refuseMountsWhenStopped(root, r, path);
      await this.inRoot(root, ref, (fs) => fs.untar(path, tar, o));
    }, { write: true });
  }

  private async inRoot<T>(root: string, ref: string, fn: (fs: RootFs) => Promise<T>): Promise<T> {
    const fs = await RootFs.open(root);
    try {
      return await fn(fs);
    } catch (e) {
      if (e instanceof NotFoundError && e.message.endsWith(' in container')) throw new NotFoundError(`${e.message} ${ref}`);
      throw e;
    } finally {
      await fs.close();
    }
  }
}

/**
 * A stopped container's root is mounted here without its volumes and binds: a path at or around
 * one of them would copy the layer underneath instead, so it is refused rather than done wrong.
 */
function refuseMountsWhenStopped(root: string, r: ContainerRecord, path: string): void {
  if (root.startsWith('/proc/')) return;
  const p = posix.normalize(`/${path}`).replace(/(.)\/$/, '$1');
  const hit = (r.spec.mounts ?? []).find((m) => p === m.destination || p.startsWith(`${m.destination}/`) || m.destination.startsWith(p === '/' ? '/' : `${p}/`));
  if (hit) throw new NotImplementedError(`copying to or from ${hit.destination} (a ${hit.type} mount) of a stopped container is not supported by netd; start the container first`);
}

function checkPath(path: string | undefined): void {
  if (!path) throw new InvalidParameterError('Path cannot be empty');
  if (path.includes('\0')) throw new InvalidParameterError('Path cannot contain a NUL byte');
}
