import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildOciConfig } from '../bundle';
import { detectCgroupMode } from '../cgroups';
import { containerPaths } from '../layout';

export const BUSYBOX = '/bin/busybox';

/**
 * A busybox root filesystem in `dir` made from the machine's static busybox: bin/busybox plus
 * one symlink per applet (what `busybox --install -s` would make), a root passwd/group entry,
 * and the mount points runc needs. Used as the single lower layer of test containers.
 */
export function makeBusyboxRootfs(dir: string): string {
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync(BUSYBOX, join(dir, 'bin', 'busybox'));
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
  for (const a of applets) symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');
  return dir;
}

/** Write a minimal bundle for runtime-level tests (no manager): config.json and empty /etc files. */
export async function writeTestBundle(
  stateDir: string,
  id: string,
  args: readonly string[],
  network: { netnsPath: string } | 'host',
  cgroupParent = '/netd-test',
): Promise<void> {
  const paths = containerPaths(stateDir, id);
  await mkdir(paths.dir, { recursive: true });
  const config = buildOciConfig(
    { id, args, env: [], user: { uid: 0, gid: 0 }, hostname: id.slice(0, 12), terminal: false, network, cgroup: { mode: detectCgroupMode(), parent: cgroupParent } },
    paths,
  );
  await writeFile(paths.config, JSON.stringify(config));
  await Promise.all([paths.hosts, paths.resolvConf, paths.hostname].map((f) => writeFile(f, '')));
}
