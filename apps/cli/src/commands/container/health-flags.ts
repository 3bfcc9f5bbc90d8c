import { parseDuration } from '@app/common';
import { UsageError } from '../../client/errors';
import { EXIT_USAGE } from '../../context';
import * as messages from '../../messages';

/** The `--health-*` flags of run and create. */
export interface HealthFlags {
  healthCmd?: string;
  healthInterval?: string;
  healthTimeout?: string;
  healthStartPeriod?: string;
  healthStartInterval?: string;
  healthRetries?: string;
  /** commander's `--no-healthcheck` sets `healthcheck: false`. */
  healthcheck?: boolean;
}

export interface HealthcheckBody {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

const usage = (command: string, text: string) => new UsageError(`${messages.genericError(text)}\n${messages.seeHelp(command)}`, EXIT_USAGE);

/**
 * docker's parse of the health flags: `--no-healthcheck` gives `["NONE"]` and excludes the
 * others; `--health-cmd` gives `["CMD-SHELL", cmd]`; durations are Go durations, never negative.
 * Undefined when no health flag was given (the image's HEALTHCHECK applies).
 */
export function healthcheckOf(o: HealthFlags, command: string): HealthcheckBody | undefined {
  const durations: [keyof HealthFlags, keyof HealthcheckBody, string][] = [
    ['healthInterval', 'Interval', '--health-interval'], ['healthTimeout', 'Timeout', '--health-timeout'],
    ['healthStartPeriod', 'StartPeriod', '--health-start-period'], ['healthStartInterval', 'StartInterval', '--health-start-interval'],
  ];
  const any = o.healthCmd !== undefined || o.healthRetries !== undefined || durations.some(([k]) => o[k] !== undefined);
  if (o.healthcheck === false) {
    if (any) throw usage(command, '--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!any) return undefined;
  const out: HealthcheckBody = o.healthCmd ? { Test: ['CMD-SHELL', o.healthCmd] } : {};
  for (const [key, field, flag] of durations) {
    const text = o[key] as string | undefined;
    if (text === undefined) continue;
    const ns = parseDuration(text);
    if (ns === undefined) throw usage(command, `invalid argument "${text}" for "${flag}" flag: time: invalid duration "${text}"`);
    if (ns < 0n) throw usage(command, `${flag} cannot be negative`);
    (out as Record<string, unknown>)[field] = Number(ns);
  }
  if (o.healthRetries !== undefined) {
    if (!/^-?\d{1,9}$/.test(o.healthRetries)) throw usage(command, `invalid argument "${o.healthRetries}" for "--health-retries" flag: strconv.ParseInt: parsing "${o.healthRetries}": invalid syntax`);
    if (Number(o.healthRetries) < 0) throw usage(command, '--health-retries cannot be negative');
    out.Retries = Number(o.healthRetries);
  }
  return out;
}
