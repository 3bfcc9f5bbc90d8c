import { ConflictError, NotFoundError, SystemError } from '@app/common';
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { NetnsRef } from './netlink.port';
import { CLONE_NEWNET, MNT_DETACH, MS_BIND, MS_REC, MS_SHARED, mount, umount2, unshare } from './native/libc';
import { returnHome } from './native/with-netns';
import { checkNetnsName } from './netns-name';
import { Netns } from './netns.port';
import { releaseNetns } from './netns-release';

/**
 * Namespaces made in-process, as `ip netns add` does but without a spawn: unshare(CLONE_NEWNET)
 * on the calling thread, bind-mount /proc/thread-self/ns/net onto <dir>/<name>, go home. The
 * directory is made a shared mount first (bind-mounted onto itself if it is not a mount
 * point), so namespaces created later propagate into other mount namespaces, like ip does.
 */
export class InProcessNetns extends Netns {
  private dirReady = false;

  constructor(readonly dir = '/run/netns') {
    super();
  }

  async create(name: string): Promise<NetnsRef> {
    checkNetnsName(name);
    this.prepareDir();
    const path = join(this.dir, name);
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_CREAT | constants.O_EXCL, 0o444);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new ConflictError(`network namespace ${name} already exists`);
      throw new SystemError(`create ${path}: ${(e as Error).message}`, { cause: e });
    }
    closeSync(fd);
    try {
      unshare(CLONE_NEWNET);
      try {
        mount('/proc/thread-self/ns/net', path, 'none', MS_BIND);
      } finally {
        returnHome();
      }
    } catch (e) {
      unlinkSync(path);
      throw e;
    }
    return { path };
  }

  async delete(name: string): Promise<void> {
    checkNetnsName(name);
    const path = join(this.dir, name);
    if (!existsSync(path)) throw new NotFoundError(`network namespace ${name} not found`);
    releaseNetns(path);
    try {
      umount2(path, MNT_DETACH);
    } catch (e) {
      // A file left without its mount (a crash between the two steps) is still removed.
      if (!(e instanceof Error && /EINVAL/.test(e.message))) throw e;
    }
    unlinkSync(path);
  }

  async get(name: string): Promise<NetnsRef | undefined> {
    checkNetnsName(name);
    const path = join(this.dir, name);
    return existsSync(path) ? { path } : undefined;
  }

  async list(): Promise<string[]> {
    try {
      return readdirSync(this.dir).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }

  private prepareDir(): void {
    if (this.dirReady) return;
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    try {
      mount('none', this.dir, null, MS_SHARED | MS_REC);
    } catch (e) {
      if (!(e instanceof Error && /EINVAL/.test(e.message))) throw e;
      // Not a mount point yet: make it one, then shared (iproute2's netns_add does the same).
      mount(this.dir, this.dir, 'none', MS_BIND | MS_REC);
      mount('none', this.dir, null, MS_SHARED | MS_REC);
    }
    this.dirReady = true;
  }
}
