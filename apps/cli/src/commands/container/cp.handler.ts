import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, readlink, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join, posix, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, pack, type Header } from 'tar-stream';
import type { Handler } from '../../command';
import { UsageError } from '../../client/errors';
import { EXIT_USAGE } from '../../context';

const GO_DIR = 2 ** 31;

/** docker's splitCpArg: `container:path`, unless the argument is a local path (absolute, or starting with `.`). */
export function splitCpArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const i = arg.indexOf(':');
  return i <= 0 ? { path: arg } : { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

/** The tar entry `name` with its first component (`from`) renamed to `to` (docker's rebase). */
const rebase = (name: string, from: string, to: string) => (from === to ? name : name === from || name.startsWith(`${from}/`) ? to + name.slice(from.length) : name);

/**
 * Pack a host path: directories recursively, links as links (never followed), entries named
 * from `as`.
 */
async function packHost(src: string, as: string): Promise<Readable> {
  const p = pack();
  const add = async (path: string, name: string): Promise<void> => {
    const st = await lstat(path);
    const h = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    if (st.isDirectory()) {
      p.entry({ ...h, name: `${name}/`, type: 'directory' });
      for (const c of (await readdir(path)).sort()) await add(join(path, c), `${name}/${c}`);
    } else if (st.isSymbolicLink()) p.entry({ ...h, type: 'symlink', linkname: await readlink(path) });
    else if (st.isFile()) {
      const fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
      try {
        await pipeline(fh.createReadStream({ autoClose: false }), p.entry({ ...h, type: 'file', size: st.size }));
      } finally {
        await fh.close();
      }
    }
  };
  void add(src, as).then(() => p.finalize(), (e: Error) => p.destroy(e));
  return p as unknown as Readable;
}

/**
 * Unpack a tar from a container under the host directory `dest`: names may not climb out, and no
 * entry is written through a link (one met on the way is refused; one at the entry is replaced).
 */
async function unpackHost(tar: AsyncIterable<Uint8Array>, dest: string, rename: (name: string) => string): Promise<void> {
  const ex = extract();
  const feeding = pipeline(Readable.from(tar), ex);
  feeding.catch(() => undefined);
  for await (const e of ex) {
    const h: Header = e.header;
    const parts = rename(h.name).split('/').filter((x) => x !== '' && x !== '.');
    if (parts.includes('..')) throw new UsageError(`Error: invalid tar entry ${JSON.stringify(h.name)}`, 1);
    let at = dest;
    for (const part of parts.slice(0, -1)) {
      at = join(at, part);
      const st = await lstat(at).catch(() => undefined);
      if (!st) await mkdir(at);
      else if (!st.isDirectory()) throw new UsageError(`Error: ${at} is not a directory (a link is never written through)`, 1);
    }
    if (parts.length === 0) {
      e.resume();
      continue;
    }
    at = join(at, parts[parts.length - 1]);
    const existing = await lstat(at).catch(() => undefined);
    if (existing && !(existing.isDirectory() && h.type === 'directory')) await rm(at, { recursive: true, force: true });
    if (h.type === 'directory') {
      if (!existing?.isDirectory()) await mkdir(at, (h.mode ?? 0o755) & 0o7777);
      e.resume();
    } else if (h.type === 'symlink') {
      await symlink(h.linkname ?? '', at);
      e.resume();
    } else if (h.type === 'file') {
      const fh = await open(at, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, (h.mode ?? 0o644) & 0o7777);
      try {
        for await (const c of e) await fh.write(c as Buffer);
      } finally {
        await fh.close();
      }
    } else e.resume();
  }
  await feeding;
}

/** `docker cp`: between a container (`name:path`) and the host, or a tar on stdin/stdout (`-`). */
export const cpHandler: Handler<Record<string, never>> = async ({ args }, { client, stdio }) => {
  const [from, to] = args.map(splitCpArg);
  if ((from.container === undefined) === (to.container === undefined)) throw new UsageError('Error: must specify at least one container source', EXIT_USAGE);
  if (from.container !== undefined) {
    const stat = await client.statContainerPath(from.container, from.path);
    const tar = await client.getArchive(from.container, from.path);
    if (to.path === '-') {
      for await (const c of tar) await stdio.writeOut(c);
      return;
    }
    const dest = resolve(to.path);
    const there = await lstat(dest).catch(() => undefined);
    const srcIsDir = (stat.mode & GO_DIR) !== 0;
    if (there?.isDirectory()) return unpackHost(tar, dest, (n) => n);
    if (there && srcIsDir) throw new UsageError(`Error: cannot copy a directory to a file: ${to.path}`, 1);
    return unpackHost(tar, dirname(dest), (n) => rebase(n, stat.name, basename(dest)));
  }
  const container = to.container!;
  if (from.path === '-') return client.putArchive(container, to.path, stdio.stdin);
  const src = resolve(from.path);
  const srcStat = await lstat(src).catch(() => undefined);
  if (!srcStat) throw new UsageError(`Error: lstat ${src}: no such file or directory`, 1);
  const there = await client.statContainerPath(container, to.path).catch((e: { status?: number }) => {
    if (e.status === 404) return undefined;
    throw e;
  });
  if (there && (there.mode & GO_DIR) !== 0) return client.putArchive(container, to.path, await packHost(src, basename(src)));
  if (there && srcStat.isDirectory()) throw new UsageError(`Error: cannot copy a directory to a file: ${to.path}`, 1);
  const parent = posix.dirname(posix.join('/', to.path));
  return client.putArchive(container, parent, await packHost(src, posix.basename(to.path)));
};
