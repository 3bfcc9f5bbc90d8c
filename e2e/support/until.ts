import { eventually } from '@app/common/testing';

/** `eventually` with the patience of multi-host scenarios: 30 s, polled every 200 ms. */
export function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 30_000, everyMs = 200): Promise<T> {
  return eventually(what, fn, ms, everyMs);
}
