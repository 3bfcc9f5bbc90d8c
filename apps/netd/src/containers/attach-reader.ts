import { K8sLogAssembler, parseK8sLine, type LogEntry } from '@app/container';
import { open, type FileHandle } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Output for `attach`: what the container writes from now on, until it exits. It reads the
 * conmon log through one file handle it keeps open, so the tail of a `--rm` container's output
 * is still read after the container's directory was removed, and it stops once `exited` has
 * resolved and the handle is drained.
 */
export async function* attachOutput(path: string, exited: Promise<unknown>, signal: AbortSignal, pollMs = 50): AsyncGenerator<LogEntry> {
  let done = false;
  void exited.then(() => (done = true), () => (done = true));
  let fh: FileHandle | undefined;
  let offset = 0;
  let carry = '';
  const asm = new K8sLogAssembler();
  try {
    // Skip what is there already: attach shows new output only.
    fh = await open(path, 'r').catch(() => undefined);
    if (fh) offset = (await fh.stat()).size;
    while (!signal.aborted) {
      const finished = done;
      fh ??= await open(path, 'r').catch(() => undefined);
      if (fh) {
        for (;;) {
          const buf = Buffer.alloc(64 * 1024);
          const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
          if (bytesRead === 0) break;
          offset += bytesRead;
          carry += buf.subarray(0, bytesRead).toString('utf8');
          const lines = carry.split('\n');
          carry = lines.pop() ?? '';
          for (const l of lines) {
            if (!parseK8sLine(l)) continue;
            const e = asm.push(l);
            if (e) yield e;
          }
        }
      }
      if (finished) break;
      await sleep(pollMs, undefined, { signal }).catch(() => undefined);
    }
    yield* asm.flush();
  } finally {
    await fh?.close();
  }
}
