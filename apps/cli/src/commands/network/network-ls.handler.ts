import type { Handler } from '../../command';
import { formatList } from '../../output/formatter';
import { naturalCompare } from '../../output/natural-sort';
import type { NetworkLsOptions } from './network-ls.command';
import { DEFAULT_NETWORK_TABLE, NETWORK_HEADER, networkRow } from './network-context';
import { parseFilters } from './filters';

/** docker's `network ls`: rows sorted by name (natural order), ids cut to 12 unless --no-trunc. */
export const networkLsHandler: Handler<NetworkLsOptions> = async ({ opts }, { client, output }) => {
  const filters = parseFilters(opts.filter, 'network ls');
  const networks = await client.listNetworks(filters);
  networks.sort((a, b) => naturalCompare(a.Name, b.Name));
  let format = opts.format ?? '';
  if (format === '' || format === 'table') format = opts.quiet ? '{{.ID}}' : DEFAULT_NETWORK_TABLE;
  const rows = networks.map((n) => networkRow(n, opts.trunc !== false));
  output.write(formatList(format, rows, NETWORK_HEADER));
};
