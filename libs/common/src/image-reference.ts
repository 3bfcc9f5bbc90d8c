import { InvalidParameterError } from './errors';

/**
 * A normalised image reference, as Docker's distribution/reference package parses it:
 * `busybox` → docker.io/library/busybox:latest.
 */
export interface ImageReference {
  /** Registry host (and port), e.g. `docker.io`, `127.0.0.1:5000`, `localhost`. */
  readonly registry: string;
  /** Repository path inside the registry, e.g. `library/busybox`. */
  readonly repository: string;
  /** Tag; `latest` when neither a tag nor a digest was given. */
  readonly tag?: string;
  /** `sha256:<hex>` when the reference pins a digest. */
  readonly digest?: string;
}

export const DEFAULT_REGISTRY = 'docker.io';
export const DEFAULT_TAG = 'latest';
const LEGACY_REGISTRY = 'index.docker.io';
const NAME_TOTAL_LENGTH_MAX = 255;

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IPV6 = '\\[(?:[a-fA-F0-9:]+)\\]';
const DOMAIN_RE = new RegExp(`^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|${IPV6})(?::[0-9]+)?$`);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const SHA256_RE = /^sha256:[a-f0-9]{64}$/;

function invalid(detail?: string): InvalidParameterError {
  return new InvalidParameterError(detail ? `invalid reference format: ${detail}` : 'invalid reference format');
}

/** Validate a content digest; only sha256 is stored, as in Docker. */
export function parseDigest(text: string): string {
  if (!DIGEST_RE.test(text)) throw new InvalidParameterError(`invalid digest format: ${text}`);
  if (!SHA256_RE.test(text)) throw new InvalidParameterError(`unsupported digest algorithm: ${text}`);
  return text;
}

export function isDigest(text: string): boolean {
  return SHA256_RE.test(text);
}

/**
 * Parse and normalise a reference. The first path component is a registry when it contains
 * '.' or ':', is `localhost`, or has upper-case letters (Docker's `splitDockerDomain`).
 * Throws InvalidParameterError `invalid reference format…` for anything the grammar rejects.
 */
export function parseReference(text: string, opts: { defaultTag?: boolean } = {}): ImageReference {
  if (text.length === 0) throw invalid();
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    const d = rest.slice(at + 1);
    if (!DIGEST_RE.test(d)) throw invalid();
    digest = parseDigest(d);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    if (!TAG_RE.test(tag)) throw invalid();
    rest = rest.slice(0, colon);
  }
  if (rest.length === 0) throw invalid();
  if (rest.length > NAME_TOTAL_LENGTH_MAX) throw invalid(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);

  let registry = DEFAULT_REGISTRY;
  let path = rest;
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  if (slash >= 0 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first)) {
    if (!DOMAIN_RE.test(first)) throw invalid();
    registry = first === LEGACY_REGISTRY ? DEFAULT_REGISTRY : first;
    path = rest.slice(slash + 1);
  }
  const components = path.split('/');
  for (const c of components) {
    if (!PATH_COMPONENT_RE.test(c)) {
      if (c.toLowerCase() !== c && PATH_COMPONENT_RE.test(c.toLowerCase())) {
        throw invalid('repository name must be lowercase');
      }
      throw invalid();
    }
  }
  if (registry === DEFAULT_REGISTRY && components.length === 1) path = `library/${path}`;
  if (!tag && !digest && opts.defaultTag !== false) tag = DEFAULT_TAG;
  return { registry, repository: path, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/** `docker.io/library/busybox` — the repository with its registry. */
export function fullName(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}`;
}

/** The fully qualified form: `docker.io/library/busybox:latest`, `host/x@sha256:…`. */
export function formatReference(ref: ImageReference): string {
  return `${fullName(ref)}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** Docker's short form: `busybox:latest`, `user/app:1`, `127.0.0.1:5000/x:y`. */
export function familiarName(ref: ImageReference): string {
  let name = fullName(ref);
  if (ref.registry === DEFAULT_REGISTRY) {
    name = ref.repository.startsWith('library/') && ref.repository.split('/').length === 2
      ? ref.repository.slice('library/'.length)
      : ref.repository;
  }
  return name;
}

export function familiarString(ref: ImageReference): string {
  return `${familiarName(ref)}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

