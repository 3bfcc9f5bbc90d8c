import type { Handler } from '../../command';
import type { CommandContext } from '../../context';
import type { Filters } from '../../client/netd-api';
import { humanSize } from '../../output/go-units';
import { parseFilters } from '../network/filters';
import type { ImagePruneOptions, SystemPruneOptions } from './system.commands';

/** Asks `warning` + docker's question unless forced; true to go on (only y/Y does). */
async function confirmed(force: boolean | undefined, warning: string, { output, messages, readLine }: CommandContext): Promise<boolean> {
  if (force) return true;
  output.write(`${warning}\n${messages.prune.confirm}`);
  return (await readLine()).trim().toLowerCase() === 'y';
}

/** One prune's report as docker prints it (a section, or '' when nothing went) and the bytes it freed. */
type Pruned = { text: string; space: number };

async function pruneContainers(ctx: CommandContext, filters: Filters): Promise<Pruned> {
  const r = await ctx.client.pruneContainers(filters);
  const ids = r.ContainersDeleted ?? [];
  return ids.length ? { text: `${ctx.messages.system.deletedContainers}\n${ids.join('\n')}\n`, space: r.SpaceReclaimed } : { text: '', space: 0 };
}

async function pruneImages(ctx: CommandContext, filters: Filters, all: boolean | undefined): Promise<Pruned> {
  const r = await ctx.client.pruneImages(all ? { ...filters, dangling: ['false'] } : filters);
  const items = r.ImagesDeleted ?? [];
  if (items.length === 0) return { text: '', space: 0 };
  const lines = items.map((i) => ('Untagged' in i ? `untagged: ${i.Untagged}` : `deleted: ${i.Deleted}`));
  return { text: `${ctx.messages.system.deletedImages}\n${lines.join('\n')}\n`, space: r.SpaceReclaimed };
}

async function pruneNetworks(ctx: CommandContext, filters: Filters): Promise<Pruned> {
  const names = (await ctx.client.pruneNetworks(filters)).NetworksDeleted ?? [];
  return { text: names.length ? `${ctx.messages.prune.deleted}\n${names.join('\n')}\n` : '', space: 0 };
}

async function pruneVolumes(ctx: CommandContext, filters: Filters): Promise<Pruned> {
  const r = await ctx.client.pruneVolumes(filters);
  const names = r.VolumesDeleted ?? [];
  return names.length ? { text: `${ctx.messages.volumes.deleted}\n${names.join('\n')}\n`, space: r.SpaceReclaimed } : { text: '', space: 0 };
}

function report(ctx: CommandContext, parts: readonly Pruned[]): void {
  for (const p of parts) if (p.text) ctx.output.line(p.text);
  ctx.output.line(`${ctx.messages.system.reclaimed} ${humanSize(parts.reduce((n, p) => n + p.space, 0), 4)}`);
}

/** docker's `image prune`: dangling images, or with -a every image no container uses. */
export const imagePruneHandler: Handler<ImagePruneOptions> = async ({ opts }, ctx) => {
  const filters = parseFilters(opts.filter, 'image prune');
  const warning = opts.all ? ctx.messages.system.imagesAllWarning : ctx.messages.system.imagesWarning;
  if (!(await confirmed(opts.force, warning, ctx))) return;
  report(ctx, [await pruneImages(ctx, filters, opts.all)]);
};

/**
 * docker's `system prune`: stopped containers, unused networks, (with --volumes) anonymous unused
 * volumes, then dangling (with -a: unused) images, in that order, so what a removed container
 * held is free for the next step. netd keeps no build cache, so none is named or pruned.
 */
export const systemPruneHandler: Handler<SystemPruneOptions> = async ({ opts }, ctx) => {
  const filters = parseFilters(opts.filter, 'system prune');
  const m = ctx.messages.system;
  const items = [m.stoppedContainers, m.unusedNetworks, ...(opts.volumes ? [m.anonymousVolumes] : []), opts.all ? m.unusedImages : m.danglingImages];
  if (!(await confirmed(opts.force, m.pruneWarning(items), ctx))) return;
  const parts = [await pruneContainers(ctx, filters), await pruneNetworks(ctx, filters)];
  if (opts.volumes) parts.push(await pruneVolumes(ctx, filters));
  parts.push(await pruneImages(ctx, filters, opts.all));
  report(ctx, parts);
};
