/**
 * Poll `fn` every `everyMs` until it gives a truthy value (returned) or `ms` pass (throws naming
 * `what`). A rejection counts as "not yet": the thing polled may not be up.
 */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 30_000, everyMs = 200): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
