import { createReadStream } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { sha256 } from '../oci';

/** One entry of a layer netd writes (build steps, import, the busybox helper). */
export interface LayerFile {
  /** Path inside the image, relative, '/'-separated; directories first. */
  path: string;
  type: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'block-device' | 'fifo';
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: Date;
  /** File content, or the host path to read it from. */
  data?: Uint8Array | { fromFile: string; size: number };
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

export interface PackedLayer {
  /** The uncompressed tar. */
  tar: Buffer;
  /** sha256 of `tar`: the diff id. */
  diffId: string;
  /** The gzip of `tar`, the blob stored and pushed. */
  gzip: Buffer;
}

const EPOCH = new Date(0);

/** Pack entries into a layer tar (deterministic: fixed mtime unless given, entries in order). */
export async function packLayer(files: readonly LayerFile[]): Promise<PackedLayer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const c of p as unknown as AsyncIterable<Buffer>) chunks.push(Buffer.from(c));
  })();
  for (const f of files) {
    const header = {
      name: f.type === 'directory' ? `${f.path}/` : f.path,
      type: f.type,
      mode: f.mode ?? (f.type === 'directory' ? 0o755 : f.type === 'symlink' ? 0o777 : 0o644),
      uid: f.uid ?? 0,
      gid: f.gid ?? 0,
      mtime: f.mtime ?? EPOCH,
      linkname: f.linkname,
      devmajor: f.devmajor,
      devminor: f.devminor,
    };
    if (f.type === 'file' && f.data && !(f.data instanceof Uint8Array)) {
      const sink = p.entry({ ...header, size: f.data.size });
      await new Promise<void>((resolve, reject) => {
        const src = createReadStream((f.data as { fromFile: string }).fromFile);
        src.on('error', reject);
        sink.on('error', reject);
        sink.on('finish', () => resolve());
        src.pipe(sink as unknown as NodeJS.WritableStream);
      });
    } else {
      await new Promise<void>((resolve, reject) =>
        p.entry(header, f.type === 'file' && f.data instanceof Uint8Array ? Buffer.from(f.data) : Buffer.alloc(0), (e) => (e ? reject(e) : resolve())),
      );
    }
  }
  p.finalize();
  await collected;
  const tar = Buffer.concat(chunks);
  return { tar, diffId: sha256(tar), gzip: gzipSync(tar) };
}

