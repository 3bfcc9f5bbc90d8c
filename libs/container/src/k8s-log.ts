import { open, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** One log record: a full line (with its `\n`) or the last, unterminated part of the output. */
export interface LogEntry {
  /** RFC 3339 with nanoseconds, as conmon wrote it (Docker prints it as is with --timestamps). */
  readonly time: string;
  readonly stream: 'stdout' | 'stderr';
  readonly text: string;
}

export interface LogReadOptions {
  /** Only the last N entries (Docker's `tail`; undefined or negative: all). */
  readonly tail?: number;
  /** Keep reading as the container writes, until it has exited and the file is drained. */
  readonly follow?: boolean;
  /** Only entries at or after / before these times (Docker's since/until). */
  readonly since?: Date;
  readonly until?: Date;
  readonly signal?: AbortSignal;
}

interface RawLine {
  time: string;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  text: string;
}

/** Parse one k8s-file line (`<time> <stream> <P|F> <text>`); undefined for anything else. */
export function parseK8sLine(line: string): RawLine | undefined {
  // `s`: the text may hold \r (a TTY ends its lines with \r\n) or U+2028, which `.` would not match
  const m = /^(\S+) (stdout|stderr) ([PF]) ?(.*)$/s.exec(line);
  if (!m) return undefined;
  return { time: m[1], stream: m[2] as 'stdout' | 'stderr', partial: m[3] === 'P', text: m[4] };
}

/** Join partial (`P`) pieces into entries; `pending` carries an unfinished piece per stream. */
export class K8sLogAssembler {
  private readonly pending = new Map<string, RawLine>();

  push(line: string): LogEntry | undefined {
    const raw = parseK8sLine(line);
    if (!raw) return undefined;
    const prev = this.pending.get(raw.stream);
    const text = (prev?.text ?? '') + raw.text;
    const time = prev?.time ?? raw.time;
    if (raw.partial) {
      this.pending.set(raw.stream, { ...raw, time, text });
      return undefined;
    }
    this.pending.delete(raw.stream);
    return { time, stream: raw.stream, text: `${text}\n` };
  }

  /** Pieces never finished (the process exited mid-line): emitted without a newline. */
  flush(): LogEntry[] {
    const out = [...this.pending.values()].map((r) => ({ time: r.time, stream: r.stream, text: r.text }));
    this.pending.clear();
    return out;
  }
}

/** Nanosecond-precise comparison key of an RFC 3339 time (Date keeps only milliseconds). */
function inWindow(time: string, opts: LogReadOptions): boolean {
  const ms = Date.parse(time);
  if (opts.since && ms < opts.since.getTime()) return false;
  if (opts.until && ms > opts.until.getTime()) return false;
  return true;
}

/**
 * Read a conmon log. Without `follow` it returns what is there; with it, it keeps polling
 * until `isDone()` (the container has exited) and the file is drained, or the signal aborts.
 */
export async function* readK8sLog(
  path: string,
  opts: LogReadOptions,
  isDone: () => boolean | Promise<boolean>,
  pollMs = 100,
): AsyncGenerator<LogEntry> {
  const asm = new K8sLogAssembler();
  let offset = 0;
  let carry = '';
  const readNew = async (): Promise<LogEntry[]> => {
    const size = await stat(path).then((s) => s.size, () => 0);
    if (size <= offset) return [];
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(size - offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      offset += bytesRead;
      carry += buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
    const lines = carry.split('\n');
    carry = lines.pop() ?? '';
    return lines.map((l) => asm.push(l)).filter((e): e is LogEntry => e !== undefined && inWindow(e.time, opts));
  };

  let initial = await readNew();
  if (opts.tail !== undefined && opts.tail >= 0) initial = opts.tail === 0 ? [] : initial.slice(-opts.tail);
  yield* initial;
  if (!opts.follow) return;
  while (!opts.signal?.aborted) {
    const done = await isDone();
    yield* await readNew();
    if (done) break;
    await sleep(pollMs, undefined, { signal: opts.signal }).catch(() => undefined);
  }
  yield* asm.flush().filter((e) => inWindow(e.time, opts));
}

/**
 * Per stream, the bytes of a conmon log past the first `sent` of that stream: what a reader of
 * the attach socket did not get although conmon logged it (empty where the log has no more).
 */
export async function unsentOutput(path: string, sent: Readonly<Record<'stdout' | 'stderr', number>>): Promise<Array<['stdout' | 'stderr', Buffer]>> {
  const logged = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  // follow with a finished writer: read to the end, then the pieces of an unfinished line too
  for await (const e of readK8sLog(path, { follow: true }, () => true)) logged[e.stream].push(Buffer.from(e.text));
  const out: Array<['stdout' | 'stderr', Buffer]> = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    const all = Buffer.concat(logged[stream]);
    if (all.length > sent[stream]) out.push([stream, all.subarray(sent[stream])]);
  }
  return out;
}
