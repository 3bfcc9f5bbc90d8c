import type { Handler } from '../../command';
import { UsageError } from '../../client/errors';
import { loadAuth } from './auth-config';
import { displayJsonMessages } from './json-messages';
import { familiarName, parseReference } from './reference';

/** docker push: the progress stream (bars on a TTY); `-q` prints only the reference. */
export const pushHandler: Handler<{ quiet?: boolean }> = async ({ args, opts }, ctx) => {
  let ref;
  try {
    ref = parseReference(args[0]);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (ref.tag === undefined && !opts.quiet) ctx.output.line(ctx.messages.images.usingDefaultTag);
  const stream = await ctx.client.pushImage(familiarName(ref.name), { tag: ref.tag ?? 'latest', auth: loadAuth(ctx, ref.name.split('/')[0]) });
  await displayJsonMessages(stream, opts.quiet ? { line: () => undefined } : { line: (t) => ctx.output.line(t), tty: ctx.stdio.progressStream });
  if (opts.quiet) ctx.output.line(`${ref.name}:${ref.tag ?? 'latest'}`);
};
