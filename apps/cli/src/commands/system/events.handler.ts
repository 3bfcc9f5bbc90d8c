import { parseTimestamp } from '@app/common';
import type { Handler } from '../../command';
import { UsageError } from '../../client/errors';
import type { EventMessage } from '../../client/system-types';
import { goJson } from '../../output/go-json';
import { compileTemplate } from '../../output/go-template';
import { parseFilters } from '../network/filters';
import type { EventsOptions } from './system.commands';

/**
 * `--since`/`--until` as docker's CLI sends them (moby's timetypes.GetTimestamp): a duration is
 * resolved here against the client's clock and sent as whole seconds (docker truncates it too), a
 * Unix timestamp goes as typed, a date as `seconds.nanoseconds`.
 */
export function wireTimestamp(flag: string, text: string | undefined, now = Date.now()): string | undefined {
  if (text === undefined || text === '') return undefined;
  let ns: bigint;
  try {
    ns = parseTimestamp(text, now);
  } catch (e) {
    throw new UsageError(`invalid value for "--${flag}": ${(e as Error).message}`);
  }
  if (/^\d+(\.\d+)?$/.test(text)) return text;
  const seconds = ns >= 0n ? ns / 1_000_000_000n : -((-ns + 999_999_999n) / 1_000_000_000n);
  if (/^-?[\d.]+(ns|us|µs|ms|s|m|h)/.test(text)) return String(seconds);
  return `${seconds}.${String(ns - seconds * 1_000_000_000n).padStart(9, '0')}`;
}

/** Go's RFC3339NanoFixed (`2006-01-02T15:04:05.000000000Z07:00`) in the local zone, as docker prints event times. */
export function eventTime(timeNano: number | bigint): string {
  // beyond 2^53 a JSON number is best read through its decimal text, as Go reads it into an int64
  const ns = typeof timeNano === 'bigint' ? timeNano : BigInt(Number.isSafeInteger(timeNano) ? timeNano : String(timeNano));
  const ms = Number(ns / 1_000_000n);
  const d = new Date(ms);
  const offset = -d.getTimezoneOffset();
  const local = new Date(ms + offset * 60_000);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const zone = offset === 0 ? 'Z' : `${offset > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
  return (
    `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}` +
    `.${String(ns % 1_000_000_000n).padStart(9, '0')}${zone}`
  );
}

/** docker's prettyPrintEvent: time, type, action, actor id, then `(k=v, …)` sorted by key. */
export function prettyEvent(e: EventMessage): string {
  const when = e.timeNano ? `${eventTime(e.timeNano)} ` : e.time ? `${eventTime(BigInt(e.time) * 1_000_000_000n)} ` : '';
  const attrs = Object.keys(e.Actor?.Attributes ?? {}).sort();
  const tail = attrs.length ? ` (${attrs.map((k) => `${k}=${e.Actor.Attributes[k]}`).join(', ')})` : '';
  return `${when}${e.Type} ${e.Action} ${e.Actor?.ID ?? ''}${tail}`;
}

/** docker's `events`: streams until --until passes (or forever), one line per event. */
export const eventsHandler: Handler<EventsOptions> = async ({ opts }, { client, output }) => {
  const filters = parseFilters(opts.filter, 'events');
  const now = Date.now();
  const since = wireTimestamp('since', opts.since, now);
  const until = wireTimestamp('until', opts.until, now);
  const render = opts.format === 'json' ? (e: EventMessage) => goJson(e) : opts.format ? compileTemplate(opts.format) : prettyEvent;
  for await (const e of await client.events({ since, until, filters })) output.line(render(e));
};
