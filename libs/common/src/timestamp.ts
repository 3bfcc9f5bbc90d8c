import { InvalidParameterError } from './errors';

const UNIT_NS: Record<string, bigint> = { ns: 1n, us: 1_000n, 'µs': 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n };
const DURATION = /^[-+]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/;
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g;
const UNIX = /^(\d{1,12})(?:\.(\d{1,9}))?$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?)?(Z|z|[+-]\d{2}:\d{2})?$/;

/** A Go duration (`90s`, `1h30m`, `1.5h`, `-5m`) in nanoseconds. */
function durationNs(text: string): bigint {
  let ns = 0n;
  for (const [, num, unit] of text.matchAll(DURATION_PART)) {
    const [whole, frac = ''] = num.split('.');
    const scale = UNIT_NS[unit];
    ns += BigInt(whole || '0') * scale + (BigInt(frac.padEnd(18, '0').slice(0, 18) || '0') * scale) / 10n ** 18n;
  }
  return text.startsWith('-') ? -ns : ns;
}

/**
 * Docker's `since`/`until` values (moby's timetypes.GetTimestamp), in nanoseconds since the epoch:
 * a Go duration before `now`, Unix seconds with an optional fraction, or an RFC 3339 date or
 * date-time (without a zone: the daemon's local time). Anything else is refused, where a lenient
 * `Date.parse` would take "1.2.3" for a date in 2003.
 */
export function parseTimestamp(text: string, now = Date.now()): bigint {
  if (text !== '0' && DURATION.test(text)) return BigInt(now) * 1_000_000n - durationNs(text);
  const unix = UNIX.exec(text);
  if (unix) return BigInt(unix[1]) * 1_000_000_000n + BigInt((unix[2] ?? '').padEnd(9, '0'));
  const d = DATE.exec(text);
  if (d) {
    const [, y, mo, da, h = '0', mi = '0', s = '0', frac = '', zone] = d;
    const fields = [Number(y), Number(mo) - 1, Number(da), Number(h), Number(mi), Number(s)] as const;
    let ms = zone ? Date.UTC(...fields) : new Date(...fields).getTime();
    const check = new Date(ms);
    const got = zone ? [check.getUTCFullYear(), check.getUTCMonth(), check.getUTCDate(), check.getUTCHours(), check.getUTCMinutes(), check.getUTCSeconds()] : [check.getFullYear(), check.getMonth(), check.getDate(), check.getHours(), check.getMinutes(), check.getSeconds()];
    if (got.some((v, i) => v !== fields[i])) throw new InvalidParameterError(`parsing time "${text.slice(0, 64)}": out of range`);
    if (zone && zone.length === 6) ms -= (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4))) * 60_000;
    return BigInt(ms) * 1_000_000n + BigInt(frac.padEnd(9, '0') || '0');
  }
  throw new InvalidParameterError(`failed to parse value as time or duration: "${text.slice(0, 64)}"`);
}

/** A Go duration (`30s`, `1m30s`, `500ms`, `-1h`, `0`) in nanoseconds, as time.ParseDuration reads it; undefined when malformed. */
export function parseDuration(text: string): bigint | undefined {
  if (text === '0' || text === '+0' || text === '-0') return 0n;
  return DURATION.test(text) ? durationNs(text) : undefined;
}
