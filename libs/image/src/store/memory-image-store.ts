import { Readable } from 'node:stream';
import { InvalidParameterError, isDigest, NotFoundError } from '@app/common';
import { diffIdMismatch, layerChain, parseManifest, sha256 } from '../oci';
import { walkLayer } from '../layers/layer-tar';
import { ImageStore, type BlobSource, type ImageRecord, type StoredBlob, type TagRecord } from './image-store.port';

/** What an unpacked layer holds, per path: a file type or `whiteout`; `opaque` is a flag on dirs. */
export type MemoryLayerEntry = { type: string; opaque?: boolean };

/**
 * An in-memory ImageStore with the same rules as FileImageStore (digest checks, record
 * invariants, gc). "Unpacked" layers are path → entry maps, reported as `memory://<chain id>`.
 */
export class MemoryImageStore extends ImageStore {
  private readonly blobs = new Map<string, Buffer>();
  private readonly images = new Map<string, ImageRecord>();
  private readonly tags = new Map<string, string>();
  private readonly layers = new Map<string, Map<string, MemoryLayerEntry>>();

  async putBlob(source: BlobSource, expect: { digest?: string; size?: number } = {}): Promise<StoredBlob> {
    if (expect.digest !== undefined && !isDigest(expect.digest)) throw new InvalidParameterError(`invalid digest: ${expect.digest}`);
    const chunks: Buffer[] = [];
    let read = 0;
    if (source instanceof Uint8Array) chunks.push(Buffer.from(source));
    else {
      for await (const c of source as AsyncIterable<Uint8Array>) {
        chunks.push(Buffer.from(c));
        // as FileImageStore does: a source longer than expected is cut off, not read to its end
        if (expect.size !== undefined && (read += c.length) > expect.size) {
          throw new InvalidParameterError(`size mismatch: expected ${expect.size} bytes, got ${read}`);
        }
      }
    }
    const data = Buffer.concat(chunks);
    const digest = sha256(data);
    if (expect.size !== undefined && data.length !== expect.size) {
      throw new InvalidParameterError(`size mismatch: expected ${expect.size} bytes, got ${data.length}`);
    }
    if (expect.digest !== undefined && digest !== expect.digest) {
      throw new InvalidParameterError(`digest mismatch: expected ${expect.digest}, got ${digest}`);
    }
    this.blobs.set(digest, data);
    return { digest, size: data.length };
  }

  async statBlob(digest: string): Promise<number | undefined> {
    return this.blobs.get(digest)?.length;
  }

  async readBlob(digest: string): Promise<Buffer> {
    const b = this.blobs.get(digest);
    if (!b) throw new NotFoundError(`blob ${digest} not found`);
    return b;
  }

  async openBlob(digest: string): Promise<Readable> {
    return Readable.from([await this.readBlob(digest)]);
  }

  async addImage(manifestDigest: string): Promise<ImageRecord> {
    const existing = this.images.get(manifestDigest);
    if (existing) return existing;
    const parsed = parseManifest(await this.readBlob(manifestDigest));
    if (parsed.kind !== 'manifest') throw new InvalidParameterError(`${manifestDigest} is a manifest list, not an image`);
    for (const d of [parsed.manifest.config, ...parsed.manifest.layers]) {
      if (!this.blobs.has(d.digest)) throw new NotFoundError(`blob ${d.digest} not found`);
    }
    const rec: ImageRecord = {
      manifestDigest,
      manifestMediaType: parsed.mediaType,
      configDigest: parsed.manifest.config.digest,
      added: new Date().toISOString(),
    };
    this.images.set(manifestDigest, rec);
    return rec;
  }

  async getImage(manifestDigest: string): Promise<ImageRecord | undefined> {
    return this.images.get(manifestDigest);
  }

  async listImages(): Promise<ImageRecord[]> {
    return [...this.images.values()];
  }

  async deleteImage(manifestDigest: string): Promise<void> {
    if (!this.images.delete(manifestDigest)) throw new NotFoundError(`No such image: ${manifestDigest}`);
    for (const [name, d] of this.tags) if (d === manifestDigest) this.tags.delete(name);
  }

  async setTag(name: string, manifestDigest: string): Promise<void> {
    if (!this.images.has(manifestDigest)) throw new NotFoundError(`No such image: ${manifestDigest}`);
    this.tags.set(name, manifestDigest);
  }

  async deleteTag(name: string): Promise<boolean> {
    return this.tags.delete(name);
  }

  async listTags(): Promise<TagRecord[]> {
    return [...this.tags].map(([name, manifestDigest]) => ({ name, manifestDigest }));
  }

  async unpack(manifestDigest: string): Promise<string[]> {
    const img = this.images.get(manifestDigest);
    if (!img) throw new NotFoundError(`No such image: ${manifestDigest}`);
    const manifest = await this.readManifest(manifestDigest);
    const diffIds = (await this.readConfig(img.configDigest)).rootfs.diff_ids;
    const chain = layerChain(img.configDigest, manifest, diffIds);
    for (const layer of chain) {
      if (this.layers.has(layer.chainId)) continue;
      const entries = new Map<string, MemoryLayerEntry>();
      const got = await walkLayer(await this.openBlob(layer.blob), async (h, m) => {
        if (m.kind === 'plain' && m.path !== '') entries.set(m.path, { type: h.type });
        if (m.kind === 'whiteout') entries.set(m.path, { type: 'whiteout' });
        if (m.kind === 'opaque') entries.set(m.dir, { type: 'directory', ...entries.get(m.dir), opaque: true });
      });
      if (got !== layer.diffId) throw diffIdMismatch(layer, got);
      this.layers.set(layer.chainId, entries);
    }
    return chain.map((l) => `memory://${l.chainId}`);
  }

  /** Test helper: the entries of an unpacked layer. */
  layerEntries(chainId: string): ReadonlyMap<string, MemoryLayerEntry> | undefined {
    return this.layers.get(chainId);
  }

  protected async listBlobDigests(): Promise<string[]> {
    return [...this.blobs.keys()];
  }

  protected async deleteBlob(digest: string): Promise<void> {
    this.blobs.delete(digest);
  }

  protected async listLayerIds(): Promise<string[]> {
    return [...this.layers.keys()];
  }

  protected async deleteLayer(chainId: string): Promise<void> {
    this.layers.delete(chainId);
  }
}
