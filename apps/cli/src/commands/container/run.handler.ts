import type { Handler } from '../../command';
import { isError, UsageError } from '../../client/errors';
import { EXIT_CANNOT_INVOKE, EXIT_NOT_FOUND, EXIT_USAGE, type CommandContext } from '../../context';
import { pullWithProgress } from '../image/pull';
import { familiarString } from '../image/reference';
import * as messages from '../../messages';
import type { RunOptions } from './container.commands';
import { buildCreateRequest } from './container-config';
import { attachSession } from './streams';

/**
 * docker's runContainer: create (pulling a missing image first), then either start and print the
 * ID (`-d`), or attach, wait and start, stream until the container ends and exit with its code.
 * Failures before the container runs exit 125; a command that cannot be found or run 127/126.
 */
export const runHandler: Handler<RunOptions> = async ({ args, opts }, ctx) => {
  const { client, output, stdio } = ctx;
  if (opts.detach && opts.attach.length) throw new UsageError(`${messages.genericError(messages.containers.conflictDetachAttach)}\n${messages.seeHelp('run')}`, EXIT_USAGE);
  if (opts.tty && opts.interactive && !opts.detach && !stdio.stdinIsTty) throw new UsageError(messages.containers.ttyNeedsTerminal, 1);
  const [image, ...cmd] = args;
  const req = buildCreateRequest(image, cmd, opts, 'run');
  const id = await createContainer(ctx, req, opts, 'run');
  if (opts.detach) {
    await startOrFail(ctx, id, 'run', opts.rm);
    output.line(id);
    return 0;
  }
  const attachStdin = Boolean(req.AttachStdin);
  const conn = await client.attachContainer(id, { stdin: attachStdin, stdout: req.AttachStdout, stderr: req.AttachStderr });
  const waited = client.waitContainer(id, opts.rm ? 'removed' : 'next-exit');
  waited.catch(() => undefined);
  const session = attachSession(conn, { tty: Boolean(opts.tty), stdin: attachStdin }, stdio);
  const size = stdio.size();
  try {
    await startOrFail(ctx, id, 'run', opts.rm);
  } catch (e) {
    conn.destroy();
    await session.catch(() => undefined);
    throw e;
  }
  if (opts.tty && size) await client.resizeContainer(id, size.rows, size.columns).catch(() => undefined);
  await session;
  const result = await waited;
  if (result.Error?.Message) output.error(messages.genericError(result.Error.Message));
  return result.StatusCode;
};

/** Creates the container; on "No such image" pulls it (to stderr, as docker run does) and retries. */
export async function createContainer(ctx: CommandContext, req: ReturnType<typeof buildCreateRequest>, opts: RunOptions, command: string): Promise<string> {
  const { client, output } = ctx;
  const create = async () => {
    const res = await client.createContainer(req, opts.name);
    for (const w of res.Warnings ?? []) output.error(messages.warning(w));
    return res.Id;
  };
  try {
    if (opts.pull === 'always') await pullWithProgress(ctx, req.Image, { quiet: opts.quiet, toStderr: true });
    return await create();
  } catch (e) {
    if (isError(e, 'DaemonError') && e.status === 404 && /^No such image/.test(e.message) && opts.pull === 'missing') {
      output.error(messages.containers.unableToFind(familiarString(req.Image.includes(':') || req.Image.includes('@') ? req.Image : `${req.Image}:latest`)));
      try {
        await pullWithProgress(ctx, req.Image, { quiet: opts.quiet, toStderr: true });
        return await create();
      } catch (e2) {
        throw asRunError(e2, command);
      }
    }
    throw asRunError(e, command);
  }
}

/** Starts; a failure removes an --rm container and exits 125, or 126/127 for exec problems. */
async function startOrFail(ctx: CommandContext, id: string, command: string, autoRemove?: boolean): Promise<void> {
  try {
    await ctx.client.startContainer(id);
  } catch (e) {
    if (autoRemove) await ctx.client.removeContainer(id, { force: true }).catch(() => undefined);
    throw asRunError(e, command);
  }
}

/** docker's runStartContainerErr: the exit code follows the runtime's reason. */
function asRunError(e: unknown, command: string): unknown {
  if (!(e instanceof Error) || isError(e, 'UsageError') || isError(e, 'ConnectionError')) return e;
  const text = isError(e, 'DaemonError') ? `Error response from daemon: ${e.message}` : e.message;
  let code = EXIT_USAGE;
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(text)) code = EXIT_NOT_FOUND;
  else if (/permission denied|is a directory/.test(text)) code = EXIT_CANNOT_INVOKE;
  return new UsageError(messages.runError(command, text), code);
}
