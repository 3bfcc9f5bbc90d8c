/**
 * The part of docker's reference package netctl needs: split `[registry/]path[:tag][@digest]`,
 * normalise to docker.io/library/…, and print the familiar form back.
 */
export interface ImageRef {
  /** Fully qualified repository: `docker.io/library/busybox`. */
  name: string;
  tag?: string;
  digest?: string;
}

const DEFAULT_DOMAIN = 'docker.io';

export function parseReference(ref: string): ImageRef {
  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(stripDomain(rest).path) || (tag !== undefined && !/^\w[\w.-]{0,127}$/.test(tag))) {
    throw new Error(`invalid reference format: ${ref}`);
  }
  const { domain, path } = stripDomain(rest);
  const full = domain === DEFAULT_DOMAIN && !path.includes('/') ? `library/${path}` : path;
  return { name: `${domain}/${full}`, tag, digest };
}

function stripDomain(name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash < 0 ? '' : name.slice(0, slash);
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())) {
    return { domain: first === 'index.docker.io' ? DEFAULT_DOMAIN : first, path: name.slice(slash + 1) };
  }
  return { domain: DEFAULT_DOMAIN, path: name };
}

/** `docker.io/library/busybox` → `busybox`; `docker.io/me/x` → `me/x`; others unchanged. */
export function familiarName(name: string): string {
  if (name.startsWith('docker.io/library/')) return name.slice('docker.io/library/'.length);
  if (name.startsWith('docker.io/')) return name.slice('docker.io/'.length);
  return name;
}

/** The familiar form of any reference string (`busybox:latest` for `docker.io/library/busybox:latest`). */
export function familiarString(ref: string): string {
  const r = parseReference(ref);
  return `${familiarName(r.name)}${r.tag !== undefined ? `:${r.tag}` : ''}${r.digest ? `@${r.digest}` : ''}`;
}

export const DOCKER_INDEX_SERVER = 'https://index.docker.io/v1/';
