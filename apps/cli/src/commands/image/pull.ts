import type { CommandContext } from '../../context';
import { loadAuth } from './auth-config';
import { displayJsonMessages, type ProgressSink } from './json-messages';
import { familiarString, parseReference } from './reference';

/**
 * Pulls `ref` as `docker pull` does: "Using default tag" when there is none, the progress
 * stream, then the full reference. `run` sends it all to stderr.
 */
export async function pullWithProgress(ctx: CommandContext, ref: string, o: { platform?: string; quiet?: boolean; toStderr?: boolean }): Promise<void> {
  const parsed = parseReference(ref);
  const { output, messages } = ctx;
  const line = o.toStderr ? (t: string) => output.error(t) : (t: string) => output.line(t);
  if (parsed.tag === undefined && parsed.digest === undefined && !o.quiet && !o.toStderr) line(messages.images.usingDefaultTag);
  const tag = parsed.digest ?? parsed.tag ?? 'latest';
  const auth = loadAuth(ctx, parsed.name.split('/')[0]);
  const stream = await ctx.client.pullImage({ fromImage: familiarString(parsed.name), tag, platform: o.platform, auth });
  const sink: ProgressSink = o.quiet ? { line: () => undefined } : { line, tty: o.toStderr ? undefined : ctx.stdio.progressStream };
  await displayJsonMessages(stream, sink);
  const full = `${parsed.name}${parsed.digest ? `@${parsed.digest}` : `:${tag}`}`;
  if (!o.toStderr) output.line(full);
}
