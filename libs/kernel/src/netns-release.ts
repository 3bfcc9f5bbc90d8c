/**
 * Whoever holds a handle on a namespace (RtNetlink's sockets) registers here, so deleting the
 * namespace through netd lets it go at once instead of pinning it (and its veths) alive.
 */
const releasers = new Set<(path: string) => void>();

export function onNetnsRelease(fn: (path: string) => void): () => void {
  releasers.add(fn);
  return () => releasers.delete(fn);
}

export function releaseNetns(path: string): void {
  for (const fn of releasers) fn(path);
}
