import { InvalidParameterError } from '@app/common';

/** Longest namespace name accepted (a file name under the netns directory). */
export const NETNS_NAME_MAX = 64;

/** Names a file directly under the netns directory: no `/`, not `.`/`..`, not empty. */
export function checkNetnsName(name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name === '.' || name === '..' || name.includes('/') || name.includes('\0')) {
    throw new InvalidParameterError(`invalid network namespace name "${name}"`);
  }
  if (name.length > NETNS_NAME_MAX) {
    throw new InvalidParameterError(`network namespace name "${name}" is longer than ${NETNS_NAME_MAX} characters`);
  }
}
