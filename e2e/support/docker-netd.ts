import { createTempNetns, nsExec, run, type TempNetns } from '@app/kernel/testing';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type NetdProcess, removeDir, startNetd } from '../../apps/netd/src/testing/netd-process';

export type DockerResult = { rc: number; out: string; err: string };

/** Throw with what docker printed unless it exited 0; its stdout otherwise. */
export function ok(r: DockerResult): string {
  if (r.rc !== 0) throw new Error(`docker failed (${r.rc}): ${r.err}${r.out}`);
  return r.out;
}

/**
 * One netd in a fresh test host namespace, driven by the docker 28 client. Its sandbox namespaces
 * go to its own `--netns-dir`, so cleanup and leftover checks see this daemon's and no other's.
 */
export interface DockerNetd {
  readonly host: TempNetns;
  readonly dir: string;
  /** The daemon's namespace directory. */
  readonly nsDir: string;
  readonly netd: NetdProcess;
  /** The docker client against this daemon (synchronous; HOME keeps a machine's docker config out). */
  d(...args: string[]): DockerResult;
  /** Start the daemon again on the same directory and data root (after stop or kill9). */
  restart(): Promise<NetdProcess>;
  /** Remove every container, stop the daemon, unmount its namespaces, delete the host namespace and the directory. */
  dispose(): Promise<void>;
}

export interface DockerNetdOptions {
  /** Name of the default bridge (unique per suite, all suites share the machine). */
  readonly bridge: string;
  /** Extra environment for the client (e.g. DOCKER_BUILDKIT=0). */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

export async function startDockerNetd(o: DockerNetdOptions): Promise<DockerNetd> {
  const host = await createTempNetns();
  await nsExec(host.name, 'ip', ['link', 'set', 'lo', 'up']);
  const dir = mkdtempSync(join(tmpdir(), 'netd-t-'));
  const nsDir = join(dir, 'netns');
  const start = (dataRoot?: string) => startNetd({ hostNetns: host.ref.path, bridge: o.bridge, dir, dataRoot, extraArgs: ['--netns-dir', nsDir] });
  let netd: NetdProcess;
  try {
    netd = await start();
  } catch (e) {
    await host.dispose();
    removeDir(dir);
    throw e;
  }
  const d = (...args: string[]): DockerResult => {
    const r = spawnSync('docker', ['-H', `unix://${netd.socket}`, ...args], {
      encoding: 'utf8',
      timeout: o.timeoutMs ?? 60_000,
      env: { PATH: process.env.PATH, HOME: '/nonexistent', ...o.env },
    });
    return { rc: r.status ?? -1, out: r.stdout, err: r.stderr };
  };
  return {
    host,
    dir,
    nsDir,
    get netd() {
      return netd;
    },
    d,
    async restart() {
      netd = await start(netd.dataRoot);
      return netd;
    },
    async dispose() {
      const ids = d('ps', '-aq').out.split('\n').filter(Boolean);
      if (ids.length > 0) d('rm', '-f', ...ids);
      await netd.stop();
      if (existsSync(nsDir)) {
        for (const n of readdirSync(nsDir)) await run('umount', ['-l', join(nsDir, n)]).catch(() => undefined);
        if (readFileSync('/proc/self/mountinfo', 'utf8').includes(` ${nsDir} `)) await run('umount', ['-l', nsDir]).catch(() => undefined);
      }
      await host.dispose();
      if (process.env.KEEP_NETD !== '1') removeDir(dir);
    },
  };
}
