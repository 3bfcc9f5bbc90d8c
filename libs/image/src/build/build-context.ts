import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, open, readdir, readlink, realpath } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { DockerIgnore, InvalidParameterError, NotImplementedError } from '@app/common';
import type { LayerFile } from '../layers/layer-writer';
import { walkLayer } from '../layers/layer-tar';
import { followInScope, readContextFile } from './context-path';

/** Limits for the files read whole into memory (Docker has none; a hostile context must not exhaust the daemon). */
const MAX_DOCKERIGNORE_BYTES = 1024 * 1024;
export const MAX_DOCKERFILE_BYTES = 4 * 1024 * 1024;
/** What an ADD of a local archive may unpack to: its entries are held in memory until the layer is packed. */
const MAX_ADD_ARCHIVE_BYTES = 256 * 1024 * 1024;

export interface CopyOptions {
  uid?: number;
  gid?: number;
  mode?: number;
  /** ADD: unpack local tar archives into the destination. */
  extractArchives?: boolean;
  /** What an ADDed archive may unpack to (default MAX_ADD_ARCHIVE_BYTES). */
  maxArchiveBytes?: number;
}

/** The build context directory with its `.dockerignore`: where COPY and ADD read from. */
export class BuildContext {
  private constructor(
    readonly dir: string,
    private readonly ignore: DockerIgnore,
  ) {}

  static async open(dir: string): Promise<BuildContext> {
    const real = await realpath(dir).catch(() => {
      throw new InvalidParameterError(`build context ${dir} not found`);
    });
    const ignore = (await readContextFile(real, '.dockerignore', MAX_DOCKERIGNORE_BYTES, '.dockerignore'))?.toString('utf8') ?? '';
    return new BuildContext(real, new DockerIgnore(ignore));
  }

  /** A file of the context (the Dockerfile), symlinks resolved inside the context; undefined if missing. */
  readFile(rel: string, limit: number, what: string): Promise<Buffer | undefined> {
    return readContextFile(this.dir, rel, limit, what);
  }

  /** The host path of a context path, every symlink on the way (the last too) resolved inside the context. */
  private async hostPath(rel: string): Promise<string> {
    return join(this.dir, await followInScope(this.dir, rel));
  }

  /** Context-relative paths (files, dirs, links) a source pattern names, ignored ones left out. */
  async resolve(source: string, line: number): Promise<string[]> {
    if (/^[a-z]+:\/\//i.test(source)) throw new NotImplementedError(`line ${line}: remote sources (${source}) are not supported`);
    const rel = posix.normalize(source.replace(/^\/+/, '') || '.');
    if (rel === '..' || rel.startsWith('../')) {
      throw new InvalidParameterError(`line ${line}: COPY/ADD source ${source} is outside the build context`);
    }
    if (!/[*?[]/.test(rel)) {
      const st = await lstat(await this.hostPath(rel)).catch(() => undefined);
      if (!st || (rel !== '.' && this.ignore.ignores(rel))) {
        throw new InvalidParameterError(`line ${line}: failed to compute cache key: "/${rel}": not found`);
      }
      return [rel];
    }
    const all = (await this.walk('.', this.dir)).map((e) => e.rel);
    const re = new RegExp(`^${rel.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
    const hits = all.filter((p) => re.test(p));
    if (hits.length === 0) throw new InvalidParameterError(`line ${line}: no source files were specified`);
    return hits;
  }

  /**
   * All non-ignored paths under the context path `rel` (itself excluded), parents before
   * children, each with its host path under `host` (where `rel` resolved to). Symlinks met on
   * the way are entries, never followed.
   */
  private async walk(rel: string, host: string): Promise<Array<{ rel: string; host: string }>> {
    const out: Array<{ rel: string; host: string }> = [];
    for (const name of (await readdir(host)).sort()) {
      const p = rel === '.' ? name : `${rel}/${name}`;
      if (this.ignore.ignores(p)) continue;
      out.push({ rel: p, host: join(host, name) });
      if ((await lstat(join(host, name))).isDirectory()) out.push(...(await this.walk(p, join(host, name))));
    }
    return out;
  }

  /**
   * The layer entries that copy `sources` to `dest` (absolute, in the image), plus a content hash
   * for the cache key. A directory source copies its contents; several sources need a dir dest.
   */
  async copy(sources: readonly string[], dest: string, line: number, opts: CopyOptions = {}): Promise<{ files: LayerFile[]; hash: string }> {
    const hash = createHash('sha256');
    const files: LayerFile[] = [];
    const destIsDir = dest.endsWith('/') || sources.length > 1;
    const destRel = posix.normalize(dest).replace(/^\/+/, '').replace(/\/+$/, '');
    const owner = { uid: opts.uid ?? 0, gid: opts.gid ?? 0 };
    const addParents = (p: string) => {
      const parts = p.split('/').slice(0, -1);
      for (let n = 1; n <= parts.length; n++) {
        const d = parts.slice(0, n).join('/');
        if (!files.some((f) => f.path === d)) files.push({ path: d, type: 'directory', mode: 0o755 });
      }
    };
    for (const src of sources) {
      // A source that is a symlink is followed (in scope), as Docker does; links inside a copied directory stay links.
      const abs = await this.hostPath(src);
      const st = await lstat(abs).catch(() => undefined);
      if (!st) throw new InvalidParameterError(`line ${line}: failed to compute cache key: "/${src}": not found`);
      if (st.isDirectory()) {
        const children = await this.walk(src === '.' ? '.' : src, abs);
        if (destRel) {
          addParents(`${destRel}/x`);
          files.push({ path: destRel, type: 'directory', mode: 0o755, ...owner });
        }
        for (const c of children) {
          const inner = src === '.' ? c.rel : c.rel.slice(src.length + 1);
          await this.addEntry(files, hash, c.host, c.rel, destRel ? `${destRel}/${inner}` : inner, owner, opts.mode);
        }
      } else if (opts.extractArchives && st.isFile() && (await isArchive(abs))) {
        if (destRel) {
          addParents(`${destRel}/x`);
          files.push({ path: destRel, type: 'directory', mode: 0o755 });
        }
        hash.update(`archive ${src}\0`);
        await extractInto(abs, src, destRel, files, hash, opts.maxArchiveBytes ?? MAX_ADD_ARCHIVE_BYTES);
      } else {
        const target = destIsDir || !destRel ? posix.join(destRel, posix.basename(src)) : destRel;
        addParents(target);
        await this.addEntry(files, hash, abs, src, target, owner, opts.mode);
      }
    }
    return { files, hash: hash.digest('hex') };
  }

  /** `abs` is the host path of context path `src`, already resolved inside the context. */
  private async addEntry(files: LayerFile[], hash: ReturnType<typeof createHash>, abs: string, src: string, target: string, owner: { uid: number; gid: number }, mode?: number) {
    const st = await lstat(abs);
    const perm = mode ?? st.mode & 0o7777;
    hash.update(`${target}\0${perm}\0${owner.uid}:${owner.gid}\0`);
    if (st.isDirectory()) {
      files.push({ path: target, type: 'directory', mode: perm, ...owner });
    } else if (st.isSymbolicLink()) {
      const linkname = await readlink(abs);
      hash.update(`-> ${linkname}\0`);
      files.push({ path: target, type: 'symlink', linkname, ...owner });
    } else if (st.isFile()) {
      for await (const c of createReadStream(abs)) hash.update(c as Buffer);
      files.push({ path: target, type: 'file', mode: perm, data: { fromFile: abs, size: st.size }, ...owner });
    } else {
      throw new InvalidParameterError(`cannot copy ${src}: not a regular file, directory or symlink`);
    }
  }
}

async function isArchive(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(512);
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    return (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) || head.subarray(257, 262).toString() === 'ustar';
  } finally {
    await fh.close();
  }
}

/** ADD of a local tar: its entries, re-rooted under `destRel` (safe paths only). */
async function extractInto(path: string, src: string, destRel: string, files: LayerFile[], hash: ReturnType<typeof createHash>, limit: number): Promise<void> {
  let total = 0;
  await walkLayer(createReadStream(path), async (h, m, body) => {
    if (m.kind !== 'plain' || m.path === '') return;
    const target = destRel ? `${destRel}/${m.path}` : m.path;
    const chunks: Buffer[] = [];
    for await (const c of body) {
      total += (c as Buffer).length;
      if (total > limit) throw new InvalidParameterError(`ADD ${src}: the archive unpacks to more than ${limit} bytes`);
      chunks.push(c as Buffer);
    }
    const data = Buffer.concat(chunks);
    hash.update(data);
    const type = h.type === 'directory' || h.type === 'symlink' || h.type === 'link' ? h.type : 'file';
    files.push({
      path: target, type, mode: h.mode & 0o7777, uid: h.uid, gid: h.gid, mtime: h.mtime,
      ...(type === 'file' ? { data } : {}),
      ...(type === 'symlink' ? { linkname: h.linkname } : {}),
      ...(type === 'link' ? { linkname: destRel ? `${destRel}/${h.linkname.replace(/^\/+/, '')}` : h.linkname } : {}),
    });
  });
}
