import type { Handler } from '../../command';
import { UsageError } from '../../client/errors';
import type { LogsCliOptions } from './container.commands';
import { pumpOutput } from './streams';

/** docker logs: raw for a TTY container, demultiplexed to stdout/stderr otherwise. */
export const logsHandler: Handler<LogsCliOptions> = async ({ args, opts }, { client, stdio }) => {
  const { container } = await client.inspectContainerWithRaw(args[0]);
  const now = Date.now();
  const body = await client.containerLogs(container.Id, {
    follow: opts.follow,
    tail: opts.tail,
    timestamps: opts.timestamps,
    since: opts.since ? timestamp(opts.since, now, '--since') : undefined,
    until: opts.until ? timestamp(opts.until, now, '--until') : undefined,
  });
  await pumpOutput(body, Boolean(container.Config.Tty), stdio);
};

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * docker's timetypes.GetTimestamp: a Go duration (`42m`, `1h30m`) counts back from now, an RFC
 * 3339 time or date is taken as is, and a number is already a unix timestamp. → `seconds.nanos`.
 */
export function timestamp(value: string, now: number, flag: string): string {
  if (/^\d+(\.\d{1,9})?$/.test(value)) return value;
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length && parts.map((p) => p[0]).join('') === value) {
    const ms = parts.reduce((sum, p) => sum + Number(p[1]) * UNITS[p[2]], 0);
    return seconds(now - ms);
  }
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(t)) throw new UsageError(`invalid value for "${flag}": failed to parse value as time or duration: "${value}"`);
  return seconds(t);
}

function seconds(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${s}.${String(Math.round((ms - s * 1000) * 1e6)).padStart(9, '0')}`;
}
