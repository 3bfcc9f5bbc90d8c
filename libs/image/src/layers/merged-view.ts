import type { Stats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { lgetxattr } from './native-fs';
import { OVERLAY_OPAQUE_XATTR } from './unpack-dir';

const MAX_LINKS = 40;

/** One entry of the merged view: where it lives on disk, and which layers make up a directory. */
export interface MergedEntry {
  readonly name: string;
  /** The entry's path in the topmost layer that has it. */
  readonly hostPath: string;
  readonly stat: Stats;
  /** For a directory: the layer indexes (topmost first) whose directories merge into it. */
  readonly layers: readonly number[];
  /** Path from the root of the view, without a leading `/`; symlinks in it resolved. */
  readonly rel: string;
}

const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await lstat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/**
 * An image's root as overlayfs would show it, read from its layer directories (topmost first)
 * without mounting anything: a 0/0 character device is a whiteout, the opaque xattr hides the
 * layers below a directory, and a non-directory hides everything below it. Symlinks are never
 * followed on the host: resolve() interprets them inside the view.
 */
export class MergedView {
  constructor(private readonly lowers: readonly string[]) {}

  private root(): MergedEntry {
    return { name: '', hostPath: this.lowers[0], stat: undefined as unknown as Stats, layers: this.lowers.map((_l, i) => i), rel: '' };
  }

  /** The child `name` of the merged directory `dir`, or undefined when it is missing or whited out. */
  async lookup(dir: MergedEntry, name: string): Promise<MergedEntry | undefined> {
    const rel = dir.rel === '' ? name : `${dir.rel}/${name}`;
    let first: MergedEntry | undefined;
    const layers: number[] = [];
    for (const i of dir.layers) {
      const p = join(this.lowers[i], rel);
      const st = await lstatOrUndefined(p);
      if (!st) continue;
      if (isWhiteout(st)) break;
      if (!first) first = { name, hostPath: p, stat: st, layers, rel };
      if (!st.isDirectory() || !first.stat.isDirectory()) break;
      layers.push(i);
      if (lgetxattr(p, OVERLAY_OPAQUE_XATTR) === 'y') break;
    }
    return first;
  }

  /** The merged directory's entries, whiteouts applied, in no particular order. */
  async list(dir: MergedEntry): Promise<MergedEntry[]> {
    const seen = new Set<string>();
    const out: MergedEntry[] = [];
    for (const i of dir.layers) {
      const p = join(this.lowers[i], dir.rel);
      let names: string[];
      try {
        names = await readdir(p);
      } catch {
        continue;
      }
      for (const name of names) {
        if (seen.has(name)) continue;
        seen.add(name);
        const e = await this.lookup(dir, name);
        if (e) out.push(e);
      }
      if (lgetxattr(p, OVERLAY_OPAQUE_XATTR) === 'y') break;
    }
    return out;
  }

  /**
   * `path` as a process in the container would find it: `..` and symlinks (absolute ones from
   * the image's root) resolved inside the view, never above its root. Undefined when it does
   * not resolve.
   */
  async resolve(path: string): Promise<MergedEntry | undefined> {
    const stack: MergedEntry[] = [this.root()];
    const todo = path.split('/').filter((p) => p !== '' && p !== '.');
    let links = 0;
    while (todo.length > 0) {
      const name = todo.shift()!;
      if (name === '..') {
        if (stack.length > 1) stack.pop();
        continue;
      }
      const cur = stack[stack.length - 1];
      if (cur !== stack[0] && !cur.stat.isDirectory()) return undefined;
      const e = await this.lookup(cur, name);
      if (!e) return undefined;
      if (e.stat.isSymbolicLink()) {
        if (++links > MAX_LINKS) return undefined;
        const target = await readlink(e.hostPath);
        if (target.startsWith('/')) stack.length = 1;
        todo.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
        continue;
      }
      stack.push(e);
    }
    const last = stack[stack.length - 1];
    return last === stack[0] ? { ...last, stat: await lstat(this.lowers[0]) } : last;
  }
}
