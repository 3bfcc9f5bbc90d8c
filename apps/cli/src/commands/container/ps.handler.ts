import type { Handler } from '../../command';
import { UsageError } from '../../client/errors';
import { EXIT_USAGE } from '../../context';
import { formatList } from '../../output/formatter';
import { parseFilters } from '../network/filters';
import type { PsOptions } from './container.commands';
import { containerRow, DEFAULT_PS_TABLE, PS_HEADER } from './container-context';

/** docker ps: the daemon's order (newest first), docker's truncation and status words. */
export const psHandler: Handler<PsOptions> = async ({ opts }, { client, output }) => {
  const filters = parseFilters(opts.filter, 'ps');
  let limit = opts.latest ? 1 : -1;
  if (opts.last !== undefined) {
    if (!/^-?\d+$/.test(opts.last)) throw new UsageError(`invalid argument "${opts.last}" for "-n, --last" flag: strconv.ParseInt: parsing "${opts.last}": invalid syntax`, EXIT_USAGE);
    limit = Number(opts.last);
  }
  const list = await client.listContainers({ all: opts.all, limit: limit > 0 ? limit : undefined, filters });
  let format = opts.format ?? '';
  if (format === '' || format === 'table') format = opts.quiet ? '{{.ID}}' : DEFAULT_PS_TABLE;
  else if (opts.quiet) format = '{{.ID}}';
  const now = Date.now();
  output.write(formatList(format, list.map((c) => containerRow(c, opts.trunc !== false, now)), PS_HEADER));
};
