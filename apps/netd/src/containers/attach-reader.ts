import { K8sLogAssembler, parseK8sLine, type LogEntry } from '@app/container';
import { open, readFile, stat, type FileHandle } from 'node:fs/promises';
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

/** The size of the log now: where output written from here on starts. */
export async function logOffset(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/**
 * What the log holds past `offset` on each stream beyond the first `sent` bytes already
 * delivered live. conmon may close attach sockets at exit before it has drained the
 * container's pipes into them; the log gets everything, and per stream the live output is a
 * prefix of it, so the difference is exactly what the attached client missed.
 */
export async function missedOutput(path: string, offset: number, sent: { stdout: number; stderr: number }): Promise<LogEntry[]> {
  let text: string;
  try {
    const buf = await readFile(path);
    text = buf.subarray(offset <= buf.length ? offset : 0).toString('utf8');
  } catch {
    return [];
  }
  const asm = new K8sLogAssembler();
  const whole = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0) };
  const entries = [...text.split('\n').flatMap((l) => asm.push(l) ?? []), ...asm.flush()];
  for (const e of entries) whole[e.stream] = Buffer.concat([whole[e.stream], Buffer.from(e.text)]);
  const out: LogEntry[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    const rest = whole[stream].subarray(sent[stream]);
    if (rest.length > 0) out.push({ time: new Date().toISOString(), stream, text: rest.toString('utf8') });
  }
  return out;
}
