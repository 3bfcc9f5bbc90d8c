import { InvalidParameterError } from '@app/common';
import { constants } from 'node:fs';
import { lstat, open, readlink, type FileHandle } from 'node:fs/promises';

const MAX_LINKS = 40;

/**
 * Read `path` as the container sees it, with `root` (e.g. `/proc/<pid>/root`) as `/`: every
 * symlink and `..` is resolved inside the root, never on the host, one component at a time
 * from a directory handle already held (`/proc/self/fd/<n>/<name>`), and the final open
 * refuses a symlink; so a container that swaps a component for a symlink meanwhile gets a
 * failed read, not a host file. Undefined when the file is missing, is not a regular file, or
 * the path does not resolve. A file over `maxBytes` is refused.
 */
export async function readFileInRoot(root: string, path: string, maxBytes = 4 * 1024 * 1024): Promise<string | undefined> {
  const dirs: FileHandle[] = [];
  try {
    dirs.push(await open(root, constants.O_RDONLY | constants.O_DIRECTORY));
    const todo = path.split('/').filter((p) => p !== '' && p !== '.');
    let links = 0;
    while (todo.length > 0) {
      const name = todo.shift()!;
      if (name === '..') {
        if (dirs.length > 1) await dirs.pop()!.close();
        continue;
      }
      const at = `/proc/self/fd/${dirs[dirs.length - 1].fd}/${name}`;
      const st = await lstat(at);
      if (st.isSymbolicLink()) {
        if (++links > MAX_LINKS) return undefined;
        const target = await readlink(at);
        if (target.startsWith('/')) while (dirs.length > 1) await dirs.pop()!.close();
        todo.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
        continue;
      }
      if (todo.length > 0) {
        dirs.push(await open(at, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW));
        continue;
      }
      // O_NONBLOCK: a FIFO planted there must not hang the read
      const fh = await open(at, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      try {
        const fst = await fh.stat();
        if (!fst.isFile()) return undefined;
        if (fst.size > maxBytes) throw new InvalidParameterError(`${path} in the container is larger than ${maxBytes} bytes`);
        return await fh.readFile('utf8');
      } finally {
        await fh.close();
      }
    }
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ELOOP' || code === 'EACCES') return undefined;
    throw e;
  } finally {
    await Promise.all(dirs.map((d) => d.close().catch(() => undefined)));
  }
}
