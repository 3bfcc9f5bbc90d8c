import { isError } from '../../client/errors';
import type { CommandContext } from '../../context';
import { EXIT_ERROR } from '../../context';

/**
 * docker's pattern for verbs over several containers: each in turn, the name printed on success,
 * errors printed as they come and the rest still tried; exit 1 if any failed.
 */
export async function forEachContainer(names: readonly string[], ctx: CommandContext, act: (name: string) => Promise<string | void>): Promise<number> {
  let status = 0;
  for (const name of names) {
    try {
      const printed = await act(name);
      ctx.output.line(printed ?? name);
    } catch (e) {
      if (!isError(e, 'DaemonError')) throw e;
      ctx.output.error(ctx.messages.daemonError(e.message));
      status = EXIT_ERROR;
    }
  }
  return status;
}
