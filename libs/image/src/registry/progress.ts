/**
 * One progress message, in the shape of the Engine API's streamed JSON for pull/push/build
 * (`{id, status, progressDetail{current,total}}`); `id` is a short digest or a tag.
 */
export interface ProgressEvent {
  id?: string;
  status: string;
  progressDetail?: { current?: number; total?: number };
}

export type ProgressListener = (event: ProgressEvent) => void;

export const shortDigest = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);

/** Run `fn` over `items` with at most `limit` at a time; the first failure rejects (others finish). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        out[i] = await fn(items[i], i);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw failed.error;
  return out;
}
