import { constants, openSync, closeSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { Socket } from 'node:net';
import { join } from 'node:path';

/**
 * What `runc start` does for a created container, without spawning runc (a Go binary start-up,
 * ~10 ms, plus the fork of a large daemon): runc 1.1's `start` opens `<root>/<id>/exec.fifo`,
 * reads until EOF — `runc init` writes one byte and execs the user process, which closes its
 * end — and removes the fifo, which is how runc tells `created` from `running` afterwards.
 *
 * Returns false, having changed nothing, when there is no fifo, when the fifo yields no byte
 * (init is gone) or after `timeoutMs`: the caller then runs `runc start`, which reports why.
 */
export async function startThroughExecFifo(runcRoot: string, id: string, timeoutMs = 2000): Promise<boolean> {
  const path = join(runcRoot, id, 'exec.fifo');
  let fd: number;
  try {
    // Non-blocking: opening never waits, and the blocked `runc init` writer is woken by it.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return false;
  }
  let sock: Socket;
  try {
    sock = new Socket({ fd, readable: true, writable: false });
  } catch {
    closeSync(fd);
    return false;
  }
  const got = await new Promise<number>((resolve) => {
    let bytes = 0;
    const timer = setTimeout(() => finish(), timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve(bytes);
    };
    sock.on('data', (d: Buffer) => (bytes += d.length));
    sock.on('end', finish);
    sock.on('error', finish);
  });
  if (got === 0) return false;
  await unlink(path).catch(() => undefined);
  return true;
}
