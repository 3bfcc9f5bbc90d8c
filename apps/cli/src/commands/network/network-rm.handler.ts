import type { Handler } from '../../command';
import { isError } from '../../client/errors';
import { EXIT_ERROR } from '../../context';
import type { NetworkRmOptions } from './network-rm.command';

/** Removes each network in turn, printing its name; a failure is reported and the rest still tried. */
export const networkRmHandler: Handler<NetworkRmOptions> = async ({ args, opts }, { client, output, messages }) => {
  let status = 0;
  for (const name of args) {
    try {
      await client.removeNetwork(name);
      output.line(name);
    } catch (e) {
      if (!isError(e, 'DaemonError')) throw e;
      if (e.kind === 'not-found') {
        if (opts.force) continue;
        output.error(messages.noSuchNetwork(name));
      } else {
        output.error(messages.daemonError(e.message));
      }
      status = EXIT_ERROR;
    }
  }
  return status;
};
