import { ConflictError } from '@app/common';
import { constants, type Stats } from 'node:fs';
import { copyFile, lchown, link, lutimes, mkdir, open, readdir, readlink, symlink, type FileHandle } from 'node:fs/promises';
import { MergedView, type MergedEntry } from './merged-view';
import { mknod } from './native-fs';

export type CopyOutResult = 'copied' | 'destination-not-empty' | 'source-missing' | 'source-not-a-directory';

const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
const at = (dir: FileHandle, name: string) => `/proc/self/fd/${dir.fd}/${name}`;

/**
 * Copy the directory `path` of an image (its layer directories, topmost first) into the empty
 * directory `dest`, with owners, modes, times, symlinks, device nodes and hard links, as dockerd
 * fills a new volume from the image. Nothing is copied into a directory that already has entries.
 *
 * `path` is resolved inside the image (its symlinks never lead to the host); the copy never
 * follows a symlink: sources are read from the layer directories with lstat, and every write
 * goes through a handle on its parent directory opened with O_NOFOLLOW, so a symlink that
 * appears in `dest` meanwhile (a running container may share the volume) makes the copy fail
 * rather than write outside it.
 */
export async function copyImageDir(lowers: readonly string[], path: string, dest: string): Promise<CopyOutResult> {
  const view = new MergedView(lowers);
  const src = await view.resolve(path);
  if (!src) return 'source-missing';
  if (!src.stat.isDirectory()) return 'source-not-a-directory';
  const root = await open(dest, DIR_FLAGS);
  try {
    if ((await readdir(at(root, '.'))).length > 0) return 'destination-not-empty';
    const links = new Map<string, { dir: string[]; name: string }>();
    await copyDir(view, src, root, [], links, root);
    await setMeta(root, src.stat);
    return 'copied';
  } finally {
    await root.close();
  }
}

async function copyDir(view: MergedView, dir: MergedEntry, out: FileHandle, rel: string[], links: Map<string, { dir: string[]; name: string }>, root: FileHandle): Promise<void> {
  for (const e of await view.list(dir)) {
    const st = e.stat;
    const target = at(out, e.name);
    if (st.isDirectory()) {
      await mkdir(target, { mode: 0o700 });
      const child = await open(target, DIR_FLAGS);
      try {
        await copyDir(view, e, child, [...rel, e.name], links, root);
        await setMeta(child, st);
      } finally {
        await child.close();
      }
      continue;
    }
    if (st.nlink > 1 && !st.isSymbolicLink()) {
      const key = `${st.dev}:${st.ino}`;
      const first = links.get(key);
      if (first) {
        await linkFrom(root, first, target);
        continue;
      }
      links.set(key, { dir: rel, name: e.name });
    }
    if (st.isSymbolicLink()) {
      await symlink(await readlink(e.hostPath), target);
      await lchown(target, st.uid, st.gid);
      await lutimes(target, st.atime, st.mtime);
    } else if (st.isFile()) {
      // O_EXCL: the name must be new, so a symlink planted there is not followed
      await copyFile(e.hostPath, target, constants.COPYFILE_EXCL);
      const fh = await open(target, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        await setMeta(fh, st);
      } finally {
        await fh.close();
      }
    } else if (st.isCharacterDevice() || st.isBlockDevice() || st.isFIFO()) {
      const kind = st.isFIFO() ? 'fifo' : st.isCharacterDevice() ? 'char' : 'block';
      mknod(target, kind, st.mode & 0o7777, Math.floor(st.rdev / 256) & 0xfff, (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00));
      await lchown(target, st.uid, st.gid);
    }
    // sockets are not content: skipped, as tar does
  }
}

/** Owner first: chown clears set-id bits, which the mode then restores. */
async function setMeta(fh: FileHandle, st: Stats): Promise<void> {
  await fh.chown(st.uid, st.gid);
  await fh.chmod(st.mode & 0o7777);
  await fh.utimes(st.atime, st.mtime);
}

/** A hard link to a file copied earlier, reached again from the root through O_NOFOLLOW handles. */
async function linkFrom(root: FileHandle, first: { dir: string[]; name: string }, target: string): Promise<void> {
  const opened: FileHandle[] = [];
  try {
    let cur = root;
    for (const name of first.dir) {
      cur = await open(at(cur, name), DIR_FLAGS);
      opened.push(cur);
    }
    await link(at(cur, first.name), target);
  } catch (e) {
    throw new ConflictError(`copy to volume: hard link ${first.name}: ${(e as Error).message}`, { cause: e });
  } finally {
    await Promise.all(opened.map((h) => h.close()));
  }
}
