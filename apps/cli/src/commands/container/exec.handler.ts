import type { Handler } from '../../command';
import { isError, UsageError } from '../../client/errors';
import { EXIT_CANNOT_INVOKE, EXIT_NOT_FOUND, EXIT_USAGE } from '../../context';
import type { ExecOptions } from './container.commands';
import { attachSession } from './streams';

/** docker exec: create, start (hijacked unless -d), then exit with the exec's code from inspect. */
export const execHandler: Handler<ExecOptions> = async ({ args, opts }, { client, stdio, messages, output }) => {
  const [container, ...cmd] = args;
  if (cmd.length === 0) throw new UsageError(`${messages.containers.execNeedsCommand}\n${messages.seeHelp('exec')}`, EXIT_USAGE);
  if (opts.tty && opts.interactive && !opts.detach && !stdio.stdinIsTty) throw new UsageError(messages.containers.ttyNeedsTerminal);
  const stdin = Boolean(opts.interactive) && !opts.detach;
  const { Id } = await client.createExec(container, {
    AttachStdin: stdin,
    AttachStdout: !opts.detach,
    AttachStderr: !opts.detach,
    Tty: Boolean(opts.tty),
    Env: opts.env,
    Cmd: cmd,
    User: opts.user ?? '',
    WorkingDir: opts.workdir ?? '',
    Privileged: Boolean(opts.privileged),
  });
  let conn;
  try {
    conn = await client.startExec(Id, { detach: opts.detach, tty: opts.tty });
  } catch (e) {
    if (!isError(e, 'DaemonError')) throw e;
    output.error(messages.daemonError(e.message));
    return /executable file not found|no such file or directory/.test(e.message) ? EXIT_NOT_FOUND : EXIT_CANNOT_INVOKE;
  }
  if (!conn) return 0;
  await attachSession(conn, { tty: Boolean(opts.tty), stdin }, stdio);
  // the stream can end a moment before the daemon records the exit code
  for (let i = 0; i < 50; i++) {
    const ins = await client.inspectExec(Id);
    if (!ins.Running && ins.ExitCode !== null) return ins.ExitCode;
    await new Promise((r) => setTimeout(r, 20));
  }
  return (await client.inspectExec(Id)).ExitCode ?? 0;
};
