// runc create+start of a busybox container through netd's RuncRuntime (conmon monitor, overlay
// root) vs a baseline `runc run -d` of an equivalent bundle (plain dir root, no monitor).
// Root only. Everything lives under a fresh /tmp dir and a private runc --root, removed at the end.
import { generateId } from '@app/common';
import { RuncCli } from '@app/kernel/runc';
import { RuncRuntime, containerPaths } from '@app/container';
import { makeBusyboxRootfs, writeTestBundle } from '@app/container/testing';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { dockerClientBench } from './docker-client';
import { bundledNetdCommand } from '../../apps/netd/src/bundled-entry';
import { installSpans } from './spans';

const N = Number(process.env.BENCH_N ?? 30);
const base = `/tmp/netd-bench-run-${randomBytes(4).toString('hex')}`;
const cgroupParent = `/netd-bench-${randomBytes(3).toString('hex')}`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    console.log('bench/run: skipped (needs root)');
    return;
  }
  const layer = makeBusyboxRootfs(join(base, 'layer'));
  const stateDir = join(base, 'containers');
  const runcRoot = join(base, 'runc');
  const runtime = new RuncRuntime({ stateDir, runcRoot, socketDir: join(base, 's') });
  const runc = new RuncCli({ root: runcRoot });
  const ours: number[] = [];
  const baseline: number[] = [];
  try {
    for (let i = 0; i < N; i++) {
      // netd path
      const id = generateId();
      await writeTestBundle(stateDir, id, ['sleep', '1000'], 'host', cgroupParent);
      let t0 = process.hrtime.bigint();
      await runtime.create({ id, lowers: [layer], terminal: false });
      await runtime.start(id);
      ours.push(Number(process.hrtime.bigint() - t0) / 1e6);
      await runtime.delete(id, { force: true });

      // baseline: the same config, root = the busybox dir itself
      const bid = generateId();
      await writeTestBundle(stateDir, bid, ['sleep', '1000'], 'host', cgroupParent);
      const p = containerPaths(stateDir, bid);
      rmSync(p.rootfs, { recursive: true, force: true });
      const cfgPath = p.config;
      const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
      cfg.root.path = layer;
      cfg.root.readonly = true;
      writeFileSync(cfgPath, JSON.stringify(cfg));
      t0 = process.hrtime.bigint();
      await runc.runDetached(bid, p.dir);
      baseline.push(Number(process.hrtime.bigint() - t0) / 1e6);
      await runc.delete(bid, true);
    }
  } finally {
    for (const c of await runc.list().catch(() => [])) await runc.delete(c.id, true).catch(() => undefined);
    for (const h of readdirSync('/sys/fs/cgroup')) {
      const dir = join('/sys/fs/cgroup', h, cgroupParent);
      if (existsSync(dir)) try { rmdirSync(dir); } catch { /* busy */ }
    }
    rmSync(base, { recursive: true, force: true });
  }
  const m = median(ours);
  const b = median(baseline);
  console.log(`runtime create+start (conmon + overlay), median of ${N}: ${m.toFixed(1)} ms`);
  console.log(`baseline runc run -d (plain dir root),   median of ${N}: ${b.toFixed(1)} ms`);
  console.log(`ratio netd/baseline: ${(m / b).toFixed(2)}`);
  await dockerClientBench(N, Number(process.env.BENCH_SCALE ?? 300), b);
}

if (process.argv[2] === '--daemon' && process.env.BENCH_SPANS) installSpans();
const asNetd = bundledNetdCommand();
if (asNetd) {
  void asNetd.then((code) => process.exit(code));
} else {
  mkdirSync(base, { recursive: true });
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
