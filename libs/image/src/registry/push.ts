import { Readable } from 'node:stream';
import { familiarName, formatReference, type ImageReference, NotFoundError, parseReference, SystemError } from '@app/common';
import { parseManifest, type Descriptor } from '../oci';
import type { ImageStore } from '../store/image-store.port';
import { mapLimit, shortDigest, type ProgressListener } from './progress';
import { scopeOf } from './pull';
import { errorBody, statusError, type RegistryClient } from './registry-client';

export interface PushOptions {
  onProgress?: ProgressListener;
  /** Upload blobs larger than this in PATCH chunks of this size; smaller ones in one PUT. */
  chunkSize?: number;
  /** Repositories on the same registry to try cross-repository mounts from (besides known ones). */
  mountFrom?: readonly string[];
  concurrency?: number;
}

export interface PushResult {
  digest: string;
  size: number;
  /** How each blob got there: `exists`, `mounted` or `uploaded`. */
  blobs: Record<string, 'exists' | 'mounted' | 'uploaded'>;
}

/**
 * Push the image the store has under `refText` (a tag) to its registry: blobs first (HEAD to skip
 * existing ones, a cross-repository mount when the blob is known in another repository, else an
 * upload), then the manifest bytes unchanged, so the digest is the same on both sides.
 */
export async function pushImage(client: RegistryClient, store: ImageStore, refText: string | ImageReference, opts: PushOptions = {}): Promise<PushResult> {
  const ref = typeof refText === 'string' ? parseReference(refText) : refText;
  const progress = opts.onProgress ?? (() => undefined);
  const name = formatReference(ref);
  const manifestDigest = ref.digest ?? (await store.listTags()).find((t) => t.name === name)?.manifestDigest;
  if (!manifestDigest) throw new NotFoundError(`An image does not exist locally with the tag: ${familiarName(ref)}`);
  const bytes = await store.readBlob(manifestDigest);
  const parsed = parseManifest(bytes);
  if (parsed.kind !== 'manifest') throw new SystemError(`${manifestDigest} is not an image manifest`);
  progress({ status: `The push refers to repository [${ref.registry}/${ref.repository}]` });
  const blobs: PushResult['blobs'] = {};
  const all = [...parsed.manifest.layers, parsed.manifest.config];
  await mapLimit(all, opts.concurrency ?? 3, async (desc) => {
    const id = shortDigest(desc.digest);
    const how = await pushBlob(client, store, ref, desc, opts, (current) => progress({ id, status: 'Pushing', progressDetail: { current, total: desc.size } }));
    blobs[desc.digest] = how;
    client.recordBlobRepo(ref.registry, ref.repository, desc.digest);
    if (desc !== parsed.manifest.config) {
      progress({ id, status: how === 'exists' ? 'Layer already exists' : how === 'mounted' ? 'Mounted from elsewhere' : 'Pushed' });
    }
  });
  const res = await client.send({
    registry: ref.registry, method: 'PUT', path: `/v2/${ref.repository}/manifests/${ref.tag ?? manifestDigest}`,
    scopes: [scopeOf(ref, 'pull,push')], headers: { 'content-type': parsed.mediaType }, body: () => bytes,
  });
  const text = await errorBody(res.body);
  if (res.status !== 201) throw statusError(res.status, `push manifest to ${familiarName(ref)}`, text);
  const echoed = res.headers['docker-content-digest'];
  if (echoed && echoed !== manifestDigest) throw new SystemError(`registry stored manifest as ${String(echoed)}, expected ${manifestDigest}`);
  progress({ status: `${ref.tag ?? manifestDigest}: digest: ${manifestDigest} size: ${bytes.length}` });
  return { digest: manifestDigest, size: bytes.length, blobs };
}

async function pushBlob(
  client: RegistryClient, store: ImageStore, ref: ImageReference, desc: Descriptor, opts: PushOptions, onBytes: (n: number) => void,
): Promise<'exists' | 'mounted' | 'uploaded'> {
  const path = `/v2/${ref.repository}/blobs`;
  const head = await client.send({ registry: ref.registry, method: 'HEAD', path: `${path}/${desc.digest}`, scopes: [scopeOf(ref, 'pull,push')] });
  await head.body.dump();
  if (head.status === 200) return 'exists';
  const sources = [...new Set([...(opts.mountFrom ?? []), ...client.blobRepos(ref.registry, desc.digest)])].filter((r) => r !== ref.repository);
  let location: string | undefined;
  for (const from of sources) {
    const res = await client.send({
      registry: ref.registry, method: 'POST', path: `${path}/uploads/?mount=${encodeURIComponent(desc.digest)}&from=${encodeURIComponent(from)}`,
      scopes: [scopeOf(ref, 'pull,push'), `repository:${from}:pull`],
    });
    const text = await errorBody(res.body);
    if (res.status === 201) return 'mounted';
    // 202: the registry could not mount and opened an ordinary upload instead.
    if (res.status === 202 && res.headers.location) {
      location = String(res.headers.location);
      break;
    }
    if (res.status >= 500) throw statusError(res.status, `mount blob ${desc.digest}`, text);
  }
  location ??= await startUpload(client, ref, path);
  const chunk = opts.chunkSize;
  if (chunk && desc.size > chunk) {
    const data = await store.readBlob(desc.digest);
    for (let offset = 0; offset < data.length; offset += chunk) {
      const part = data.subarray(offset, Math.min(offset + chunk, data.length));
      const res = await client.send({
        registry: ref.registry, method: 'PATCH', path: location, scopes: [scopeOf(ref, 'pull,push')],
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + part.length - 1}`, 'content-length': String(part.length) },
        body: () => part,
      });
      const text = await errorBody(res.body);
      if (res.status !== 202 || !res.headers.location) throw statusError(res.status, `upload chunk of ${desc.digest}`, text);
      location = String(res.headers.location);
      onBytes(offset + part.length);
    }
    await finishUpload(client, ref, location, desc, () => Buffer.alloc(0), 0);
  } else {
    await finishUpload(client, ref, location, desc, () => streamWithProgress(store, desc.digest, onBytes), desc.size);
  }
  return 'uploaded';
}

async function startUpload(client: RegistryClient, ref: ImageReference, path: string): Promise<string> {
  const res = await client.send({ registry: ref.registry, method: 'POST', path: `${path}/uploads/`, scopes: [scopeOf(ref, 'pull,push')] });
  const text = await errorBody(res.body);
  if (res.status !== 202 || !res.headers.location) throw statusError(res.status, `start upload to ${ref.repository}`, text);
  return String(res.headers.location);
}

async function finishUpload(
  client: RegistryClient, ref: ImageReference, location: string, desc: Descriptor, body: () => Buffer | Readable, length: number,
): Promise<void> {
  const url = new URL(location, client.baseUrl(ref.registry));
  url.searchParams.set('digest', desc.digest);
  const res = await client.send({
    registry: ref.registry, method: 'PUT', path: url.toString(), scopes: [scopeOf(ref, 'pull,push')],
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(length) }, body,
  });
  const text = await errorBody(res.body);
  if (res.status !== 201) throw statusError(res.status, `upload blob ${desc.digest}`, text);
}

function streamWithProgress(store: ImageStore, digest: string, onBytes: (n: number) => void): Readable {
  return Readable.from(
    (async function* () {
      let sent = 0;
      for await (const chunk of await store.openBlob(digest)) {
        sent += (chunk as Buffer).length;
        onBytes(sent);
        yield chunk as Buffer;
      }
    })(),
  );
}
