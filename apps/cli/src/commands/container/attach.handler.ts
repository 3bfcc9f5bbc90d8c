import type { Handler } from '../../command';
import { UsageError } from '../../client/errors';
import { attachSession } from './streams';

/** docker attach: stream a running container's output (and stdin) until it ends; exit with its code. */
export const attachHandler: Handler<{ stdin: boolean }> = async ({ args, opts }, { client, stdio }) => {
  const { container } = await client.inspectContainerWithRaw(args[0]);
  if (!container.State.Running) throw new UsageError('You cannot attach to a stopped container, start it first');
  const stdin = opts.stdin !== false && Boolean(container.Config.OpenStdin);
  const conn = await client.attachContainer(container.Id, { stdin, stdout: true, stderr: true });
  const waited = client.waitContainer(container.Id, 'not-running');
  waited.catch(() => undefined);
  await attachSession(conn, { tty: Boolean(container.Config.Tty), stdin }, stdio);
  return (await waited).StatusCode;
};
