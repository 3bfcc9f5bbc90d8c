import { MediaType, type ImageConfig } from '../oci';
import { formatReference, parseReference } from '@app/common';
import { walkLayer } from '../layers/layer-tar';
import { writeImage } from '../image-writer';
import type { ImageRecord, ImageStore } from '../store/image-store.port';

export interface ImportOptions {
  /** `repo[:tag]` to tag the new image with. */
  reference?: string;
  message?: string;
  config?: ImageConfig['config'];
  architecture?: string;
}

/**
 * `docker import`: a root filesystem tar (plain or gzip) becomes a single-layer image. The tar is
 * checked (no entry outside the root) before the image is recorded.
 */
export async function importRootfs(store: ImageStore, source: AsyncIterable<Uint8Array>, opts: ImportOptions = {}): Promise<ImageRecord> {
  const target = opts.reference ? formatReference(parseReference(opts.reference)) : undefined;
  const blob = await store.putBlob(source);
  const release = store.hold([blob.digest]);
  try {
    const diffId = await walkLayer(await store.openBlob(blob.digest), async () => undefined);
    const img = await writeImage(store, {
      layers: [{ stored: { mediaType: diffId === blob.digest ? MediaType.OciLayer : MediaType.OciLayerGzip, digest: blob.digest, size: blob.size }, diffId }],
      architecture: opts.architecture,
      config: opts.config ?? {},
      history: [{ created_by: '', comment: opts.message ?? 'Imported from tarball' }],
    });
    if (target) await store.setTag(target, img.manifestDigest);
    return img;
  } finally {
    release();
    await store.gc().catch(() => undefined);
  }
}
