import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, pack } from 'tar-stream';
import { InvalidParameterError, NotFoundError } from '@app/common';
import { jsonBytes, MediaType, type Descriptor, type ImageManifest } from '../oci';
import { familiarName, familiarString, formatReference, parseReference } from '../reference';
import { decompressed, walkLayer } from '../layers/layer-tar';
import type { Images } from '../images';
import type { ImageRecord, ImageStore } from '../store/image-store.port';

/** One entry of a docker-archive's manifest.json. */
interface ArchiveManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

/**
 * `docker save`: a tar with manifest.json, repositories, the configs and uncompressed layer tars
 * under blobs/sha256/ (the layout Docker 25+ writes; older `docker load` reads it too).
 * `names` are references or ids; each image appears once with all the tags asked for.
 */
export async function saveImages(images: Images, names: readonly string[]): Promise<Readable> {
  const store = images.store;
  const wanted = new Map<string, { img: ImageRecord; tags: string[] }>();
  for (const name of names) {
    const img = await images.resolve(name);
    const entry = wanted.get(img.manifestDigest) ?? { img, tags: [] };
    const tag = (await store.listTags()).find((t) => t.manifestDigest === img.manifestDigest && t.name === safeName(name));
    if (tag) entry.tags.push(familiarString(parseReference(tag.name)));
    wanted.set(img.manifestDigest, entry);
  }
  const p = pack();
  const written = new Set<string>();
  const add = (name: string, data: Buffer) =>
    new Promise<void>((resolve, reject) => p.entry({ name, size: data.length, mode: 0o644, mtime: new Date(0) }, data, (e) => (e ? reject(e) : resolve())));
  (async () => {
    const manifest: ArchiveManifestEntry[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    for (const { img, tags } of wanted.values()) {
      const m = await store.readManifest(img.manifestDigest);
      const config = await store.readConfig(img.configDigest);
      const cfgPath = `blobs/sha256/${img.configDigest.slice(7)}`;
      if (!written.has(cfgPath)) await add(cfgPath, await store.readBlob(img.configDigest));
      written.add(cfgPath);
      const layers: string[] = [];
      for (let i = 0; i < m.layers.length; i++) {
        const path = `blobs/sha256/${config.rootfs.diff_ids[i].slice(7)}`;
        if (!written.has(path)) await add(path, await collect(decompressed(await store.openBlob(m.layers[i].digest))));
        written.add(path);
        layers.push(path);
      }
      manifest.push({ Config: cfgPath, RepoTags: tags, Layers: layers });
      for (const t of tags) {
        const ref = parseReference(t);
        repositories[familiarName(ref)] = { ...repositories[familiarName(ref)], [ref.tag ?? 'latest']: config.rootfs.diff_ids.at(-1)?.slice(7) ?? '' };
      }
    }
    await add('manifest.json', jsonBytes(manifest));
    await add('repositories', jsonBytes(repositories));
    p.finalize();
  })().catch((e: unknown) => p.destroy(e as Error));
  return p as unknown as Readable;
}

function safeName(text: string): string | undefined {
  try {
    return formatReference(parseReference(text));
  } catch {
    return undefined;
  }
}

export interface LoadedImage {
  image: ImageRecord;
  tags: string[];
}

/**
 * `docker load`: read a docker-archive (or Docker 25+ OCI-style save) tar. Files become blobs; each
 * layer is checked (valid tar, no entry outside the root) and must match the config's diff ids.
 * Images are recorded and tagged only after everything is verified; nothing is left otherwise.
 */
export async function loadImages(store: ImageStore, source: AsyncIterable<Uint8Array>): Promise<LoadedImage[]> {
  const files = new Map<string, Descriptor & { diffId?: string }>();
  let manifestJson: Buffer | undefined;
  const held: Array<() => void> = [];
  try {
    const ex = extract();
    const feeding = pipeline(decompressed(source), ex);
    feeding.catch(() => undefined);
    for await (const entry of ex) {
      const name = posix.normalize(entry.header.name).replace(/^\.?\/+/, '');
      if (entry.header.type !== 'file' || name.startsWith('..')) {
        entry.resume();
        continue;
      }
      if (name === 'manifest.json') {
        manifestJson = await collect(entry as AsyncIterable<Uint8Array>);
        continue;
      }
      const blob = await store.putBlob(entry as AsyncIterable<Uint8Array>);
      held.push(store.hold([blob.digest]));
      files.set(name, { mediaType: '', digest: blob.digest, size: blob.size });
    }
    await feeding;
    if (!manifestJson) throw new InvalidParameterError('invalid docker archive: no manifest.json');
    let entries: ArchiveManifestEntry[];
    try {
      entries = JSON.parse(manifestJson.toString('utf8')) as ArchiveManifestEntry[];
      if (!Array.isArray(entries)) throw new Error('not a list');
    } catch (e) {
      throw new InvalidParameterError(`invalid docker archive: manifest.json: ${(e as Error).message}`);
    }
    const loaded: LoadedImage[] = [];
    for (const e of entries) loaded.push(await loadOne(store, files, e));
    for (const l of loaded) for (const t of l.tags) await store.setTag(t, l.image.manifestDigest);
    return loaded;
  } finally {
    for (const r of held) r();
    await store.gc().catch(() => undefined);
  }
}

async function loadOne(store: ImageStore, files: Map<string, Descriptor & { diffId?: string }>, e: ArchiveManifestEntry): Promise<LoadedImage> {
  const file = (path: string) => {
    const f = files.get(posix.normalize(path));
    if (!f) throw new NotFoundError(`invalid docker archive: ${path} is missing`);
    return f;
  };
  const cfg = file(e.Config);
  const config = await store.readConfig(cfg.digest);
  if (!Array.isArray(e.Layers) || config.rootfs.diff_ids.length !== e.Layers.length) {
    throw new InvalidParameterError(`invalid docker archive: ${e.Config} lists ${config.rootfs.diff_ids.length} layers, manifest.json ${e.Layers?.length}`);
  }
  const layers: Descriptor[] = [];
  for (let i = 0; i < e.Layers.length; i++) {
    const f = file(e.Layers[i]);
    f.diffId ??= await walkLayer(await store.openBlob(f.digest), async () => undefined);
    if (f.diffId !== config.rootfs.diff_ids[i]) {
      throw new InvalidParameterError(`invalid docker archive: layer ${e.Layers[i]} has diff id ${f.diffId}, config says ${config.rootfs.diff_ids[i]}`);
    }
    layers.push({ mediaType: f.diffId === f.digest ? MediaType.OciLayer : MediaType.OciLayerGzip, digest: f.digest, size: f.size });
  }
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.OciManifest,
    config: { mediaType: MediaType.OciConfig, digest: cfg.digest, size: cfg.size },
    layers,
  };
  const m = await store.putBlob(jsonBytes(manifest));
  const image = await store.addImage(m.digest);
  return { image, tags: (e.RepoTags ?? []).map((t) => formatReference(parseReference(t))) };
}
