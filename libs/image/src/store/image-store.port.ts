import type { Readable } from 'node:stream';
import { chainIds, parseImageConfig, parseManifest, type ImageConfig, type ImageManifest } from '../oci';
import { InvalidParameterError } from '@app/common';

/** A blob's identity once verified and stored. */
export interface StoredBlob {
  readonly digest: string;
  readonly size: number;
}

/** One image: a manifest (whose digest keys the record) and its config (whose digest is the image id). */
export interface ImageRecord {
  readonly manifestDigest: string;
  readonly manifestMediaType: string;
  /** Docker's image id: the config digest. */
  readonly configDigest: string;
  /** ISO time the image entered this store. */
  readonly added: string;
}

/** A tag: a fully qualified reference (`docker.io/library/busybox:latest`) → manifest digest. */
export interface TagRecord {
  readonly name: string;
  readonly manifestDigest: string;
}

export interface GcResult {
  readonly blobs: string[];
  readonly layers: string[];
}

export type BlobSource = Uint8Array | AsyncIterable<Uint8Array> | Readable;

/**
 * The image store: content-addressed blobs, image records, tags and unpacked layers.
 *
 * Implementations: `FileImageStore` (OCI image layout on disk, layers unpacked for overlayfs) and
 * `MemoryImageStore` (in memory, for unit tests of code above the store). Both pass
 * `describeImageStoreContract`. Writers (pull, load, build) put blobs first, then the image,
 * then tags; a failure before the image record leaves only unreferenced blobs, which `gc` removes.
 * `hold` protects blobs of an operation in flight from a concurrent `gc`.
 */
export abstract class ImageStore {
  private readonly holds = new Map<string, number>();

  /**
   * Store a blob. The content is hashed while it is written; when `expect.digest` (or `size`) is
   * given and does not match, nothing is stored and InvalidParameterError is thrown. A blob that
   * is already present is not written twice. Errors of the source stream are rethrown.
   */
  abstract putBlob(source: BlobSource, expect?: { digest?: string; size?: number }): Promise<StoredBlob>;

  /** The size of a stored blob, or undefined when absent. Never throws for a well-formed digest. */
  abstract statBlob(digest: string): Promise<number | undefined>;

  /** The whole blob. NotFoundError when absent. For manifests and configs; stream layers instead. */
  abstract readBlob(digest: string): Promise<Buffer>;

  /** A stream of the blob. NotFoundError when absent. */
  abstract openBlob(digest: string): Promise<Readable>;

  /**
   * Record an image whose manifest is stored. The config and every layer must be stored too
   * (NotFoundError naming the first missing blob). Idempotent: an existing record is returned.
   */
  abstract addImage(manifestDigest: string): Promise<ImageRecord>;

  /** The image record, or undefined. */
  abstract getImage(manifestDigest: string): Promise<ImageRecord | undefined>;

  abstract listImages(): Promise<ImageRecord[]>;

  /** Remove an image record and every tag pointing at it. Blobs stay until `gc`. NotFound if absent. */
  abstract deleteImage(manifestDigest: string): Promise<void>;

  /** Point a fully qualified tag at an existing image (NotFoundError otherwise); moves an existing tag. */
  abstract setTag(name: string, manifestDigest: string): Promise<void>;

  /** Remove a tag; false if there was none. The image record stays (it becomes dangling). */
  abstract deleteTag(name: string): Promise<boolean>;

  abstract listTags(): Promise<TagRecord[]>;

  /**
   * Make the image's layers available as overlayfs lower directories and return them bottom
   * first. Each layer is unpacked once per chain id, whiteouts converted to overlay whiteouts,
   * and its uncompressed digest checked against the config's diff id (InvalidParameterError).
   * A failed unpack leaves no directory behind.
   */
  abstract unpack(manifestDigest: string): Promise<string[]>;

  /** Digests of all stored blobs. */
  protected abstract listBlobDigests(): Promise<string[]>;
  protected abstract deleteBlob(digest: string): Promise<void>;
  /** Chain ids of all unpacked layers. */
  protected abstract listLayerIds(): Promise<string[]>;
  protected abstract deleteLayer(chainId: string): Promise<void>;

  /** Protect blobs from `gc` until the returned function is called (pull/load/build in flight). */
  hold(digests: Iterable<string>): () => void {
    const held = [...digests];
    for (const d of held) this.holds.set(d, (this.holds.get(d) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const d of held) {
        const n = (this.holds.get(d) ?? 1) - 1;
        if (n <= 0) this.holds.delete(d);
        else this.holds.set(d, n);
      }
    };
  }

  async readManifest(digest: string): Promise<ImageManifest> {
    const parsed = parseManifest(await this.readBlob(digest));
    if (parsed.kind !== 'manifest') throw new InvalidParameterError(`${digest} is a manifest list, not an image manifest`);
    return parsed.manifest;
  }

  async readConfig(digest: string): Promise<ImageConfig> {
    return parseImageConfig(await this.readBlob(digest));
  }

  /** Remove blobs and unpacked layers that no image record references and no `hold` protects. */
  async gc(): Promise<GcResult> {
    const keepBlobs = new Set(this.holds.keys());
    const keepLayers = new Set<string>();
    for (const img of await this.listImages()) {
      keepBlobs.add(img.manifestDigest).add(img.configDigest);
      const manifest = await this.readManifest(img.manifestDigest);
      for (const l of manifest.layers) keepBlobs.add(l.digest);
      for (const c of chainIds((await this.readConfig(img.configDigest)).rootfs.diff_ids)) keepLayers.add(c);
    }
    const blobs = (await this.listBlobDigests()).filter((d) => !keepBlobs.has(d));
    const layers = (await this.listLayerIds()).filter((c) => !keepLayers.has(c));
    for (const d of blobs) await this.deleteBlob(d);
    for (const c of layers) await this.deleteLayer(c);
    return { blobs, layers };
  }
}
