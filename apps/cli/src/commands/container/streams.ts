import type { Duplex } from 'node:stream';
import { demultiplex } from '../../client/stdcopy';
import type { Stdio } from '../../context';

/**
 * Copies a container's output to ours: raw with a TTY, demultiplexed to stdout/stderr without
 * (docker's stdcopy.StdCopy). Resolves when the daemon closes the stream.
 */
export async function pumpOutput(source: AsyncIterable<Uint8Array>, tty: boolean, stdio: Stdio): Promise<void> {
  if (tty) {
    for await (const chunk of source) await stdio.writeOut(chunk);
    return;
  }
  await demultiplex(source, (stream, payload) => (stream === 2 ? stdio.writeErr(payload) : stdio.writeOut(payload)));
}

/**
 * An attached session (run, start -a, attach, exec): output pumped until the daemon ends it,
 * stdin forwarded when asked (its end half-closes the connection, like docker's CloseWrite),
 * the terminal in raw mode for `-t` on a TTY and restored on every path.
 */
export async function attachSession(conn: Duplex, o: { tty: boolean; stdin: boolean }, stdio: Stdio): Promise<void> {
  const raw = o.tty && o.stdin && stdio.stdinIsTty;
  if (raw) stdio.setRawMode(true);
  let stopped = false;
  const forward = o.stdin
    ? (async () => {
        for await (const chunk of stdio.stdin) {
          if (stopped) break;
          if (!conn.write(chunk)) await new Promise((ok) => conn.once('drain', ok));
        }
        if (!stopped) conn.end();
      })().catch(() => undefined)
    : Promise.resolve();
  try {
    await pumpOutput(conn, o.tty, stdio);
  } finally {
    stopped = true;
    if (raw) stdio.setRawMode(false);
    if (o.stdin) stdio.stdin.pause();
    conn.destroy();
  }
  void forward;
}
