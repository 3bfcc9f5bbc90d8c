import { randomBytes, createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidParameterError, isDigest, NotFoundError } from '@app/common';
import { diffIdMismatch, layerChain, MediaType, parseManifest, type ChainedLayer } from '../oci';
import { unpackLayerToDir } from '../layers/unpack-dir';
import { ImageStore, type BlobSource, type ImageRecord, type StoredBlob, type TagRecord } from './image-store.port';

interface State {
  images: Record<string, ImageRecord>;
  tags: Record<string, string>;
}

/** Annotation Docker/containerd put on index.json entries for tagged images. */
const REF_ANNOTATION = 'io.containerd.image.name';
const OCI_REF_ANNOTATION = 'org.opencontainers.image.ref.name';

/**
 * The image store on disk, in OCI image layout (oci-layout, index.json, blobs/sha256/<hex>) under
 * `root` (data-root/image), plus netd's record of images and tags (netd-images.json) and the
 * unpacked layers (layers/<chain id hex>/). index.json is rewritten from the record on each change,
 * so `skopeo`/`umoci` can read the directory.
 */
export class FileImageStore extends ImageStore {
  private state: State | undefined;
  private lock: Promise<unknown> = Promise.resolve();
  private readonly unpacking = new Map<string, Promise<string>>();

  constructor(readonly root: string) {
    super();
  }

  private blobPath(digest: string): string {
    if (!isDigest(digest)) throw new InvalidParameterError(`invalid digest: ${digest}`);
    return join(this.root, 'blobs', 'sha256', digest.slice('sha256:'.length));
  }

  layerPath(chainId: string): string {
    if (!isDigest(chainId)) throw new InvalidParameterError(`invalid chain id: ${chainId}`);
    return join(this.root, 'layers', chainId.slice('sha256:'.length));
  }

  private async init(): Promise<State> {
    if (this.state) return this.state;
    for (const d of ['blobs/sha256', 'ingest', 'layers']) await mkdir(join(this.root, d), { recursive: true });
    await writeFile(join(this.root, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const raw = await readFile(join(this.root, 'netd-images.json'), 'utf8').catch(() => undefined);
    this.state = raw ? (JSON.parse(raw) as State) : { images: {}, tags: {} };
    // Leftovers of a crash: partial downloads and unpacks are never valid.
    for (const name of await readdir(join(this.root, 'ingest'))) await rm(join(this.root, 'ingest', name), { force: true });
    for (const name of await readdir(join(this.root, 'layers'))) {
      if (name.startsWith('.tmp-')) await rm(join(this.root, 'layers', name), { recursive: true, force: true });
    }
    return this.state;
  }

  private mutate<T>(fn: (s: State) => T | Promise<T>): Promise<T> {
    const run = this.lock.then(async () => {
      const s = await this.init();
      const out = await fn(s);
      await this.persist(s);
      return out;
    });
    this.lock = run.catch(() => undefined);
    return run;
  }

  private async persist(s: State): Promise<void> {
    const manifests = Object.entries(s.tags).map(([name, digest]) => {
      const img = s.images[digest];
      return {
        mediaType: img?.manifestMediaType ?? MediaType.OciManifest,
        digest,
        size: 0,
        annotations: { [REF_ANNOTATION]: name, [OCI_REF_ANNOTATION]: name.slice(name.lastIndexOf(':') + 1) },
      };
    });
    for (const m of manifests) m.size = (await this.statBlob(m.digest)) ?? 0;
    await atomicWrite(join(this.root, 'netd-images.json'), JSON.stringify(s));
    await atomicWrite(join(this.root, 'index.json'), JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests }));
  }

  async putBlob(source: BlobSource, expect: { digest?: string; size?: number } = {}): Promise<StoredBlob> {
    await this.init();
    if (expect.digest !== undefined) this.blobPath(expect.digest);
    const tmp = join(this.root, 'ingest', randomBytes(8).toString('hex'));
    const hash = createHash('sha256');
    let size = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        if (expect.size !== undefined && size > expect.size) cb(sizeMismatch(expect.size, size));
        else cb(null, chunk);
      },
    });
    // The file is opened before the pipeline: a stream that opens its own file lazily can create
    // it after a failed pipeline has already returned and the cleanup below has run, leaving an
    // empty ingest file behind a refused upload.
    const file = await open(tmp, 'wx', 0o600);
    try {
      const input = source instanceof Uint8Array ? Readable.from([source]) : source;
      await pipeline(input, counter, file.createWriteStream());
      const digest = `sha256:${hash.digest('hex')}`;
      if (expect.size !== undefined && size !== expect.size) throw sizeMismatch(expect.size, size);
      if (expect.digest !== undefined && digest !== expect.digest) {
        throw new InvalidParameterError(`digest mismatch: expected ${expect.digest}, got ${digest}`);
      }
      await rename(tmp, this.blobPath(digest));
      return { digest, size };
    } finally {
      await file.close().catch(() => undefined);
      await rm(tmp, { force: true });
    }
  }

  async statBlob(digest: string): Promise<number | undefined> {
    return (await stat(this.blobPath(digest)).catch(() => undefined))?.size;
  }

  async readBlob(digest: string): Promise<Buffer> {
    try {
      return await readFile(this.blobPath(digest));
    } catch (e) {
      throw notFound(digest, e);
    }
  }

  async openBlob(digest: string): Promise<Readable> {
    if ((await this.statBlob(digest)) === undefined) throw notFound(digest);
    return createReadStream(this.blobPath(digest));
  }

  addImage(manifestDigest: string): Promise<ImageRecord> {
    return this.mutate(async (s) => {
      if (s.images[manifestDigest]) return s.images[manifestDigest];
      const parsed = parseManifest(await this.readBlob(manifestDigest));
      if (parsed.kind !== 'manifest') throw new InvalidParameterError(`${manifestDigest} is a manifest list, not an image`);
      for (const d of [parsed.manifest.config, ...parsed.manifest.layers]) {
        if ((await this.statBlob(d.digest)) === undefined) throw notFound(d.digest);
      }
      const rec: ImageRecord = {
        manifestDigest,
        manifestMediaType: parsed.mediaType,
        configDigest: parsed.manifest.config.digest,
        added: new Date().toISOString(),
      };
      s.images[manifestDigest] = rec;
      return rec;
    });
  }

  async getImage(manifestDigest: string): Promise<ImageRecord | undefined> {
    return (await this.init()).images[manifestDigest];
  }

  async listImages(): Promise<ImageRecord[]> {
    return Object.values((await this.init()).images);
  }

  deleteImage(manifestDigest: string): Promise<void> {
    return this.mutate((s) => {
      if (!s.images[manifestDigest]) throw new NotFoundError(`No such image: ${manifestDigest}`);
      delete s.images[manifestDigest];
      for (const [name, d] of Object.entries(s.tags)) if (d === manifestDigest) delete s.tags[name];
    });
  }

  setTag(name: string, manifestDigest: string): Promise<void> {
    return this.mutate((s) => {
      if (!s.images[manifestDigest]) throw new NotFoundError(`No such image: ${manifestDigest}`);
      s.tags[name] = manifestDigest;
    });
  }

  deleteTag(name: string): Promise<boolean> {
    return this.mutate((s) => {
      const had = name in s.tags;
      delete s.tags[name];
      return had;
    });
  }

  async listTags(): Promise<TagRecord[]> {
    return Object.entries((await this.init()).tags).map(([name, manifestDigest]) => ({ name, manifestDigest }));
  }

  async unpack(manifestDigest: string): Promise<string[]> {
    const img = await this.getImage(manifestDigest);
    if (!img) throw new NotFoundError(`No such image: ${manifestDigest}`);
    const manifest = await this.readManifest(manifestDigest);
    const diffIds = (await this.readConfig(img.configDigest)).rootfs.diff_ids;
    const dirs: string[] = [];
    for (const layer of layerChain(img.configDigest, manifest, diffIds)) dirs.push(await this.unpackOnce(layer));
    return dirs;
  }

  private unpackOnce(layer: ChainedLayer): Promise<string> {
    const { chainId } = layer;
    const running = this.unpacking.get(chainId);
    if (running) return running;
    const p = (async () => {
      const dest = this.layerPath(chainId);
      if (await stat(dest).catch(() => undefined)) return dest;
      const tmp = join(this.root, 'layers', `.tmp-${randomBytes(8).toString('hex')}`);
      try {
        const got = await unpackLayerToDir(await this.openBlob(layer.blob), tmp);
        if (got !== layer.diffId) throw diffIdMismatch(layer, got);
        await rename(tmp, dest);
        return dest;
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    })();
    this.unpacking.set(chainId, p);
    return p.finally(() => this.unpacking.delete(chainId));
  }

  protected async listBlobDigests(): Promise<string[]> {
    await this.init();
    return (await readdir(join(this.root, 'blobs', 'sha256'))).map((h) => `sha256:${h}`).filter(isDigest);
  }

  protected async deleteBlob(digest: string): Promise<void> {
    await rm(this.blobPath(digest), { force: true });
  }

  protected async listLayerIds(): Promise<string[]> {
    await this.init();
    return (await readdir(join(this.root, 'layers'))).map((h) => `sha256:${h}`).filter(isDigest);
  }

  protected async deleteLayer(chainId: string): Promise<void> {
    await rm(this.layerPath(chainId), { recursive: true, force: true });
  }
}

function sizeMismatch(expected: number, got: number): InvalidParameterError {
  return new InvalidParameterError(`size mismatch: expected ${expected} bytes, got ${got}`);
}

function notFound(digest: string, cause?: unknown): NotFoundError {
  return new NotFoundError(`blob ${digest} not found`, { cause });
}

async function atomicWrite(path: string, data: string): Promise<void> {
  const tmp = `${path}.tmp-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}
