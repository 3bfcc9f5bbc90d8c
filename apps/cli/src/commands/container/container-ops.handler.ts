import { parseDuration } from '@app/common';
import type { Handler } from '../../command';
import { UsageError } from '../../client/errors';
import { EXIT_USAGE } from '../../context';
import { humanSize } from '../../output/go-units';
import { parseFilters } from '../network/filters';
import { parseRestart } from './container-config';
import type { ContainerPruneOptions, UpdateOptions } from './container-ops.commands';
import { forEachContainer } from './each';

export const renameHandler: Handler<Record<string, never>> = async ({ args }, { client }) => {
  const [container, name] = args;
  if (!container.trim() || !name.trim()) throw new UsageError('Error: Neither old nor new names may be empty', 1);
  await client.renameContainer(container, name);
};

export const pauseHandler: Handler<Record<string, never>> = async ({ args }, ctx) =>
  forEachContainer(args, ctx, (name) => ctx.client.pauseContainer(name));

export const unpauseHandler: Handler<Record<string, never>> = async ({ args }, ctx) =>
  forEachContainer(args, ctx, (name) => ctx.client.unpauseContainer(name));

/** docker's RAMInBytes: a number with an optional b/k/m/g/t/p suffix (powers of 1024). */
export function ramInBytes(text: string, flag: string): number {
  const m = /^(-?\d+(?:\.\d+)?)\s*([kmgtp]?)(?:b|ib)?$/i.exec(text.trim());
  if (!m) throw new UsageError(`invalid argument "${text}" for "${flag}" flag: invalid size: '${text}'`, EXIT_USAGE);
  const power = ' kmgtp'.indexOf(m[2].toLowerCase() || ' ');
  return Math.floor(Number(m[1]) * 1024 ** power);
}

function int(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d{1,18}$/.test(text)) throw new UsageError(`invalid argument "${text}" for "${flag}" flag: strconv.ParseInt: parsing "${text}": invalid syntax`, EXIT_USAGE);
  return Number(text);
}

/** The UpdateConfig the docker CLI sends: only what a flag set. */
export function updateBody(o: UpdateOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const set = (k: string, v: unknown) => v !== undefined && (body[k] = v);
  set('CpuPeriod', int(o.cpuPeriod, '--cpu-period'));
  set('CpuQuota', int(o.cpuQuota, '--cpu-quota'));
  set('CpuShares', int(o.cpuShares, '--cpu-shares'));
  if (o.cpus !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(o.cpus)) throw new UsageError(`invalid argument "${o.cpus}" for "--cpus" flag: failed to parse ${o.cpus} as a rational number`, EXIT_USAGE);
    body.NanoCpus = Math.round(Number(o.cpus) * 1e9);
  }
  set('CpusetCpus', o.cpusetCpus);
  set('CpusetMems', o.cpusetMems);
  if (o.memory !== undefined) body.Memory = ramInBytes(o.memory, '--memory');
  if (o.memoryReservation !== undefined) body.MemoryReservation = ramInBytes(o.memoryReservation, '--memory-reservation');
  if (o.memorySwap !== undefined) body.MemorySwap = o.memorySwap === '-1' ? -1 : ramInBytes(o.memorySwap, '--memory-swap');
  set('PidsLimit', int(o.pidsLimit, '--pids-limit'));
  if (o.restart !== undefined) body.RestartPolicy = parseRestart(o.restart, 'update');
  if (Object.keys(body).length === 0) throw new UsageError('Error: you must provide one or more flags when using this command', EXIT_USAGE);
  return body;
}

export const updateHandler: Handler<UpdateOptions> = async ({ args, opts }, ctx) => {
  const body = updateBody(opts);
  return forEachContainer(args, ctx, async (name) => {
    const r = await ctx.client.updateContainer(name, body);
    for (const w of r.Warnings ?? []) ctx.output.error(w);
  });
};

/** docker top's table: Go's tabwriter with minwidth 20 and padding 3, the last column unpadded. */
export function topTable(titles: readonly string[], rows: readonly string[][]): string {
  const all = [titles, ...rows];
  const widths = titles.map((_t, i) => Math.max(20, ...all.map((r) => (r[i] ?? '').length + 3)));
  return all.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('')).join('\n');
}

export const topHandler: Handler<Record<string, never>> = async ({ args }, { client, output }) => {
  const [container, ...ps] = args;
  const top = await client.topContainer(container, ps.length > 0 ? ps.join(' ') : undefined);
  output.line(topTable(top.Titles, top.Processes));
};

export const containerPruneHandler: Handler<ContainerPruneOptions> = async ({ opts }, { client, output, messages, readLine }) => {
  const filters = parseFilters(opts.filter, 'container prune');
  for (const u of filters.until ?? []) {
    if (parseDuration(u) === undefined && !/^\d/.test(u)) throw new UsageError(`Error: invalid filter 'until=${u}'`, EXIT_USAGE);
  }
  if (!opts.force) {
    output.write(`${messages.containers.pruneWarning}\n${messages.prune.confirm}`);
    if ((await readLine()).trim().toLowerCase() !== 'y') return;
  }
  const report = await client.pruneContainers(filters);
  const deleted = report.ContainersDeleted ?? [];
  if (deleted.length > 0) output.line(`${messages.containers.pruneDeleted}\n${deleted.join('\n')}\n`);
  output.line(`${messages.volumes.reclaimed} ${humanSize(report.SpaceReclaimed, 4)}`);
};
