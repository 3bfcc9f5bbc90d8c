import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A held pid file; `release` removes it if it is still ours. */
export interface PidFile {
  readonly path: string;
  release(): void;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else, which still means "running"
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
};

const readPid = (path: string): number | undefined => {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
};

/**
 * Claim `path` for this process, as dockerd's pidfile does: two daemons on one data root would
 * both write its database and program the same kernel objects. A file left by a process that no
 * longer runs (kill -9, power loss) is taken over; one whose process runs is refused with
 * Docker's wording. The claim is `O_EXCL`, so two daemons starting together cannot both win.
 */
export function claimPidFile(path: string): PidFile {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx', mode: 0o644 });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw e;
      const pid = readPid(path);
      if (pid !== undefined && pid !== process.pid && alive(pid)) {
        throw new Error(`process with PID ${pid} is still running: another netd uses ${dirname(path)} (pid file ${path})`);
      }
      try {
        unlinkSync(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    }
  }
  return {
    path,
    release() {
      if (readPid(path) !== process.pid) return;
      try {
        unlinkSync(path);
      } catch {
        // already gone: nothing to release
      }
    },
  };
}
