import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { connectSeqpacket } from '../native/seqpacket';

/** conmon's attach protocol: every packet it sends starts with the pipe it came from. */
export const CONMON_STDOUT = 2;
export const CONMON_STDERR = 3;

/**
 * Connect to conmon's attach socket (`<bundle>/attach`, SOCK_SEQPACKET). Packets read are
 * `[pipe byte][data]` (2 stdout — a TTY's output too — 3 stderr); bytes written go to the
 * container's stdin (kept open only when conmon ran with `--stdin`). Half-closing the socket
 * (`end()`) makes conmon close the container's stdin unless it runs with
 * `--leave-stdin-open`. conmon closes the socket when the container has exited and its
 * output is flushed. NotFound if there is no socket (no conmon for that bundle).
 */
export function connectConmonAttach(bundle: string): Socket {
  return connectSeqpacket(join(bundle, 'attach'));
}

/**
 * Resize the container's console through conmon's control fifo (`<bundle>/ctl`,
 * "1 <height> <width>\n", as podman writes it). Non-blocking open: with no conmon reading, it
 * fails at once (ENXIO) instead of hanging a pool thread.
 */
export async function resizeConmonConsole(bundle: string, height: number, width: number): Promise<void> {
  const fh = await open(join(bundle, 'ctl'), constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    await fh.write(`1 ${height} ${width}\n`);
  } finally {
    await fh.close();
  }
}
