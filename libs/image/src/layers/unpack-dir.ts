import { createWriteStream } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, rm, symlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Header } from 'tar-stream';
import { InvalidParameterError, NetdError, SystemError } from '@app/common';
import { safeEntryPath, walkLayer, type EntryMeaning } from './layer-tar';
import { lsetxattr, mknod } from './native-fs';

export const OVERLAY_OPAQUE_XATTR = 'trusted.overlay.opaque';

/**
 * Unpack one layer tar into `dir` (its own overlayfs lower directory) and return its diff id.
 * Whiteouts become 0/0 character devices, opaque markers the trusted.overlay.opaque xattr.
 * No entry is written outside `dir`: names that climb out, and paths through a symlink, are
 * InvalidParameterError (the caller removes the half-written directory).
 */
export interface UnpackOptions {
  /** Keep the tar's uid/gid (needs root); off for build contexts, which only need the content. */
  preserveOwners?: boolean;
  /**
   * A build context, not a layer: `.wh.` names are plain files (no whiteouts, no mknod) and
   * device nodes are refused, since a client must not create devices on the daemon's disk.
   */
  context?: boolean;
}

export async function unpackLayerToDir(source: AsyncIterable<Uint8Array>, dir: string, opts: UnpackOptions = {}): Promise<string> {
  const dirTimes: Array<[string, Date]> = [];
  await mkdir(dir, { recursive: true });
  const diffId = await walkLayer(source, async (header, meaning, body) => {
    if (opts.context) {
      if (header.type === 'character-device' || header.type === 'block-device') {
        throw new InvalidParameterError(`build context entry ${JSON.stringify(header.name)}: device nodes are not allowed in a build context`);
      }
      if (meaning.kind !== 'plain') meaning = { kind: 'plain', path: safeEntryPath(header.name) };
    }
    const target = await applyEntry(dir, header, meaning, body, opts.preserveOwners !== false).catch((e: unknown) => {
      throw fsError(e, header.name);
    });
    if (target && header.type === 'directory') dirTimes.push([target, header.mtime]);
  });
  // lutimes: a later entry may have replaced the directory with a symlink, which must not be followed
  for (const [path, mtime] of dirTimes.reverse()) await lutimes(path, mtime, mtime).catch(() => undefined);
  return diffId;
}

/** What the archive asked for cannot be done (a name clash, a link to a directory): the archive's fault. */
const ARCHIVE_ERRNOS = new Set(['ENOENT', 'EEXIST', 'ENOTDIR', 'EISDIR', 'EPERM', 'ENAMETOOLONG', 'ELOOP', 'EINVAL', 'ENOTEMPTY', 'EMLINK']);

function fsError(e: unknown, name: string): unknown {
  if (e instanceof NetdError && e.kind !== 'system') return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  const errno = e instanceof SystemError ? /errno (\d+)/.exec(e.message)?.[1] : undefined;
  if ((code && ARCHIVE_ERRNOS.has(code)) || errno === '17' || errno === '2') {
    return new InvalidParameterError(`tar entry ${JSON.stringify(name)}: cannot be written (${code ?? `errno ${errno}`})`, { cause: e });
  }
  return e;
}

async function applyEntry(root: string, h: Header, m: EntryMeaning, body: Readable, owners: boolean): Promise<string | undefined> {
  if (m.kind === 'meta') return undefined;
  if (m.kind === 'opaque') {
    const d = await ensureParents(root, m.dir ? `${m.dir}/x` : 'x');
    lsetxattr(d, OVERLAY_OPAQUE_XATTR, 'y');
    return undefined;
  }
  if (m.kind === 'whiteout') {
    await ensureParents(root, m.path);
    const target = join(root, m.path);
    await removeExisting(target);
    mknod(target, 'char', 0, 0, 0);
    return undefined;
  }
  if (m.path === '') return undefined;
  await ensureParents(root, m.path);
  const target = join(root, m.path);
  const mode = h.mode & 0o7777;
  if (h.type === 'directory') {
    const st = await lstat(target).catch(() => undefined);
    if (st && !st.isDirectory()) await removeExisting(target);
    if (!st || !st.isDirectory()) await mkdir(target);
  } else {
    await removeExisting(target);
    switch (h.type) {
      case 'file':
      case 'contiguous-file':
        await writeFileFrom(body, target, mode);
        break;
      case 'symlink':
        await symlink(h.linkname, target);
        break;
      case 'link': {
        // link(2) does not follow a symlink at the source, but the source's directories must not be symlinks either
        const src = safeEntryPath(h.linkname);
        await checkParents(root, src);
        await link(join(root, src), target);
        break;
      }
      case 'character-device':
      case 'block-device':
        mknod(target, h.type === 'character-device' ? 'char' : 'block', mode, h.devmajor, h.devminor);
        break;
      case 'fifo':
        mknod(target, 'fifo', mode);
        break;
      default:
        throw new InvalidParameterError(`unsupported tar entry type ${String(h.type)} for ${h.name}`);
    }
  }
  if (h.type === 'link') return target;
  if (owners) await lchown(target, h.uid, h.gid);
  if (h.type !== 'symlink') await chmod(target, mode);
  if (h.type !== 'directory') await lutimes(target, h.mtime, h.mtime);
  return target;
}

/** Create missing parent directories of `rel`; refuse to go through a symlink or a non-directory. */
async function ensureParents(root: string, rel: string): Promise<string> {
  let cur = root;
  const parts = posix.dirname(rel).split('/').filter((p) => p !== '' && p !== '.');
  for (const part of parts) {
    cur = join(cur, part);
    const st = await lstat(cur).catch(() => undefined);
    if (!st) await mkdir(cur, { mode: 0o755 });
    else if (st.isSymbolicLink()) {
      throw new InvalidParameterError(`tar entry ${JSON.stringify(rel)} goes through a symlink (${part}): refused`);
    } else if (!st.isDirectory()) {
      throw new InvalidParameterError(`tar entry ${JSON.stringify(rel)}: ${part} is not a directory`);
    }
  }
  return cur;
}

/**
 * Write an entry's content. On a failure, wait until the file is closed: pipeline rejects at the
 * first error while the open may still be in flight, and a caller removing the directory then
 * races a file that appears afterwards.
 */
async function writeFileFrom(body: Readable, target: string, mode: number): Promise<void> {
  const out = createWriteStream(target, { mode, flags: 'wx' });
  try {
    await pipeline(body, out);
  } catch (e) {
    if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
    throw e;
  }
}

/** Refuse a path whose directories are missing, symlinks or not directories (nothing is created). */
async function checkParents(root: string, rel: string): Promise<void> {
  let cur = root;
  for (const part of posix.dirname(rel).split('/').filter((p) => p !== '' && p !== '.')) {
    cur = join(cur, part);
    const st = await lstat(cur).catch(() => undefined);
    if (!st?.isDirectory()) throw new InvalidParameterError(`tar entry ${JSON.stringify(rel)}: ${part} is not a directory`);
  }
}

async function removeExisting(path: string): Promise<void> {
  await rm(path, { recursive: true, force: true });
}
