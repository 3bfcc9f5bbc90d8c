import { ConflictError, InvalidParameterError, NotFoundError, NotImplementedError } from '@app/common';
import { constants, type Stats } from 'node:fs';
import { lchown, lstat, lutimes, mkdir, open, readdir, readlink, rm, symlink, type FileHandle } from 'node:fs/promises';
import { posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { extract, pack, type Header } from 'tar-stream';

const MAX_LINKS = 40;
const DIR = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;

/** Docker's ContainerPathStat (the X-Docker-Container-Path-Stat header). */
export interface PathStat {
  name: string;
  size: number;
  /** Go's os.FileMode: permission bits plus type bits. */
  mode: number;
  mtime: string;
  linkTarget: string;
}

/**
 * A container's root filesystem seen from the host, every path resolved INSIDE it: each
 * component is looked up from a directory handle already held (`/proc/self/fd/<n>/<name>`), a
 * symlink's target is resolved against the container's root (an absolute one restarts at it, `..`
 * stops at it), and nothing is ever opened by a path that the kernel could resolve through a
 * link. So `/etc -> /` or a link swapped in meanwhile reaches the container's files only, never
 * the host's — the boundary `docker cp` relies on.
 */
export class RootFs {
  private constructor(private readonly rootFd: FileHandle) {}

  static async open(root: string): Promise<RootFs> {
    return new RootFs(await open(root, constants.O_RDONLY | constants.O_DIRECTORY));
  }

  async close(): Promise<void> {
    await this.rootFd.close().catch(() => undefined);
  }

  /**
   * Walk `parts` from `stack` (directory handles, the root first). Symlinks are followed inside
   * the root, the last component only with `followLast`. Returns the directory stack of the
   * parent and the last name (undefined when the path is the root itself). ENOENT on a missing
   * intermediate directory, unless `create` makes it.
   */
  private async walk(parts: string[], followLast: boolean, create = false, stack: FileHandle[] = [this.rootFd]): Promise<{ stack: FileHandle[]; name?: string }> {
    const todo = [...parts];
    let links = 0;
    while (todo.length > 0) {
      const name = todo.shift()!;
      if (name === '' || name === '.') continue;
      if (name === '..') {
        if (stack.length > 1) await stack.pop()!.close();
        continue;
      }
      const last = todo.length === 0;
      const at = `/proc/self/fd/${stack[stack.length - 1].fd}/${name}`;
      let st: Stats;
      try {
        st = await lstat(at);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || last || !create) {
          if (last) return { stack, name };
          throw e;
        }
        await mkdir(at, 0o755);
        st = await lstat(at);
      }
      if (st.isSymbolicLink() && (!last || followLast)) {
        if (++links > MAX_LINKS) throw Object.assign(new Error('too many levels of symbolic links'), { code: 'ELOOP' });
        const target = await readlink(at);
        if (target.startsWith('/')) while (stack.length > 1) await stack.pop()!.close();
        todo.unshift(...target.split('/'));
        continue;
      }
      if (last) return { stack, name };
      stack.push(await open(at, DIR));
    }
    return { stack };
  }

  private async release(stack: FileHandle[]): Promise<void> {
    await Promise.all(stack.slice(1).map((h) => h.close().catch(() => undefined)));
  }

  /** lstat of `path` (its parents' links followed in the root, the last not), as Docker's stat. */
  async stat(path: string): Promise<PathStat> {
    const { stack, name } = await this.walk(split(path), false).catch(notFound(path));
    try {
      const at = name === undefined ? `/proc/self/fd/${stack[stack.length - 1].fd}` : `/proc/self/fd/${stack[stack.length - 1].fd}/${name}`;
      const st = await lstat(at).catch(notFound(path));
      let linkTarget = '';
      if (st.isSymbolicLink()) {
        const target = await readlink(at);
        linkTarget = target.startsWith('/') ? posix.normalize(target) : posix.join(posix.dirname(posix.join('/', path)), target);
      }
      return { name: name ?? '/', size: st.size, mode: goFileMode(st), mtime: st.mtime.toISOString(), linkTarget };
    } finally {
      await this.release(stack);
    }
  }

  /**
   * A tar of `path` (a directory recursively) with entries named from its base name, as Docker's
   * archive of a path: links inside are archived as links, never followed.
   */
  async tar(path: string): Promise<Readable> {
    const { stack, name } = await this.walk(split(path), false).catch(notFound(path));
    const parent = stack[stack.length - 1];
    const base = name ?? '.';
    const at = name === undefined ? `/proc/self/fd/${parent.fd}` : `/proc/self/fd/${parent.fd}/${name}`;
    await lstat(at).catch(async (e) => {
      await this.release(stack);
      return notFound(path)(e);
    });
    const p = pack();
    void (async () => {
      try {
        await addEntry(p, at, name === undefined ? '.' : base);
        p.finalize();
      } catch (e) {
        p.destroy(e as Error);
      } finally {
        await this.release(stack);
      }
    })();
    return p as unknown as Readable;
  }

  /**
   * Unpack `tar` into the directory `path` (followed inside the root). Entry names are taken
   * relative to it and may not climb out (`..` is refused); a symlink met on an entry's way is
   * followed inside the root, never the host. `noOverwriteDirNonDir` refuses to replace a
   * directory by a non-directory and the other way round.
   */
  async untar(path: string, tar: Readable, o: { noOverwriteDirNonDir: boolean }): Promise<void> {
    const { stack: parentStack, name } = await this.walk(split(path), true).catch(notFound(path));
    let dest: FileHandle[];
    try {
      if (name === undefined) dest = parentStack;
      else {
        const at = `/proc/self/fd/${parentStack[parentStack.length - 1].fd}/${name}`;
        const st = await lstat(at).catch(notFound(path));
        if (!st.isDirectory()) throw new InvalidParameterError('extraction point is not a directory');
        dest = [...parentStack, await open(at, DIR)];
      }
    } catch (e) {
      await this.release(parentStack);
      throw e;
    }
    const ex = extract();
    const feeding = pipeline(tar, ex);
    feeding.catch(() => undefined);
    try {
      for await (const entry of ex) {
        await this.writeEntry(dest, entry.header, entry as unknown as Readable, o).catch((e) => {
          entry.resume();
          throw e;
        });
      }
      await feeding;
    } catch (e) {
      ex.destroy();
      if ((e as { kind?: string }).kind) throw e;
      throw new InvalidParameterError(`cannot extract the archive: ${(e as Error).message}`);
    } finally {
      await this.release(dest);
    }
  }

  private async writeEntry(dest: FileHandle[], h: Header, body: Readable, o: { noOverwriteDirNonDir: boolean }): Promise<void> {
    const parts = h.name.split('/').filter((x: string) => x !== '' && x !== '.');
    if (parts.some((x) => x === '..')) throw new InvalidParameterError(`archive entry ${JSON.stringify(h.name)} leaves the destination`);
    if (parts.length === 0) return void body.resume();
    // the way to the entry is made and followed inside the root, from a copy of the destination
    const start = [...dest];
    // (a reopen of the same directory through its fd's magic link, which has to be followed)
    const copies = await Promise.all(start.slice(1).map((d) => open(`/proc/self/fd/${d.fd}`, constants.O_RDONLY | constants.O_DIRECTORY)));
    const { stack, name } = await this.walk(parts, false, true, [this.rootFd, ...copies]);
    try {
      const at = `/proc/self/fd/${stack[stack.length - 1].fd}/${name!}`;
      const existing = await lstat(at).catch(() => undefined);
      const isDir = h.type === 'directory';
      if (existing && o.noOverwriteDirNonDir && existing.isDirectory() !== isDir) {
        throw new InvalidParameterError(isDir ? `cannot overwrite non-directory ${h.name} with directory` : `cannot overwrite directory ${h.name} with non-directory`);
      }
      if (existing && !(isDir && existing.isDirectory())) await rm(at, { recursive: existing.isDirectory(), force: true });
      const mode = (h.mode ?? 0o644) & 0o7777;
      // owner, mode and times go through a handle opened without following links: a path could
      // be swapped for a link to a host file by a process of the running container meanwhile
      const settle = async (fh: FileHandle) => {
        await fh.chown(h.uid ?? 0, h.gid ?? 0);
        await fh.chmod(mode);
        if (h.mtime) await fh.utimes(h.mtime, h.mtime);
      };
      switch (h.type) {
        case 'directory': {
          if (!existing?.isDirectory()) await mkdir(at, 0o700);
          body.resume();
          const fh = await open(at, DIR);
          try {
            await settle(fh);
          } finally {
            await fh.close();
          }
          break;
        }
        case 'file':
        case 'contiguous-file': {
          const fh = await open(at, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
          try {
            for await (const chunk of body) await fh.write(chunk as Buffer);
            await settle(fh);
          } finally {
            await fh.close();
          }
          break;
        }
        case 'symlink':
          await symlink(h.linkname ?? '', at);
          body.resume();
          await lchown(at, h.uid ?? 0, h.gid ?? 0);
          if (h.mtime) await lutimes(at, h.mtime, h.mtime);
          break;
        default:
          body.resume();
          throw new NotImplementedError(`archive entry ${JSON.stringify(h.name)}: ${h.type} entries are not supported by netd's copy into a container`);
      }
    } finally {
      await this.release(stack);
    }
  }
}

async function addEntry(p: ReturnType<typeof pack>, at: string, name: string): Promise<void> {
  const st = await lstat(at);
  const header = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
  if (st.isDirectory()) {
    p.entry({ ...header, name: `${name}/`, type: 'directory' });
    const dir = await open(at, DIR);
    try {
      for (const child of (await readdir(`/proc/self/fd/${dir.fd}`)).sort()) await addEntry(p, `/proc/self/fd/${dir.fd}/${child}`, `${name}/${child}`);
    } finally {
      await dir.close();
    }
  } else if (st.isSymbolicLink()) {
    p.entry({ ...header, type: 'symlink', linkname: await readlink(at) });
  } else if (st.isFile()) {
    const fh = await open(at, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    try {
      const size = (await fh.stat()).size;
      const sink = p.entry({ ...header, type: 'file', size });
      await pipeline(readExactly(fh, size), sink);
    } finally {
      await fh.close();
    }
  }
  // sockets, fifos and devices have no content to copy: left out
}

/** Exactly `size` bytes of an open file (a file that changes meanwhile is cut or padded, keeping the header's size true). */
async function* readExactly(fh: FileHandle, size: number): AsyncGenerator<Buffer> {
  let left = size;
  const buf = Buffer.alloc(64 * 1024);
  while (left > 0) {
    const { bytesRead } = await fh.read(buf, 0, Math.min(buf.length, left), size - left);
    if (bytesRead === 0) {
      yield Buffer.alloc(left);
      return;
    }
    left -= bytesRead;
    yield Buffer.from(buf.subarray(0, bytesRead));
  }
}

const split = (path: string) => path.split('/');

function notFound(path: string): (e: unknown) => never {
  return (e) => {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new NotFoundError(`Could not find the file ${path} in container`);
    if (code === 'ELOOP') throw new InvalidParameterError(`${path}: too many levels of symbolic links`);
    if (code === 'ESRCH' || code === 'EACCES') throw new ConflictError(`${path}: the container's root is gone`);
    throw e;
  };
}

/** Go's os.FileMode of a stat: permission bits with setuid/setgid/sticky and the type bits moved to Go's. */
export function goFileMode(st: Stats): number {
  let m = st.mode & 0o777;
  if (st.mode & 0o4000) m |= 1 << 23;
  if (st.mode & 0o2000) m |= 1 << 22;
  if (st.mode & 0o1000) m |= 1 << 20;
  if (st.isDirectory()) m |= 2 ** 31;
  else if (st.isSymbolicLink()) m |= 1 << 27;
  else if (st.isFIFO()) m |= 1 << 25;
  else if (st.isSocket()) m |= 1 << 24;
  else if (st.isCharacterDevice()) m |= (1 << 26) | (1 << 21);
  else if (st.isBlockDevice()) m |= 1 << 26;
  return m >>> 0;
}
