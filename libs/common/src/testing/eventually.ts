type Falsy = undefined | null | false | 0 | '';

/**
 * Poll `fn` every `everyMs` until it gives a truthy value (returned), or fail once `ms` have
 * passed, naming `what` and the last error seen. A throw or rejection counts as "not yet": the
 * thing polled may not be up. The one poll-until of the tests: a wait that cannot time out
 * silently.
 */
export async function eventually<T>(what: string, fn: () => T | Falsy | Promise<T | Falsy>, ms = 5000, everyMs = 50): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    let v: T | Falsy = undefined;
    try {
      v = await fn();
    } catch (e) {
      last = e;
    }
    if (v) return v;
    if (Date.now() > end) {
      const why = last === undefined ? '' : `; last error: ${last instanceof Error ? last.message : String(last)}`;
      throw new Error(`timed out after ${ms} ms waiting for ${what}${why}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
