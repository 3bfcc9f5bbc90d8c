import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract, type Header } from 'tar-stream';
import { InvalidParameterError, NetdError } from '@app/common';

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';

/** Linux NAME_MAX and PATH_MAX: longer names cannot be written, so they are refused on reading. */
const NAME_MAX = 255;
const PATH_MAX = 4095;

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
 * and './' are dropped; a name that climbs out of the root, has a NUL byte or a component or
 * path longer than Linux can write is InvalidParameterError.
 */
export function safeEntryPath(name: string): string {
  if (name.includes('\0')) throw new InvalidParameterError(`tar entry ${JSON.stringify(name)}: NUL byte in name`);
  const norm = posix.normalize(name.replace(/^\/+/, '') || '.').replace(/\/+$/, '');
  if (norm === '..' || norm.startsWith('../')) {
    throw new InvalidParameterError(`tar entry ${JSON.stringify(name)} points outside the layer root`);
  }
  if (Buffer.byteLength(norm) > PATH_MAX || norm.split('/').some((c) => Buffer.byteLength(c) > NAME_MAX)) {
    throw new InvalidParameterError(`tar entry ${JSON.stringify(name.slice(0, 64))}…: file name too long`);
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

/** Errors of the stream a tar is read from (a client gone, a registry cut): passed on as they are. */
const sourceErrors = new WeakSet<object>();

async function* tagged(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  for (;;) {
    let n: IteratorResult<Uint8Array>;
    try {
      n = await it.next();
    } catch (e) {
      if (typeof e === 'object' && e !== null) sourceErrors.add(e);
      throw e;
    }
    if (n.done) return;
    yield n.value;
  }
}

/** A readable of the uncompressed tar: gzip is detected by its magic bytes. */
export function decompressed(source: AsyncIterable<Uint8Array>): Readable {
  return Readable.from(
    (async function* () {
      const it = tagged(source);
      const first = await it.next();
      if (first.done) return;
      const head = Buffer.from(first.value);
      const all = (async function* () {
        yield head;
        yield* it;
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

/**
 * The error a caller sees for a malformed tar or gzip stream: InvalidParameterError with Go's
 * wording (what Docker answers), never the parser's own Error. NetdErrors and errors of the
 * source stream pass through.
 */
export function tarError(e: unknown): unknown {
  if (e instanceof NetdError || (typeof e === 'object' && e !== null && sourceErrors.has(e))) return e;
  const err = e as NodeJS.ErrnoException;
  const msg = String(err?.message ?? e);
  let text: string;
  if (/Unexpected end of data|unexpected end of file/i.test(msg) || err?.code === 'Z_BUF_ERROR') text = 'unexpected EOF';
  else if (/Header exceeds max size/.test(msg)) text = 'archive/tar: header exceeds the 4 MiB limit';
  else if (/Invalid tar header|Invalid header/.test(msg)) text = 'archive/tar: invalid tar header';
  else if (typeof err?.code === 'string' && err.code.startsWith('Z_')) text = `gzip: invalid data (${msg})`;
  else if (err?.code === 'ERR_STREAM_PREMATURE_CLOSE') text = 'unexpected EOF';
  else return e;
  return new InvalidParameterError(text, { cause: e });
}

export type TarEntryHandler = (header: Header, body: Readable) => Promise<void>;

/**
 * Walk a (possibly gzipped) tar, calling `onEntry` for each entry in order, and return the sha256
 * of the uncompressed tar. `body` is a Node stream that fails when the tar does (a truncated
 * entry must not leave a consumer waiting); what the handler leaves unread is drained.
 */
export async function walkTar(source: AsyncIterable<Uint8Array>, onEntry: TarEntryHandler): Promise<string> {
  const hash = createHash('sha256');
  const tee = new PassThrough();
  tee.on('data', (chunk: Buffer) => hash.update(chunk));
  const ex = extract();
  const feeding = pipeline(decompressed(source), tee, ex);
  feeding.catch(() => undefined);
  try {
    for await (const entry of ex) {
      // tar-stream never ends the stream of a directory that claims a size (Go ignores that size):
      // header-only entries get an empty body instead, so no reader waits on them
      const headerOnly = entry.header.type === 'directory' || entry.header.size === 0;
      const body = headerOnly ? Readable.from([]) : Readable.from(entry as AsyncIterable<Buffer>, { objectMode: false });
      if (headerOnly) entry.resume();
      let failed = false;
      try {
        await onEntry(entry.header, body);
      } catch (e) {
        failed = true;
        throw e;
      } finally {
        // after a refusal the rest of the entry is not worth reading (it may be gigabytes)
        if (!headerOnly && !body.destroyed && failed) body.destroy();
        else if (!headerOnly && !body.destroyed) {
          body.resume();
          await finished(body).catch(() => undefined);
        }
      }
    }
    await feeding;
  } catch (e) {
    throw tarError(e);
  }
  return `sha256:${hash.digest('hex')}`;
}

export type EntryHandler = (header: Header, meaning: EntryMeaning, body: Readable) => Promise<void>;

const ENTRY_TYPES = new Set(['file', 'contiguous-file', 'directory', 'symlink', 'link', 'character-device', 'block-device', 'fifo']);

/**
 * Walk a layer tar (see walkTar) and return its diff id. Every entry is checked before the
 * handler sees it, so a layer that passes can be unpacked: a safe name, a known type, a link
 * name without NUL, a hard link to a non-directory earlier in the same layer (Docker's rule:
 * the target is looked up in the layer being extracted).
 */
export async function walkLayer(source: AsyncIterable<Uint8Array>, onEntry: EntryHandler): Promise<string> {
  const kinds = new Map<string, string>();
  return walkTar(source, async (h, body) => {
    const meaning = classifyEntry(h.name);
    if (!h.type || !ENTRY_TYPES.has(h.type)) {
      throw new InvalidParameterError(`unhandled tar header type ${h.type ?? 'unknown'} for ${JSON.stringify(h.name)}`);
    }
    if (h.linkname?.includes('\0')) throw new InvalidParameterError(`tar entry ${JSON.stringify(h.name)}: NUL byte in link name`);
    if (h.type === 'symlink' && !h.linkname) throw new InvalidParameterError(`tar entry ${JSON.stringify(h.name)}: symlink without a target`);
    if (meaning.kind === 'plain') {
      if (h.type === 'link') {
        const target = safeEntryPath(h.linkname ?? '');
        const kind = kinds.get(target);
        if (kind === undefined || kind === 'directory') {
          throw new InvalidParameterError(`invalid hardlink ${JSON.stringify(h.name)} -> ${JSON.stringify(h.linkname ?? '')}: no such file in the layer`);
        }
        kinds.set(meaning.path, kind);
      } else {
        kinds.set(meaning.path, h.type);
      }
    }
    await onEntry(h, meaning, body);
  });
}
