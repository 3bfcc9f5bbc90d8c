import { NetdError } from '@app/common';

/** The seed of a fuzz run: FUZZ_SEED to replay one, else a fixed one so CI is deterministic. */
export function fuzzSeed(fallback: number): number {
  const env = process.env.FUZZ_SEED;
  return env !== undefined && /^\d+$/.test(env) ? Number(env) : fallback;
}

const CLIENT_KINDS = new Set(['invalid-parameter', 'not-found', 'conflict', 'forbidden']);

/** What is wrong with an outcome of a hostile input, or undefined: success, or a 4xx NetdError. */
export function badOutcome(e: unknown): string | undefined {
  if (e === undefined) return undefined;
  if (e instanceof NetdError && CLIENT_KINDS.has(e.kind)) return undefined;
  const err = e as Error;
  return `threw ${err?.constructor?.name ?? typeof e}${e instanceof NetdError ? ` (${e.kind})` : ''}: ${String(err?.message ?? e).slice(0, 200)}`;
}

/** Run `fn` with a time limit: a hang is a failure like any other. */
export async function within<T>(ms: number, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([fn(), new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
