import type { Handler } from '../../command';
import { UsageError } from '../../client/errors';
import { forEachContainer } from './each';
import { attachSession } from './streams';

/** docker start: several containers by name; with -a/-i one container, attached, exiting with its code. */
export const startHandler: Handler<{ attach?: boolean; interactive?: boolean }> = async ({ args, opts }, ctx) => {
  if (!opts.attach && !opts.interactive) return forEachContainer(args, ctx, (name) => ctx.client.startContainer(name));
  if (args.length > 1) throw new UsageError('you cannot start and attach multiple containers at once');
  const { client, stdio } = ctx;
  const { container } = await client.inspectContainerWithRaw(args[0]);
  const stdin = Boolean(opts.interactive && container.Config.OpenStdin);
  const conn = await client.attachContainer(container.Id, { stdin, stdout: true, stderr: true });
  const waited = client.waitContainer(container.Id, 'next-exit');
  waited.catch(() => undefined);
  const session = attachSession(conn, { tty: Boolean(container.Config.Tty), stdin }, stdio);
  try {
    await client.startContainer(container.Id);
  } catch (e) {
    conn.destroy();
    await session.catch(() => undefined);
    throw e;
  }
  await session;
  return (await waited).StatusCode;
};
