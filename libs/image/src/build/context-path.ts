import { constants } from 'node:fs';
import { lstat, open, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidParameterError } from '@app/common';

/** Linux's limit on symlinks followed in one lookup (Docker's FollowSymlinkInScope uses 255). */
const MAX_LINKS = 255;

/**
 * A context-relative path with its symlinks resolved inside `root`, the way Docker's
 * FollowSymlinkInScope does: the context root is `/` for every link (absolute targets start
 * there, `..` stops there), so the result never names anything outside `root`. Missing
 * components are kept as they are; `followFinal: false` leaves a symlink at the end unresolved.
 * Returns '' for the root itself, never a leading '/' or a `..`.
 */
export async function followInScope(root: string, path: string, opts: { followFinal?: boolean } = {}): Promise<string> {
  const out: string[] = [];
  let pending = path.split('/');
  let links = 0;
  while (pending.length > 0) {
    const c = pending.shift() as string;
    if (c === '' || c === '.') continue;
    if (c === '..') {
      out.pop();
      continue;
    }
    out.push(c);
    if (pending.every((p) => p === '' || p === '.') && opts.followFinal === false) break;
    const st = await lstat(join(root, ...out)).catch(() => undefined);
    if (!st?.isSymbolicLink()) continue;
    if (++links > MAX_LINKS) throw new InvalidParameterError(`${path}: too many levels of symbolic links`);
    const target = await readlink(join(root, ...out));
    out.pop();
    if (target.startsWith('/')) out.length = 0;
    pending = [...target.split('/'), ...pending];
  }
  return out.join('/');
}

/**
 * Read a regular file of the context named by `path` (symlinks followed in scope), at most
 * `limit` bytes. Undefined when it does not exist; InvalidParameterError when it is not a regular
 * file (a fifo would block the build for ever) or is larger than `limit`.
 */
export async function readContextFile(root: string, path: string, limit: number, what: string): Promise<Buffer | undefined> {
  const rel = await followInScope(root, path);
  const host = join(root, rel);
  const st = await lstat(host).catch(() => undefined);
  if (!st) return undefined;
  if (!st.isFile()) throw new InvalidParameterError(`${what} ${path} is not a regular file`);
  if (st.size > limit) throw new InvalidParameterError(`${what} ${path} is larger than ${limit} bytes`);
  const fh = await open(host, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const buf = Buffer.alloc(st.size);
    const { bytesRead } = await fh.read(buf, 0, st.size, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
