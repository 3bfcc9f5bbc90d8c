import { Readable } from 'node:stream';
import { packLayer, type LayerFile } from '../layers/layer-writer';
import { writeImage } from '../image-writer';
import type { ImageRecord, ImageStore } from '../store/image-store.port';

/** Write an image whose layers hold the given entries (each inner array is one layer). */
export async function makeImage(store: ImageStore, layers: LayerFile[][], opts: { architecture?: string; cmd?: string[] } = {}): Promise<ImageRecord> {
  const packed = [];
  for (const files of layers) packed.push({ packed: await packLayer(files) });
  return writeImage(store, {
    layers: packed,
    architecture: opts.architecture,
    config: opts.cmd ? { Cmd: opts.cmd } : {},
    created: '2026-01-01T00:00:00Z',
  });
}

export const file = (path: string, text: string, mode = 0o644): LayerFile => ({ path, type: 'file', data: Buffer.from(text), mode });
export const dir = (path: string): LayerFile => ({ path, type: 'directory' });

/** A stream that yields `head` and then fails, like a connection cut mid-download. */
export function failingStream(head: Uint8Array, message = 'connection reset'): Readable {
  return Readable.from(
    (async function* () {
      yield head;
      throw new Error(message);
    })(),
  );
}
