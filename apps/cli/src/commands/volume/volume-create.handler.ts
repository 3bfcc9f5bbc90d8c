import type { Handler } from '../../command';
import { UsageError } from '../../client/errors';
import { EXIT_USAGE } from '../../context';
import { parseKeyValues } from '../network/filters';
import type { VolumeCreateOptions } from './volume.commands';

/** docker's `volume create`: the name as argument or --name (not both); prints the volume's name. */
export const volumeCreateHandler: Handler<VolumeCreateOptions> = async ({ args, opts }, { client, output, messages }) => {
  if (args[0] !== undefined && opts.name !== undefined) {
    throw new UsageError(`${messages.volumes.nameConflict}\n${messages.seeHelp('volume create')}`, EXIT_USAGE);
  }
  const v = await client.createVolume({
    Driver: opts.driver,
    DriverOpts: parseKeyValues(opts.opt),
    Labels: parseKeyValues(opts.label),
    Name: args[0] ?? opts.name ?? '',
  });
  output.line(v.Name);
};
