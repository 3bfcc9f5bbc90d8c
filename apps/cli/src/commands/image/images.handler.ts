import type { Handler } from '../../command';
import { formatList } from '../../output/formatter';
import { parseFilters } from '../network/filters';
import type { ImagesOptions } from './image.commands';
import { IMAGE_HEADER, imageRows, imageTable } from './image-context';

/** docker images: the daemon's order; `images REPO[:TAG]` is a reference filter. */
export const imagesHandler: Handler<ImagesOptions> = async ({ args, opts }, { client, output }) => {
  const filters = parseFilters(opts.filter, 'images');
  if (args[0]) (filters.reference ??= []).push(args[0]);
  const images = await client.listImages({ all: opts.all, digests: opts.digests, filters });
  let format = opts.format ?? '';
  if (format === '' || format === 'table') format = opts.quiet ? '{{.ID}}' : imageTable(Boolean(opts.digests));
  else if (opts.quiet) format = '{{.ID}}';
  const now = Date.now();
  const rows = images.flatMap((i) => imageRows(i, { trunc: opts.trunc !== false, digests: Boolean(opts.digests) }, now));
  output.write(formatList(format, rows, IMAGE_HEADER));
};
