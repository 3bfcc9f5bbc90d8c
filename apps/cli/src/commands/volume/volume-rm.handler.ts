import type { Handler } from '../../command';
import { isError } from '../../client/errors';
import { EXIT_ERROR } from '../../context';
import type { VolumeRmOptions } from './volume.commands';

/** Removes each volume in turn, printing its name; failures are reported after the rest were tried. */
export const volumeRmHandler: Handler<VolumeRmOptions> = async ({ args, opts }, { client, output, messages }) => {
  const errors: string[] = [];
  for (const name of args) {
    try {
      await client.removeVolume(name, { force: opts.force });
      output.line(name);
    } catch (e) {
      if (!isError(e, 'DaemonError')) throw e;
      errors.push(messages.daemonError(e.message));
    }
  }
  for (const e of errors) output.error(e);
  return errors.length ? EXIT_ERROR : undefined;
};
