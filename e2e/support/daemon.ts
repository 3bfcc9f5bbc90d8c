import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { type NetdSuite, type NetdSuiteOptions, useNetd } from '../../apps/netd/src/testing/netd-suite';

export const ROOT = resolve(__dirname, '../..');
/** netctl as apps/cli/build.mjs builds it. */
export const NETCTL = join(ROOT, 'dist/cli/netctl.js');

/** Build netctl from the sources of this checkout, so a suite never runs a stale one. */
export function buildNetctl(): void {
  const built = spawnSync(process.execPath, [join(ROOT, 'apps/cli/build.mjs')], { stdio: 'pipe', timeout: 60_000 });
  if (built.status !== 0) throw new Error(`apps/cli/build.mjs failed: ${built.stderr}`);
}

export interface NetdForSuiteOptions extends NetdSuiteOptions {
  /** Build netctl before anything else (the suite runs NETCTL). */
  netctl?: boolean;
}

/**
 * One netd in a fresh host namespace for the e2e suite this is called in (useNetd: setup in
 * beforeAll, the daemon's log when a test fails, every container, the daemon, the namespace and
 * the directory gone in afterAll), with netctl built first when the suite drives it.
 */
export function useNetdForSuite(o: NetdForSuiteOptions = {}): NetdSuite {
  const { netctl, prepare, ...rest } = o;
  return useNetd({
    ...rest,
    prepare: async () => {
      if (netctl) buildNetctl();
      await prepare?.();
    },
  });
}
