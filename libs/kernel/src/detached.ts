import { SystemError } from '@app/common';
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

/**
 * Start `file args` as a process that outlives netd (its own session, no pipes to netd), its
 * stdout and stderr appended to `logPath`. Returns its pid. For helpers that must keep serving
 * while the daemon restarts (the DNS resolver), as conmon does for containers.
 */
export function spawnDetached(file: string, args: readonly string[], logPath: string): number {
  const log = openSync(logPath, 'a', 0o600);
  try {
    const child = spawn(file, args, { detached: true, stdio: ['ignore', log, log] });
    // A failed start is reported here as a missing pid; the event must not crash the daemon.
    child.on('error', () => undefined);
    if (child.pid === undefined) throw new SystemError(`start ${file}: no pid`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(log);
  }
}
