import { UsageError } from '../../client/errors';
import type { JsonMessage } from '../../client/engine-types';

/** Where a progress stream is shown: text lines, and a TTY stream for bars when there is one. */
export interface ProgressSink {
  line(text: string): void;
  /** Set when the destination is a terminal: cli-progress draws one bar per layer. */
  tty?: NodeJS.WritableStream;
}

/**
 * docker's jsonmessage.DisplayJSONMessagesStream. Without a terminal each message is a line
 * (`<id>: <status>`) and byte-progress updates are skipped; on a terminal every layer gets a bar.
 * An error message ends the stream: it is thrown with the daemon's text (exit 1). Returns the
 * `aux` payloads (build's image ID, push's digest).
 */
export async function displayJsonMessages(stream: AsyncIterable<JsonMessage>, sink: ProgressSink): Promise<JsonMessage['aux'][]> {
  const aux: JsonMessage['aux'][] = [];
  const bars = sink.tty ? await makeBars(sink.tty) : undefined;
  try {
    for await (const m of stream) {
      if (m.errorDetail || m.error) throw new UsageError(m.errorDetail?.message ?? m.error ?? 'unknown error');
      if (m.aux) {
        aux.push(m.aux);
        continue;
      }
      if (bars && m.id && m.progressDetail && !m.stream) {
        bars.update(m);
        continue;
      }
      const hasProgress = (m.progressDetail?.current ?? 0) > 0 || (m.progressDetail?.total ?? 0) > 0;
      if (hasProgress) continue;
      const text = m.stream !== undefined ? m.stream.replace(/\n$/, '') : `${m.id ? `${m.id}: ` : ''}${m.status ?? ''}`;
      if (bars) bars.log(text + '\n');
      else sink.line(text);
    }
  } finally {
    bars?.stop();
  }
  return aux;
}

async function makeBars(tty: NodeJS.WritableStream) {
  const { MultiBar, Presets } = await import('cli-progress');
  const multi = new MultiBar(
    { stream: tty as NodeJS.WriteStream, format: '{id}: {status} {bar} {value}/{total}', hideCursor: true, clearOnComplete: false, forceRedraw: true, barsize: 40 },
    Presets.shades_classic,
  );
  const bars = new Map<string, ReturnType<typeof multi.create>>();
  return {
    update(m: JsonMessage) {
      const id = m.id ?? '';
      let bar = bars.get(id);
      const total = m.progressDetail?.total ?? 0;
      const current = m.progressDetail?.current ?? 0;
      if (!bar) {
        bar = multi.create(total || 1, 0, { id, status: m.status ?? '' });
        bars.set(id, bar);
      }
      if (total) bar.setTotal(total);
      const done = /complete|Already exists|Pushed|Mounted|Layer already exists/i.test(m.status ?? '');
      bar.update(done ? bar.getTotal() : current || bar.getProgress() * bar.getTotal(), { id, status: m.status ?? '' });
    },
    log(text: string) {
      multi.log(text);
    },
    stop() {
      // log() lines wait for the next redraw; draw once more so the last ones are not lost
      multi.update();
      multi.stop();
    },
  };
}
