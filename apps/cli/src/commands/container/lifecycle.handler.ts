import type { Handler } from '../../command';
import { UsageError } from '../../client/errors';
import { EXIT_USAGE } from '../../context';
import type { StopOptions } from './container.commands';
import { forEachContainer } from './each';

function timeout(o: StopOptions): number | undefined {
  if (o.time === undefined) return undefined;
  if (!/^-?\d+$/.test(o.time)) throw new UsageError(`invalid argument "${o.time}" for "-t, --time" flag: strconv.ParseInt: parsing "${o.time}": invalid syntax`, EXIT_USAGE);
  return Number(o.time);
}

export const stopHandler: Handler<StopOptions> = async ({ args, opts }, ctx) => {
  const t = timeout(opts);
  return forEachContainer(args, ctx, (name) => ctx.client.stopContainer(name, { timeout: t, signal: opts.signal }));
};

export const restartHandler: Handler<StopOptions> = async ({ args, opts }, ctx) => {
  const t = timeout(opts);
  return forEachContainer(args, ctx, (name) => ctx.client.restartContainer(name, { timeout: t, signal: opts.signal }));
};

export const killHandler: Handler<{ signal?: string }> = async ({ args, opts }, ctx) =>
  forEachContainer(args, ctx, (name) => ctx.client.killContainer(name, opts.signal));

export const rmHandler: Handler<{ force?: boolean; volumes?: boolean; link?: boolean }> = async ({ args, opts }, ctx) =>
  forEachContainer(args, ctx, (name) => ctx.client.removeContainer(name, { force: opts.force, volumes: opts.volumes, link: opts.link }));

/** Prints each container's exit code once it stops. */
export const waitHandler: Handler<Record<string, never>> = async ({ args }, ctx) =>
  forEachContainer(args, ctx, async (name) => String((await ctx.client.waitContainer(name)).StatusCode));
