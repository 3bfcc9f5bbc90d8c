import { InvalidParameterError } from '@app/common';
import { randomBytes } from 'node:crypto';

/** moby's volume/local `validNamePattern`: at least two characters, the first alphanumeric. */
const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** A volume name is one directory entry under `<data-root>/volumes`, so NAME_MAX bounds it. */
export const VOLUME_NAME_MAX = 255;

/**
 * Throws Docker's InvalidParameterError unless `name` is a valid local volume name. The pattern
 * alone already excludes `/`, NUL and the `.`/`..` entries (they start with a dot).
 */
export function checkVolumeName(name: string): void {
  if (!NAME.test(name)) {
    throw new InvalidParameterError(
      `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
  if (Buffer.byteLength(name) > VOLUME_NAME_MAX) {
    throw new InvalidParameterError(`create ${name.slice(0, 32)}…: volume name is longer than ${VOLUME_NAME_MAX} characters`);
  }
}

export function isVolumeName(name: string): boolean {
  return NAME.test(name) && name.length <= VOLUME_NAME_MAX;
}

/** The name Docker gives a volume created without one: 64 random hex digits. */
export function randomVolumeName(): string {
  return randomBytes(32).toString('hex');
}
