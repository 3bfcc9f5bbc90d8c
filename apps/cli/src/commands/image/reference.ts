import { familiarName as familiarRepository, familiarString as familiarReference, fullName, parseReference as parseImageReference, type ImageReference } from '@app/common';

/**
 * Image references as netctl's commands use them, on the daemon's own parser (libs/common's
 * image-reference): the repository fully qualified, the tag and digest only as given.
 */
export interface ImageRef {
  /** Fully qualified repository: `docker.io/library/busybox`. */
  name: string;
  tag?: string;
  digest?: string;
}

function parse(ref: string): ImageReference {
  try {
    return parseImageReference(ref, { defaultTag: false });
  } catch {
    throw new Error(`invalid reference format: ${ref}`);
  }
}

export function parseReference(ref: string): ImageRef {
  const r = parse(ref);
  return { name: fullName(r), tag: r.tag, digest: r.digest };
}

/** `docker.io/library/busybox` → `busybox`; `docker.io/me/x` → `me/x`; others unchanged. */
export function familiarName(name: string): string {
  return familiarRepository(parse(name));
}

/** The familiar form of any reference string (`busybox:latest` for `docker.io/library/busybox:latest`). */
export function familiarString(ref: string): string {
  return familiarReference(parse(ref));
}

export const DOCKER_INDEX_SERVER = 'https://index.docker.io/v1/';
