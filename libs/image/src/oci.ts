import { createHash } from 'node:crypto';
import { InvalidParameterError } from '@app/common';

/** Media types netd reads (Docker schema 2 and OCI) and writes (OCI for images it builds). */
export const MediaType = {
  OciIndex: 'application/vnd.oci.image.index.v1+json',
  OciManifest: 'application/vnd.oci.image.manifest.v1+json',
  OciConfig: 'application/vnd.oci.image.config.v1+json',
  OciLayer: 'application/vnd.oci.image.layer.v1.tar',
  OciLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  DockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  DockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  DockerConfig: 'application/vnd.docker.container.image.v1+json',
  DockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  DockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

export const INDEX_TYPES: readonly string[] = [MediaType.OciIndex, MediaType.DockerManifestList];
export const MANIFEST_TYPES: readonly string[] = [MediaType.OciManifest, MediaType.DockerManifest];

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
}

export interface HistoryEntry {
  created?: string;
  created_by?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** The image configuration (OCI image-spec config.md; Docker adds a few fields). */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  config?: {
    User?: string;
    ExposedPorts?: Record<string, object>;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    Volumes?: Record<string, object>;
    WorkingDir?: string;
    Labels?: Record<string, string>;
    StopSignal?: string;
    /** HEALTHCHECK: durations in nanoseconds. */
    Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number };
  };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: HistoryEntry[];
}

export function sha256(data: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** chainID(L0) = diffID(L0); chainID(Ln) = sha256(chainID(Ln-1) + " " + diffID(Ln)) (image-spec). */
export function chainIds(diffIds: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(out.length === 0 ? d : sha256(`${out[out.length - 1]} ${d}`));
  return out;
}

/** One layer of an image in order: its chain id, the blob it comes from, the diff id it must give. */
export interface ChainedLayer {
  readonly chainId: string;
  readonly blob: string;
  readonly diffId: string;
}

/**
 * An image's layers bottom-up, from its manifest and its config's diff ids (which every store
 * unpacks the same way). InvalidParameterError when the two disagree on the number of layers.
 */
export function layerChain(configDigest: string, manifest: { readonly layers: readonly { readonly digest: string }[] }, diffIds: readonly string[]): ChainedLayer[] {
  if (diffIds.length !== manifest.layers.length) {
    throw new InvalidParameterError(`image ${configDigest}: ${manifest.layers.length} layers but ${diffIds.length} diff ids`);
  }
  return chainIds(diffIds).map((chainId, i) => ({ chainId, blob: manifest.layers[i].digest, diffId: diffIds[i] }));
}

/** The error for a layer whose unpacked content does not hash to its diff id. */
export function diffIdMismatch(layer: ChainedLayer, got: string): InvalidParameterError {
  return new InvalidParameterError(`layer ${layer.blob}: diff id mismatch: expected ${layer.diffId}, got ${got}`);
}

/** Canonical JSON bytes for a manifest/config netd writes (the digest is over these bytes). */
export function jsonBytes(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;

function parseJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'));
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* reported below */
  }
  throw new InvalidParameterError(`invalid ${what}: not a JSON object`);
}

function checkDescriptor(d: unknown, what: string): Descriptor {
  const o = d as Partial<Descriptor> | null;
  // the digest names a file of the store and a registry path: only well-formed sha256 digests
  if (!o || typeof o.digest !== 'string' || !DIGEST_RE.test(o.digest) || !Number.isSafeInteger(o.size) || (o.size as number) < 0 || typeof o.mediaType !== 'string') {
    throw new InvalidParameterError(`invalid ${what}: bad descriptor`);
  }
  return o as Descriptor;
}

export type ParsedManifest =
  | { kind: 'index'; mediaType: string; index: ImageIndex }
  | { kind: 'manifest'; mediaType: string; manifest: ImageManifest };

/** Parse a manifest or index; `contentType` (from the registry) wins over the body's mediaType. */
export function parseManifest(bytes: Uint8Array, contentType?: string): ParsedManifest {
  const o = parseJson(bytes, 'manifest');
  const declared = typeof o.mediaType === 'string' ? o.mediaType : undefined;
  let mediaType = contentType && [...INDEX_TYPES, ...MANIFEST_TYPES].includes(contentType) ? contentType : declared;
  if (!mediaType) mediaType = Array.isArray(o.manifests) ? MediaType.OciIndex : MediaType.OciManifest;
  if (o.schemaVersion !== 2) throw new InvalidParameterError(`unsupported manifest schema version ${String(o.schemaVersion)}`);
  if (INDEX_TYPES.includes(mediaType)) {
    if (!Array.isArray(o.manifests)) throw new InvalidParameterError('invalid manifest list: no manifests');
    o.manifests.forEach((m) => checkDescriptor(m, 'manifest list'));
    return { kind: 'index', mediaType, index: o as unknown as ImageIndex };
  }
  if (MANIFEST_TYPES.includes(mediaType)) {
    checkDescriptor(o.config, 'manifest');
    if (!Array.isArray(o.layers)) throw new InvalidParameterError('invalid manifest: no layers');
    o.layers.forEach((l) => checkDescriptor(l, 'manifest'));
    return { kind: 'manifest', mediaType, manifest: o as unknown as ImageManifest };
  }
  throw new InvalidParameterError(`unsupported manifest media type ${mediaType}`);
}

/** `what` must be absent, or of the JSON type the rest of netd reads it as. */
function checkField(value: unknown, type: 'string' | 'strings' | 'object' | 'array', what: string, nullable = false): void {
  if (value === undefined || (nullable && value === null)) return;
  const ok =
    type === 'string' ? typeof value === 'string'
      : type === 'strings' ? Array.isArray(value) && value.every((v) => typeof v === 'string')
        : type === 'array' ? Array.isArray(value)
          : typeof value === 'object' && value !== null && !Array.isArray(value);
  if (!ok) throw new InvalidParameterError(`invalid image config: ${what} must be ${type === 'strings' ? 'a list of strings' : `a JSON ${type}`}`);
}

/** Parse an image config; the fields netd reads are checked for type, so a hostile config cannot crash a reader later. */
export function parseImageConfig(bytes: Uint8Array): ImageConfig {
  const o = parseJson(bytes, 'image config') as Partial<ImageConfig>;
  if (!o.rootfs || !Array.isArray(o.rootfs.diff_ids)) throw new InvalidParameterError('invalid image config: no rootfs.diff_ids');
  if (!o.rootfs.diff_ids.every((d) => typeof d === 'string' && DIGEST_RE.test(d))) throw new InvalidParameterError('invalid image config: rootfs.diff_ids must be sha256 digests');
  for (const f of ['created', 'author', 'architecture', 'os', 'variant'] as const) checkField(o[f], 'string', f);
  checkField(o.history, 'array', 'history');
  for (const h of o.history ?? []) checkField(h, 'object', 'history entry');
  checkField(o.config, 'object', 'config', true);
  const c = (o.config ?? {}) as Record<string, unknown>;
  for (const f of ['User', 'WorkingDir', 'StopSignal']) checkField(c[f], 'string', `config.${f}`);
  for (const f of ['Env']) checkField(c[f], 'strings', `config.${f}`, true);
  for (const f of ['Entrypoint', 'Cmd']) checkField(c[f], 'strings', `config.${f}`, true);
  for (const f of ['ExposedPorts', 'Volumes', 'Labels']) checkField(c[f], 'object', `config.${f}`, true);
  if (c.Labels && !Object.values(c.Labels).every((v) => typeof v === 'string')) throw new InvalidParameterError('invalid image config: config.Labels values must be strings');
  return o as ImageConfig;
}

/** `linux/amd64`, `linux/arm64/v8` → Platform. */
export function parsePlatform(text: string): Platform {
  const [os, architecture, variant, extra] = text.split('/');
  if (!os || !architecture || extra !== undefined) throw new InvalidParameterError(`invalid platform: ${text}`);
  return { os, architecture, ...(variant ? { variant } : {}) };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** Pick the manifest for `want` from an index (variant must match when asked; arm64 defaults to v8). */
export function selectPlatform(index: ImageIndex, want: Platform): Descriptor | undefined {
  const norm = (p: Platform) => ({ ...p, variant: p.variant ?? (p.architecture === 'arm64' ? 'v8' : undefined) });
  const w = norm(want);
  const candidates = index.manifests.filter((m) => m.platform && m.platform.os === w.os && m.platform.architecture === w.architecture);
  return candidates.find((m) => !w.variant || norm(m.platform as Platform).variant === w.variant) ?? (want.variant ? undefined : candidates[0]);
}
