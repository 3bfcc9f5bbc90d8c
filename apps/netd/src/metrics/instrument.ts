/** Where a timed operation went: the component (netlink, nft, runc), the port method, ok or error. */
export type OperationObserver = (component: string, op: string, seconds: number, ok: boolean) => void;

/**
 * The port object itself, with the named methods (default: every method) timed whenever they
 * return a promise. The ports stay free of prom-client: the daemon wraps them where it builds
 * them, so libs/kernel and libs/container know nothing of metrics and their fakes are unaffected.
 *
 * Methods run on the target, never on the proxy (RtNetlink and RuncRuntime keep private state);
 * `instanceof` still sees the target's class, which the DNS factory relies on.
 */
export function instrumentPort<T extends object>(target: T, component: string, observe: OperationObserver, only?: readonly string[]): T {
  const allowed = only && new Set(only);
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(t, prop, _receiver) {
      const value = Reflect.get(t, prop, t) as unknown;
      if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'constructor' || (allowed && !allowed.has(prop))) {
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
      }
      let w = wrapped.get(prop);
      if (!w) {
        const fn = value as (...a: unknown[]) => unknown;
        w = (...args: unknown[]) => {
          const t0 = performance.now();
          const r = fn.apply(t, args);
          if (!(r instanceof Promise)) return r;
          return r.then(
            (v) => {
              observe(component, prop, (performance.now() - t0) / 1000, true);
              return v;
            },
            (e) => {
              observe(component, prop, (performance.now() - t0) / 1000, false);
              throw e;
            },
          );
        };
        wrapped.set(prop, w);
      }
      return w;
    },
  });
}
