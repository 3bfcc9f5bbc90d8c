import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { familiarName, familiarString, formatReference, InvalidParameterError, parseReference } from '@app/common';
import { jsonBytes, MediaType, parseImageConfig, type Descriptor, type ImageManifest } from '../oci';
import { decompressed, safeEntryPath, walkLayer, walkTar } from '../layers/layer-tar';
import type { Images } from '../images';
import type { ImageRecord, ImageStore, StoredBlob } from '../store/image-store.port';

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

/** manifest.json and image configs are read whole: beyond this they are refused, not buffered. */
export const MAX_ARCHIVE_METADATA_BYTES = 4 * 1024 * 1024;
/** Symlinks followed for one path of an archive (Linux's limit). */
const MAX_LINKS = 40;

const invalid = (text: string) => new InvalidParameterError(`invalid docker archive: ${text}`);

/** The files of a docker-archive: regular files become blobs; symlinks are resolved inside the archive. */
class ArchiveFiles {
  private readonly files = new Map<string, StoredBlob>();
  private readonly symlinks = new Map<string, string>();

  setFile(path: string, blob: StoredBlob): void {
    this.symlinks.delete(path);
    this.files.set(path, blob);
  }

  setSymlink(path: string, target: string): void {
    this.files.delete(path);
    this.symlinks.set(path, target);
  }

  /** A hard link names an earlier regular file of the archive, nothing else. */
  setHardlink(path: string, target: string): void {
    const blob = this.files.get(target);
    if (!blob) throw invalid(`invalid hardlink ${JSON.stringify(path)} -> ${JSON.stringify(target)}`);
    this.setFile(path, blob);
  }

  /**
   * The blob a path names, symlinks followed with the archive as the root (as Docker's safePath
   * does with its temp dir): `..` and absolute targets never leave the archive.
   */
  lookup(path: string): StoredBlob {
    let p = path;
    for (let links = 0; links <= MAX_LINKS; links++) {
      const f = this.files.get(p);
      if (f) return f;
      const parts = p.split('/');
      const k = parts.findIndex((_, i) => this.symlinks.has(parts.slice(0, i + 1).join('/')));
      if (k < 0) break;
      const prefix = parts.slice(0, k + 1).join('/');
      const target = this.symlinks.get(prefix) as string;
      const base = target.startsWith('/') ? '' : parts.slice(0, k).join('/');
      p = inScope([base, target, ...parts.slice(k + 1)].join('/'));
    }
    throw invalid(`${path} is missing`);
  }
}

/** Clean a path with `..` stopping at the root. */
function inScope(path: string): string {
  const out: string[] = [];
  for (const c of path.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out.join('/');
}

/** A path manifest.json names: relative, inside the archive. */
function manifestPath(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') throw invalid(`manifest.json: ${field} must be a non-empty string`);
  const norm = posix.normalize(v);
  if (v.startsWith('/') || v.includes('\0') || norm === '..' || norm.startsWith('../')) {
    throw invalid(`manifest.json: invalid path ${JSON.stringify(v.slice(0, 200))} in ${field}`);
  }
  return inScope(norm);
}

function jsonType(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v;
}

/** manifest.json, checked for shape before anything is done with it (tarexport.manifestItem). */
function parseArchiveManifest(bytes: Buffer): Array<{ config: string; layers: string[]; tags: string[] }> {
  let v: unknown;
  try {
    v = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw invalid(`manifest.json: ${(e as Error).message}`);
  }
  if (!Array.isArray(v)) throw invalid(`manifest.json: json: cannot unmarshal ${jsonType(v)} into Go value of type []tarexport.manifestItem`);
  return v.map((item: unknown, i) => {
    if (jsonType(item) !== 'object') throw invalid(`manifest.json: json: cannot unmarshal ${jsonType(item)} into Go value of type tarexport.manifestItem`);
    const e = item as Partial<Record<'Config' | 'Layers' | 'RepoTags', unknown>>;
    if (!Array.isArray(e.Layers)) throw invalid(`manifest.json: entry ${i}: Layers must be a list of paths`);
    if (e.RepoTags !== undefined && e.RepoTags !== null && !Array.isArray(e.RepoTags)) throw invalid(`manifest.json: entry ${i}: RepoTags must be a list`);
    const tags = ((e.RepoTags as unknown[] | null | undefined) ?? []).map((t) => {
      if (typeof t !== 'string') throw invalid(`manifest.json: entry ${i}: RepoTags must be strings`);
      const ref = parseReference(t);
      if (ref.digest) throw invalid(`manifest.json: entry ${i}: ${t} is not a tag`);
      return formatReference(ref);
    });
    return { config: manifestPath(e.Config, `entry ${i} Config`), layers: e.Layers.map((l, j) => manifestPath(l, `entry ${i} Layers[${j}]`)), tags };
  });
}

async function readSmallBlob(store: ImageStore, blob: StoredBlob, what: string): Promise<Buffer> {
  if (blob.size > MAX_ARCHIVE_METADATA_BYTES) throw invalid(`${what} is larger than ${MAX_ARCHIVE_METADATA_BYTES} bytes`);
  return store.readBlob(blob.digest);
}

/**
 * `docker load`: read a docker-archive (or Docker 25+ OCI-style save) tar. Files become blobs;
 * every image is verified first (manifest.json's shape, each config, each layer a valid tar that
 * hashes to the config's diff id), and only then are images recorded and tagged. A hostile or
 * broken archive is refused whole with InvalidParameterError and leaves nothing: no image, no
 * tag, no blob (a failure while recording undoes what was recorded).
 */
export async function loadImages(store: ImageStore, source: AsyncIterable<Uint8Array>): Promise<LoadedImage[]> {
  const files = new ArchiveFiles();
  const held: Array<() => void> = [];
  const hold = (digests: string[]) => held.push(store.hold(digests));
  try {
    await walkTar(source, async (h, body) => {
      const name = safeEntryPath(h.name);
      switch (h.type) {
        case 'directory':
          return;
        case 'file':
        case 'contiguous-file': {
          const blob = await store.putBlob(body);
          hold([blob.digest]);
          // In the OCI layout a blob's name is its digest: a file that does not hash to its name is
          // corrupt, however well its JSON or tar still parses (containerd refuses it the same way).
          const named = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(name);
          if (named && blob.digest !== `sha256:${named[1]}`) throw invalid(`${name}: its content hashes to ${blob.digest}`);
          files.setFile(name, blob);
          return;
        }
        case 'symlink':
          if (!h.linkname || h.linkname.includes('\0')) throw invalid(`bad symlink ${JSON.stringify(name)}`);
          files.setSymlink(name, h.linkname);
          return;
        case 'link':
          files.setHardlink(name, safeEntryPath(h.linkname ?? ''));
          return;
        default:
          throw invalid(`unsupported entry ${JSON.stringify(name)} of type ${String(h.type)}`);
      }
    });
    const manifestJson = (() => {
      try {
        return files.lookup('manifest.json');
      } catch {
        throw invalid('no manifest.json');
      }
    })();
    const entries = parseArchiveManifest(await readSmallBlob(store, manifestJson, 'manifest.json'));
    const verified: Array<{ manifest: StoredBlob; tags: string[] }> = [];
    const diffIds = new Map<string, string>();
    for (const e of entries) {
      const cfg = files.lookup(e.config);
      const config = parseImageConfig(await readSmallBlob(store, cfg, e.config));
      if (e.layers.length !== config.rootfs.diff_ids.length) {
        throw invalid(`invalid manifest, layers length mismatch: expected ${e.layers.length}, got ${config.rootfs.diff_ids.length}`);
      }
      const layers: Descriptor[] = [];
      for (const [i, path] of e.layers.entries()) {
        const f = files.lookup(path);
        let diffId = diffIds.get(f.digest);
        if (diffId === undefined) {
          diffId = await walkLayer(await store.openBlob(f.digest), async () => undefined);
          diffIds.set(f.digest, diffId);
        }
        if (diffId !== config.rootfs.diff_ids[i]) throw invalid(`invalid diffID for layer ${i}: expected "${config.rootfs.diff_ids[i]}", got "${diffId}"`);
        layers.push({ mediaType: diffId === f.digest ? MediaType.OciLayer : MediaType.OciLayerGzip, digest: f.digest, size: f.size });
      }
      const manifest: ImageManifest = {
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, digest: cfg.digest, size: cfg.size },
        layers,
      };
      const m = await store.putBlob(jsonBytes(manifest));
      hold([m.digest]);
      verified.push({ manifest: m, tags: e.tags });
    }
    return await record(store, verified);
  } finally {
    for (const r of held) r();
    await store.gc().catch(() => undefined);
  }
}

/** Record verified images and their tags; on a failure, undo: new images removed, moved tags put back. */
async function record(store: ImageStore, verified: Array<{ manifest: StoredBlob; tags: string[] }>): Promise<LoadedImage[]> {
  const before = new Set((await store.listImages()).map((i) => i.manifestDigest));
  const tagsBefore = new Map((await store.listTags()).map((t) => [t.name, t.manifestDigest]));
  const tagged: string[] = [];
  try {
    const loaded: LoadedImage[] = [];
    for (const v of verified) loaded.push({ image: await store.addImage(v.manifest.digest), tags: v.tags });
    for (const l of loaded) {
      for (const t of l.tags) {
        tagged.push(t);
        await store.setTag(t, l.image.manifestDigest);
      }
    }
    return loaded;
  } catch (e) {
    for (const t of tagged) {
      const old = tagsBefore.get(t);
      await (old ? store.setTag(t, old) : store.deleteTag(t)).catch(() => undefined);
    }
    for (const v of verified) if (!before.has(v.manifest.digest)) await store.deleteImage(v.manifest.digest).catch(() => undefined);
    throw e;
  }
}
