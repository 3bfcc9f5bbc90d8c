import { jsonBytes, MediaType, type Descriptor, type HistoryEntry, type ImageConfig, type ImageManifest } from './oci';
import type { PackedLayer } from './layers/layer-writer';
import type { ImageRecord, ImageStore } from './store/image-store.port';

/** A layer already in the store (from a base image) or a freshly packed one. */
export type NewImageLayer = { stored: Descriptor; diffId: string } | { packed: PackedLayer };

export interface NewImage {
  /** Base config to extend (FROM); omitted for scratch. */
  base?: ImageConfig;
  layers: readonly NewImageLayer[];
  config?: ImageConfig['config'];
  history?: HistoryEntry[];
  architecture?: string;
  os?: string;
  created?: string;
}

/**
 * Write an OCI image (gzip layers, config, manifest) into the store and record it. Returns the
 * record; the caller tags it. Blobs are held against gc until the image is recorded.
 */
export async function writeImage(store: ImageStore, img: NewImage): Promise<ImageRecord> {
  const layerDescs: Descriptor[] = [];
  const diffIds: string[] = [];
  const release = store.hold(
    img.layers.flatMap((l) => ('stored' in l ? [l.stored.digest] : [])),
  );
  const held: Array<() => void> = [release];
  try {
    for (const l of img.layers) {
      if ('stored' in l) {
        layerDescs.push(l.stored);
        diffIds.push(l.diffId);
      } else {
        const b = await store.putBlob(l.packed.gzip);
        held.push(store.hold([b.digest]));
        layerDescs.push({ mediaType: MediaType.OciLayerGzip, digest: b.digest, size: b.size });
        diffIds.push(l.packed.diffId);
      }
    }
    const config: ImageConfig = {
      ...(img.base ?? {}),
      created: img.created ?? new Date().toISOString(),
      architecture: img.architecture ?? img.base?.architecture ?? 'amd64',
      os: img.os ?? img.base?.os ?? 'linux',
      config: img.config ?? img.base?.config ?? {},
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: img.history ?? img.base?.history ?? [],
    };
    const cfg = await store.putBlob(jsonBytes(config));
    held.push(store.hold([cfg.digest]));
    const manifest: ImageManifest = {
      schemaVersion: 2,
      mediaType: MediaType.OciManifest,
      config: { mediaType: MediaType.OciConfig, digest: cfg.digest, size: cfg.size },
      layers: layerDescs,
    };
    const m = await store.putBlob(jsonBytes(manifest));
    return await store.addImage(m.digest);
  } finally {
    for (const r of held) r();
  }
}
