import type { Handler } from '../../command';
import { isError } from '../../client/errors';
import { EXIT_ERROR } from '../../context';

/** docker rmi: `Untagged: …` / `Deleted: …` per image; errors printed, the rest still removed. */
export const rmiHandler: Handler<{ force?: boolean; prune: boolean }> = async ({ args, opts }, { client, output, messages }) => {
  let status = 0;
  for (const name of args) {
    try {
      for (const item of await client.removeImage(name, { force: opts.force, noprune: opts.prune === false })) {
        output.line('Untagged' in item ? `Untagged: ${item.Untagged}` : `Deleted: ${item.Deleted}`);
      }
    } catch (e) {
      if (!isError(e, 'DaemonError')) throw e;
      output.error(messages.daemonError(e.message));
      status = EXIT_ERROR;
    }
  }
  return status;
};
