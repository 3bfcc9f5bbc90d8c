import type { Handler } from '../../command';
import { formatList } from '../../output/formatter';
import { naturalCompare } from '../../output/natural-sort';
import { parseFilters } from '../network/filters';
import { DEFAULT_VOLUME_TABLE, VOLUME_HEADER, volumeRow } from './volume-context';
import type { VolumeLsOptions } from './volume.commands';

/** docker's `volume ls`: rows sorted by name (natural order); -q only with the default table. */
export const volumeLsHandler: Handler<VolumeLsOptions> = async ({ opts }, { client, output }) => {
  const filters = parseFilters(opts.filter, 'volume ls');
  const { Volumes } = await client.listVolumes(filters);
  const volumes = [...(Volumes ?? [])].sort((a, b) => naturalCompare(a.Name, b.Name));
  let format = opts.format ?? '';
  if (format === '' || format === 'table') format = opts.quiet ? '{{.Name}}' : DEFAULT_VOLUME_TABLE;
  output.write(formatList(format, volumes.map(volumeRow), VOLUME_HEADER));
};
