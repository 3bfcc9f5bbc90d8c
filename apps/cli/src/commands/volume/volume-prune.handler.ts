import type { Handler } from '../../command';
import { UsageError } from '../../client/errors';
import { humanSize } from '../../output/go-units';
import { parseFilters } from '../network/filters';
import type { VolumePruneOptions } from './volume.commands';

/**
 * docker's `volume prune` at API ≥ 1.42: anonymous volumes only unless -a. Asks first unless -f
 * (an answer other than y/Y cancels quietly), then lists what went and the space freed.
 */
export const volumePruneHandler: Handler<VolumePruneOptions> = async ({ opts }, { client, output, messages, readLine }) => {
  const filters = parseFilters(opts.filter, 'volume prune');
  if (opts.all) {
    if (filters.all) throw new UsageError(messages.volumes.allConflict);
    filters.all = ['true'];
  }
  if (!opts.force) {
    output.write(`${opts.all ? messages.volumes.pruneAllWarning : messages.volumes.pruneWarning}\n${messages.prune.confirm}`);
    if ((await readLine()).trim().toLowerCase() !== 'y') return;
  }
  const report = await client.pruneVolumes(filters);
  const deleted = report.VolumesDeleted ?? [];
  if (deleted.length > 0) output.line(`${messages.volumes.deleted}\n${deleted.join('\n')}\n`);
  output.line(`${messages.volumes.reclaimed} ${humanSize(deleted.length > 0 ? report.SpaceReclaimed : 0, 4)}`);
};
