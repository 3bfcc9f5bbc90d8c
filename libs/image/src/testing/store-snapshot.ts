import { MemoryImageStore } from '../store/memory-image-store';

/** A MemoryImageStore whose whole state (images, tags, blobs, unpacked layers) can be compared. */
export class SnapshotImageStore extends MemoryImageStore {
  async snapshot(): Promise<string> {
    const images = (await this.listImages()).map((i) => i.manifestDigest).sort();
    const tags = (await this.listTags()).map((t) => `${t.name}=${t.manifestDigest}`).sort();
    const blobs = (await this.listBlobDigests()).sort();
    const layers = (await this.listLayerIds()).sort();
    return JSON.stringify({ images, tags, blobs, layers }, null, 1);
  }
}
