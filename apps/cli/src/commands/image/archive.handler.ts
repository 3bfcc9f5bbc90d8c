import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Handler } from '../../command';
import { UsageError } from '../../client/errors';
import { displayJsonMessages } from './json-messages';
import { familiarName, parseReference } from './reference';

/** docker save: to -o (written to a temp file, renamed when complete) or to a non-TTY stdout. */
export const saveHandler: Handler<{ output?: string }> = async ({ args, opts }, { client, output, messages, stdio }) => {
  if (!opts.output && output.isTty) throw new UsageError(messages.images.refuseTerminal);
  const tar = await client.saveImages(args);
  if (!opts.output) {
    for await (const chunk of tar) await stdio.writeOut(chunk);
    return;
  }
  const tmp = `${opts.output}.${process.pid}.tmp`;
  try {
    await pipeline(tar, createWriteStream(tmp));
    await rename(tmp, opts.output);
  } finally {
    await rm(tmp, { force: true });
  }
};

/** docker load: from -i or stdin (not a terminal); prints the daemon's "Loaded image" lines. */
export const loadHandler: Handler<{ input?: string; quiet?: boolean }> = async ({ opts }, { client, output, messages, stdio }) => {
  if (!opts.input && stdio.stdinIsTty) throw new UsageError(messages.images.loadEmptyStdin);
  if (opts.input && !existsSync(opts.input)) throw new UsageError(`open ${opts.input}: no such file or directory`);
  const body = opts.input ? createReadStream(opts.input) : stdio.stdin;
  const stream = await client.loadImages(body, { quiet: opts.quiet });
  await displayJsonMessages(stream, { line: (t) => output.line(t) });
};

/** docker import: a file or `-` (stdin); prints the new image's ID. */
export const importHandler: Handler<{ message?: string; change: string[] }> = async ({ args, opts }, { client, output, stdio }) => {
  const [source, target] = args;
  let repo: string | undefined;
  let tag: string | undefined;
  if (target) {
    try {
      const ref = parseReference(target);
      repo = familiarName(ref.name);
      tag = ref.tag;
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
  }
  if (/^https?:\/\//.test(source)) throw new UsageError('importing from a URL is not supported by netd: download the file and import it');
  if (source !== '-' && !existsSync(source)) throw new UsageError(`open ${source}: no such file or directory`);
  const body = source === '-' ? stdio.stdin : createReadStream(source);
  const stream = await client.importImage(body, { repo, tag, message: opts.message, changes: opts.change });
  await displayJsonMessages(stream, { line: (t) => output.line(t) });
};
