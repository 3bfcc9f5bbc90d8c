import type { Handler } from '../../command';
import type { NetworkPruneOptions } from './network-prune.command';
import { parseFilters } from './filters';

/** Asks first unless -f (an answer other than y/Y cancels quietly, exit 0), then lists what went. */
export const networkPruneHandler: Handler<NetworkPruneOptions> = async ({ opts }, { client, output, messages, readLine }) => {
  const filters = parseFilters(opts.filter, 'network prune');
  if (!opts.force) {
    output.write(`${messages.prune.warning}\n${messages.prune.confirm}`);
    const answer = (await readLine()).trim();
    if (answer.toLowerCase() !== 'y') return;
  }
  const report = await client.pruneNetworks(filters);
  const deleted = report.NetworksDeleted ?? [];
  if (deleted.length > 0) output.line(`${messages.prune.deleted}\n${deleted.join('\n')}\n`);
};
