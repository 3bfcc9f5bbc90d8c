import type { Descriptor } from '../oci';

/** A layer a build step produced, found again by the step's cache key. */
export interface CachedLayer {
  layer: Descriptor;
  diffId: string;
  /** When the layer was made: a build that only hits the cache gives the same image (same id). */
  created?: string;
}

/**
 * The build cache: cache key (parent key + instruction + content hash of its inputs) → layer.
 * A hit is used only while the layer's blob is still in the store.
 */
export interface BuildCache {
  get(key: string): CachedLayer | undefined;
  set(key: string, value: CachedLayer): void;
}

export class MemoryBuildCache implements BuildCache {
  private readonly entries = new Map<string, CachedLayer>();

  get(key: string): CachedLayer | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: CachedLayer): void {
    this.entries.set(key, value);
  }
}
