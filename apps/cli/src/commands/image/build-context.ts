import { DockerIgnore } from '@app/common';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UsageError } from '../../client/errors';

export interface BuildContext {
  tar: AsyncIterable<Uint8Array>;
  /** The Dockerfile's name inside the context, for the `dockerfile` query parameter. */
  dockerfile: string;
}

/**
 * Packs a context directory as docker's legacy builder client does: .dockerignore applied,
 * except that the Dockerfile and .dockerignore are always sent; a Dockerfile outside the
 * context is added under a random name. Symlinks are sent as links, never followed.
 */
export async function packContext(dir: string, dockerfileFlag: string | undefined): Promise<BuildContext> {
  const root = resolve(dir);
  if (!existsSync(root) || !lstatSync(root).isDirectory()) throw new UsageError(`unable to prepare context: path "${dir}" not found`);
  const ignorePath = join(root, '.dockerignore');
  const rules = new DockerIgnore(existsSync(ignorePath) ? readFileSync(ignorePath, 'utf8') : '');
  const dfPath = dockerfileFlag ? (isAbsolute(dockerfileFlag) ? dockerfileFlag : resolve(dockerfileFlag)) : join(root, 'Dockerfile');
  if (!existsSync(dfPath)) throw new UsageError(`unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${dfPath}: no such file or directory`);
  const rel = relative(root, dfPath);
  const inside = !rel.startsWith('..') && !isAbsolute(rel);
  const dockerfile = inside ? rel.split(sep).join('/') : `.dockerfile.${randomBytes(10).toString('hex')}`;
  const keep = new Set([dockerfile, '.dockerignore']);

  const { pack } = await import('tar-stream');
  const tar = pack();
  const add = (name: string, full: string) =>
    new Promise<void>((ok, fail) => {
      const st = lstatSync(full);
      const header = { name, mode: st.mode & 0o7777, mtime: st.mtime, uid: 0, gid: 0 };
      if (st.isDirectory()) tar.entry({ ...header, type: 'directory' }, (e) => (e ? fail(e) : ok()));
      else if (st.isSymbolicLink()) tar.entry({ ...header, type: 'symlink', linkname: readlinkSync(full) }, (e) => (e ? fail(e) : ok()));
      else if (st.isFile()) {
        const entry = tar.entry({ ...header, size: st.size }, (e) => (e ? fail(e) : ok()));
        createReadStream(full).on('error', fail).pipe(entry);
      } else ok();
    });
  const walk = async (sub: string): Promise<void> => {
    for (const name of readdirSync(join(root, sub)).sort()) {
      const path = sub ? `${sub}/${name}` : name;
      const full = join(root, path);
      const ignored = !keep.has(path) && rules.ignores(path);
      const isDir = lstatSync(full).isDirectory();
      if (ignored && !(isDir && rules.hasExceptions)) continue;
      if (!ignored) await add(path, full);
      if (isDir) await walk(path);
    }
  };
  void (async () => {
    try {
      await walk('');
      if (!inside) await add(dockerfile, dfPath);
      tar.finalize();
    } catch (e) {
      tar.destroy(e as Error);
    }
  })();
  return { tar: tar as unknown as AsyncIterable<Uint8Array>, dockerfile };
}

/** `build -`: stdin is a tar context when it looks like one, otherwise a lone Dockerfile. */
export async function contextFromStdin(stdin: AsyncIterable<Uint8Array>): Promise<BuildContext> {
  const chunks: Buffer[] = [];
  for await (const c of stdin) chunks.push(Buffer.from(c));
  const data = Buffer.concat(chunks);
  const { pack } = await import('tar-stream');
  const { Readable } = await import('node:stream');
  if (data.length >= 262 && data.subarray(257, 262).toString() === 'ustar') return { tar: Readable.from([data]), dockerfile: 'Dockerfile' };
  const tar = pack();
  tar.entry({ name: 'Dockerfile', mode: 0o644 }, data);
  tar.finalize();
  return { tar: tar as unknown as AsyncIterable<Uint8Array>, dockerfile: 'Dockerfile' };
}
