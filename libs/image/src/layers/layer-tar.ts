import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract, type Header } from 'tar-stream';
import { InvalidParameterError } from '@app/common';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';

/** What one tar entry name means in an OCI layer (image-spec layer.md, "Whiteouts"). */
export type EntryMeaning =
  | { kind: 'plain'; path: string }
  /** `dir/.wh.name`: `dir/name` is deleted from lower layers. */
  | { kind: 'whiteout'; path: string }
  /** `dir/.wh..wh..opq`: the lower layers' contents of `dir` are hidden. */
  | { kind: 'opaque'; dir: string }
  /** Other `.wh..wh.*` entries (aufs metadata): ignored, as Docker does. */
  | { kind: 'meta' };

/**
 * Normalise a tar entry name to a path relative to the layer root ('' is the root). Leading '/'
 * and './' are dropped; a name that climbs out of the root is InvalidParameterError.
 */
export function safeEntryPath(name: string): string {
  const norm = posix.normalize(name.replace(/^\/+/, '') || '.').replace(/\/+$/, '');
  if (norm === '..' || norm.startsWith('../')) {
    throw new InvalidParameterError(`tar entry ${JSON.stringify(name)} points outside the layer root`);
  }
  return norm === '.' ? '' : norm;
}

export function classifyEntry(name: string): EntryMeaning {
  const path = safeEntryPath(name);
  const base = posix.basename(path);
  const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
  if (base === OPAQUE_WHITEOUT) return { kind: 'opaque', dir };
  if (base.startsWith(`${WHITEOUT_PREFIX}${WHITEOUT_PREFIX}`)) return { kind: 'meta' };
  if (base.startsWith(WHITEOUT_PREFIX)) {
    const target = base.slice(WHITEOUT_PREFIX.length);
    if (target === '' || target === '.' || target === '..') {
      throw new InvalidParameterError(`invalid whiteout entry ${JSON.stringify(name)}`);
    }
    return { kind: 'whiteout', path: dir ? `${dir}/${target}` : target };
  }
  return { kind: 'plain', path };
}

/** A readable of the uncompressed tar: gzip is detected by its magic bytes. */
export function decompressed(source: AsyncIterable<Uint8Array>): Readable {
  return Readable.from(
    (async function* () {
      const it = source[Symbol.asyncIterator]();
      const first = await it.next();
      if (first.done) return;
      const head = Buffer.from(first.value);
      const all = (async function* () {
        yield head;
        for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
      })();
      if (head[0] === 0x1f && head[1] === 0x8b) {
        const gz = createGunzip();
        const done = pipeline(Readable.from(all), gz).catch((e: unknown) => gz.destroy(e as Error));
        yield* gz;
        await done;
      } else {
        yield* all;
      }
    })(),
    { objectMode: false },
  );
}

export type EntryHandler = (header: Header, meaning: EntryMeaning, body: Readable) => Promise<void>;

/**
 * Walk a (possibly gzipped) layer tar, calling `onEntry` for each entry in order, and return the
 * sha256 of the uncompressed tar (the layer's diff id). The handler must consume or ignore `body`.
 */
export async function walkLayer(source: AsyncIterable<Uint8Array>, onEntry: EntryHandler): Promise<string> {
  const hash = createHash('sha256');
  const tee = new PassThrough();
  tee.on('data', (chunk: Buffer) => hash.update(chunk));
  const ex = extract();
  const feeding = pipeline(decompressed(source), tee, ex);
  feeding.catch(() => undefined);
  for await (const entry of ex) {
    try {
      await onEntry(entry.header, classifyEntry(entry.header.name), entry as unknown as Readable);
    } finally {
      entry.resume();
    }
  }
  await feeding;
  return `sha256:${hash.digest('hex')}`;
}
