import { familiarString, formatReference, type ImageReference, InvalidParameterError, NotFoundError, parseReference, SystemError } from '@app/common';
import {
  formatPlatform, INDEX_TYPES, MANIFEST_TYPES, parseImageConfig, parseManifest, parsePlatform, selectPlatform, sha256,
  type Descriptor, type ImageManifest,
} from '../oci';
import type { ImageRecord, ImageStore } from '../store/image-store.port';
import { mapLimit, shortDigest, type ProgressListener } from './progress';
import { errorBody, MAX_MANIFEST_BYTES, readLimited, statusError, type RegistryClient } from './registry-client';

/** Image configs are read whole; a bigger one is refused before it is downloaded. */
export const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

export const MANIFEST_ACCEPT = [...INDEX_TYPES, ...MANIFEST_TYPES].join(', ');

export interface PullOptions {
  /** `os/arch[/variant]`; linux/amd64 unless given. */
  platform?: string;
  onProgress?: ProgressListener;
  /** Layers downloaded at once (Docker's max-concurrent-downloads is 3). */
  concurrency?: number;
  /** Unpack layers after download (default true), as Docker extracts on pull. */
  unpack?: boolean;
}

export interface PullResult {
  reference: ImageReference;
  image: ImageRecord;
  /** Digest of what the reference named (the index for a multi-platform image). */
  digest: string;
}

export const scopeOf = (ref: ImageReference, actions = 'pull') => `repository:${ref.repository}:${actions}`;

/** GET a manifest by tag or digest; its bytes are checked against the digest when one is known. */
export async function fetchManifest(client: RegistryClient, ref: ImageReference, reference: string) {
  const res = await client.send({
    registry: ref.registry, method: 'GET', path: `/v2/${ref.repository}/manifests/${reference}`,
    scopes: [scopeOf(ref)], headers: { accept: MANIFEST_ACCEPT },
  });
  if (res.status !== 200) {
    const body = await errorBody(res.body);
    const what = familiarString({ ...ref, ...(reference.startsWith('sha256:') ? { tag: undefined, digest: reference } : { tag: reference, digest: undefined }) });
    throw statusError(res.status, res.status === 404 ? `manifest for ${what} not found` : `fetch manifest for ${what}`, body);
  }
  const bytes = await readLimited(res.body, MAX_MANIFEST_BYTES, `manifest ${reference}`);
  const digest = sha256(bytes);
  if (reference.startsWith('sha256:') && digest !== reference) {
    throw new InvalidParameterError(`manifest verification failed: expected ${reference}, got ${digest}`);
  }
  const contentType = String(res.headers['content-type'] ?? '').split(';')[0].trim();
  return { bytes, digest, parsed: parseManifest(bytes, contentType) };
}

/**
 * Pull an image into the store. Every blob is verified as it is written; the image is recorded
 * and tagged only when all of it is stored, so a failed pull leaves no image (its verified blobs
 * are collected by gc before returning the error).
 */
export async function pullImage(client: RegistryClient, store: ImageStore, refText: string | ImageReference, opts: PullOptions = {}): Promise<PullResult> {
  const ref = typeof refText === 'string' ? parseReference(refText) : refText;
  const progress = opts.onProgress ?? (() => undefined);
  const platform = parsePlatform(opts.platform ?? 'linux/amd64');
  const held: Array<() => void> = [];
  try {
    const top = await fetchManifest(client, ref, ref.digest ?? ref.tag ?? 'latest');
    let chosen = top;
    if (top.parsed.kind === 'index') {
      const desc = selectPlatform(top.parsed.index, platform);
      if (!desc) throw new NotFoundError(`no matching manifest for ${formatPlatform(platform)} in the manifest list entries`);
      chosen = await fetchManifest(client, ref, desc.digest);
      if (chosen.parsed.kind !== 'manifest') throw new InvalidParameterError(`nested manifest list ${desc.digest} is not supported`);
    }
    if (chosen.parsed.kind !== 'manifest') throw new SystemError('unreachable');
    const manifest: ImageManifest = chosen.parsed.manifest;
    if (!ref.digest) progress({ status: `${ref.tag}: Pulling from ${ref.repository.replace(/^library\//, '')}`, id: ref.tag });
    held.push(store.hold([chosen.digest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)]));
    if (manifest.config.size > MAX_CONFIG_BYTES) {
      throw new InvalidParameterError(`image config ${manifest.config.digest} is larger than ${MAX_CONFIG_BYTES} bytes`);
    }

    const cfgBytes = await downloadBlob(client, store, ref, manifest.config);
    const config = parseImageConfig(await store.readBlob(cfgBytes.digest));
    if (config.rootfs.diff_ids.length !== manifest.layers.length) {
      throw new InvalidParameterError(`image config has ${config.rootfs.diff_ids.length} diff ids for ${manifest.layers.length} layers`);
    }
    const existing = await store.getImage(chosen.digest);
    await mapLimit(manifest.layers, opts.concurrency ?? 3, async (layer) => {
      const id = shortDigest(layer.digest);
      if ((await store.statBlob(layer.digest)) === layer.size) return progress({ id, status: 'Already exists' });
      progress({ id, status: 'Pulling fs layer' });
      await downloadBlob(client, store, ref, layer, (current) => progress({ id, status: 'Downloading', progressDetail: { current, total: layer.size } }));
      progress({ id, status: 'Download complete' });
    });
    await store.putBlob(chosen.bytes, { digest: chosen.digest });
    const image = await store.addImage(chosen.digest);
    try {
      if (opts.unpack !== false) await store.unpack(image.manifestDigest);
    } catch (e) {
      if (!existing) await store.deleteImage(image.manifestDigest);
      throw e;
    }
    for (const l of manifest.layers) if (!existing) progress({ id: shortDigest(l.digest), status: 'Pull complete' });
    for (const l of [manifest.config, ...manifest.layers]) client.recordBlobRepo(ref.registry, ref.repository, l.digest);
    const tagged = ref.digest ? undefined : formatReference(ref);
    const before = tagged ? (await store.listTags()).find((t) => t.name === tagged)?.manifestDigest : undefined;
    if (tagged) await store.setTag(tagged, chosen.digest);
    progress({ status: `Digest: ${top.digest}` });
    const fresh = before !== chosen.digest && !(existing && ref.digest);
    progress({ status: `Status: ${fresh ? 'Downloaded newer image' : 'Image is up to date'} for ${familiarString(ref)}` });
    return { reference: ref, image, digest: top.digest };
  } catch (e) {
    for (const r of held.splice(0)) r();
    await store.gc().catch(() => undefined);
    throw e;
  } finally {
    for (const r of held) r();
  }
}

async function downloadBlob(client: RegistryClient, store: ImageStore, ref: ImageReference, desc: Descriptor, onBytes?: (n: number) => void) {
  if ((await store.statBlob(desc.digest)) === desc.size) return { digest: desc.digest, size: desc.size };
  const res = await client.send({ registry: ref.registry, method: 'GET', path: `/v2/${ref.repository}/blobs/${desc.digest}`, scopes: [scopeOf(ref)] });
  if (res.status !== 200) throw statusError(res.status, `fetch blob ${desc.digest}`, await errorBody(res.body));
  const body = res.body;
  const metered = (async function* () {
    let current = 0;
    let last = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      current += chunk.length;
      if (onBytes && (current - last > 512 * 1024 || current === desc.size)) {
        last = current;
        onBytes(current);
      }
      yield chunk;
    }
  })();
  try {
    return await store.putBlob(metered, { digest: desc.digest, size: desc.size });
  } catch (e) {
    if (e instanceof InvalidParameterError) {
      throw new InvalidParameterError(`filesystem layer verification failed for digest ${desc.digest}: ${e.message}`, { cause: e });
    }
    throw e;
  }
}
