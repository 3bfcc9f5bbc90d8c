// Opt-in (BENCH_SPANS=1) wall-time spans for the daemon the bench starts: wraps the async methods
// of the classes on the create/start path and prints per-method totals and medians on exit. It
// changes nothing in netd itself; the daemon runs from this bundle, so the classes are the same.
import { ContainerManager, RuncRuntime } from '@app/container';
import { ContainerNetworking } from '../../apps/netd/src/containers/container-network';
import { ContainersService } from '../../apps/netd/src/containers/containers.service';
import { EndpointsService } from '../../apps/netd/src/networks/endpoints.service';
import { SandboxesService } from '../../apps/netd/src/sandboxes/sandboxes.service';
import { SqliteContainerStore } from '../../apps/netd/src/store/sqlite-container-store';

type Proto = Record<string, unknown>;
const spans = new Map<string, number[]>();

function wrap(name: string, proto: Proto): void {
  for (const key of Object.getOwnPropertyNames(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, key);
    if (key === 'constructor' || !d || typeof d.value !== 'function') continue;
    const fn = d.value as (...a: unknown[]) => unknown;
    proto[key] = function (this: unknown, ...a: unknown[]) {
      const t0 = performance.now();
      const done = () => {
        const k = `${name}.${key}`;
        const xs = spans.get(k) ?? [];
        xs.push(performance.now() - t0);
        spans.set(k, xs);
      };
      const r = fn.apply(this, a);
      if (r instanceof Promise) return r.finally(done);
      done();
      return r;
    };
  }
}

export function installSpans(): void {
  const classes = { ContainerManager, RuncRuntime, ContainerNetworking, ContainersService, EndpointsService, SandboxesService, SqliteContainerStore };
  for (const [n, c] of Object.entries(classes)) wrap(n, c.prototype as unknown as Proto);
  process.on('SIGUSR2', () => {
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const rows = [...spans].map(([k, xs]) => {
      const s = [...xs].sort((a, b) => a - b);
      // the first and the last 25 calls: for once-per-run methods, the start and the end of the scale run
      return { k, n: xs.length, total: xs.reduce((a, b) => a + b, 0), med: med(xs), p90: s[Math.floor(s.length * 0.9)], first: med(xs.slice(0, 25)), last: med(xs.slice(-25)) };
    }).sort((a, b) => b.total - a.total);
    for (const r of rows.slice(0, 45)) {
      process.stdout.write(`span ${r.k.padEnd(40)} n=${String(r.n).padStart(5)} total=${r.total.toFixed(0).padStart(6)} ms med=${r.med.toFixed(2)} p90=${r.p90.toFixed(2)} first25=${r.first.toFixed(2)} last25=${r.last.toFixed(2)}\n`);
    }
    spans.clear();
  });
}
