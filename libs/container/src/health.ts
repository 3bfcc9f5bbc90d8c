import { InvalidParameterError } from '@app/common';

/** Config.Healthcheck, camelCased; durations in nanoseconds, 0 for "the default". */
export interface HealthConfig {
  /** `["NONE"]`, `["CMD", arg...]` or `["CMD-SHELL", command]`. */
  readonly test: readonly string[];
  readonly intervalNs?: number;
  readonly timeoutNs?: number;
  readonly startPeriodNs?: number;
  readonly startIntervalNs?: number;
  readonly retries?: number;
}

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** One probe, as State.Health.Log shows it. */
export interface HealthResult {
  readonly start: string;
  readonly end: string;
  readonly exitCode: number;
  readonly output: string;
}

/** State.Health, camelCased. */
export interface HealthState {
  readonly status: HealthStatus;
  readonly failingStreak: number;
  readonly log: readonly HealthResult[];
}

/** moby's defaults and bounds (daemon/health.go, api/types/container). */
export const HEALTH_DEFAULTS = { intervalNs: 30e9, timeoutNs: 30e9, startPeriodNs: 0, startIntervalNs: 5e9, retries: 3 } as const;
const MIN_DURATION_NS = 1e6;
export const HEALTH_LOG_ENTRIES = 5;
export const HEALTH_OUTPUT_BYTES = 4096;

/** Whether the config runs probes at all (`NONE` and an empty test do not). */
export function healthEnabled(c: HealthConfig | undefined): c is HealthConfig {
  return !!c && c.test.length > 0 && c.test[0] !== 'NONE';
}

/**
 * Check a Healthcheck as dockerd does at create (its messages), and what dockerd would only warn
 * about at start (an unknown test type, a CMD without a command) is refused here instead of
 * being accepted and never run.
 */
export function checkHealthConfig(c: HealthConfig): void {
  const durations: [string, number | undefined][] = [['Interval', c.intervalNs], ['Timeout', c.timeoutNs], ['StartPeriod', c.startPeriodNs], ['StartInterval', c.startIntervalNs]];
  for (const [name, v] of durations) {
    if (v !== undefined && v !== 0 && v < MIN_DURATION_NS) throw new InvalidParameterError(`${name} in Healthcheck cannot be less than 1ms`);
  }
  if ((c.retries ?? 0) < 0) throw new InvalidParameterError('Retries in Healthcheck cannot be negative');
  const [kind, ...args] = c.test;
  if (kind === undefined || kind === 'NONE') return;
  if (kind !== 'CMD' && kind !== 'CMD-SHELL') throw new InvalidParameterError(`unknown Healthcheck test type "${kind}": use NONE, CMD or CMD-SHELL`);
  if (args.length === 0 || (kind === 'CMD' && args[0] === '')) throw new InvalidParameterError(`Healthcheck ${kind} needs a command`);
}

/**
 * moby's merge of the image's HEALTHCHECK with the request's: no request config takes the
 * image's; an empty test and zero fields take the image's values.
 */
export function mergeHealthConfig(image: HealthConfig | undefined, req: HealthConfig | undefined): HealthConfig | undefined {
  if (!req) return image;
  if (!image) return req;
  return {
    test: req.test.length > 0 ? req.test : image.test,
    intervalNs: req.intervalNs || image.intervalNs,
    timeoutNs: req.timeoutNs || image.timeoutNs,
    startPeriodNs: req.startPeriodNs || image.startPeriodNs,
    startIntervalNs: req.startIntervalNs || image.startIntervalNs,
    retries: req.retries || image.retries,
  };
}

/** The process a probe runs: CMD as given, CMD-SHELL through /bin/sh -c (moby getProbe). */
export function probeArgs(c: HealthConfig): string[] {
  const [kind, ...args] = c.test;
  return kind === 'CMD-SHELL' ? ['/bin/sh', '-c', args.join(' ')] : args;
}

/** The state a (re)started container's health begins in: starting, its earlier log kept (dockerd). */
export function startingHealth(prev: HealthState | undefined): HealthState {
  return { status: 'starting', failingStreak: 0, log: prev?.log ?? [] };
}

/**
 * moby handleProbeResult: exit 0 is healthy and clears the streak; any other result adds to it
 * (except while starting within the start period) and reaching `retries` makes it unhealthy.
 * The log keeps the last five results.
 */
export function applyProbe(h: HealthState, result: HealthResult, c: HealthConfig, startedAt: string): HealthState {
  const log = [...h.log, result].slice(-HEALTH_LOG_ENTRIES);
  if (result.exitCode === 0) return { status: 'healthy', failingStreak: 0, log };
  const startPeriodNs = c.startPeriodNs || HEALTH_DEFAULTS.startPeriodNs;
  const sinceStartNs = (Date.parse(result.start) - Date.parse(startedAt)) * 1e6;
  if (h.status === 'starting' && sinceStartNs < startPeriodNs) return { ...h, log };
  const failingStreak = h.failingStreak + 1;
  const retries = c.retries && c.retries > 0 ? c.retries : HEALTH_DEFAULTS.retries;
  return { status: failingStreak >= retries ? 'unhealthy' : h.status, failingStreak, log };
}

/** The wait before the next probe: the start interval while starting within the start period. */
export function nextProbeDelayMs(h: HealthState, c: HealthConfig, startedAt: string, now: number): number {
  const startPeriodNs = c.startPeriodNs || HEALTH_DEFAULTS.startPeriodNs;
  const inStart = h.status === 'starting' && (now - Date.parse(startedAt)) * 1e6 < startPeriodNs;
  return ((inStart ? c.startIntervalNs || HEALTH_DEFAULTS.startIntervalNs : c.intervalNs || HEALTH_DEFAULTS.intervalNs) / 1e6);
}

/** Output as Docker keeps it: stdout then stderr, at most 4096 bytes. */
export function probeOutput(stdout: string, stderr: string): string {
  const all = Buffer.from(stdout + stderr);
  return all.length <= HEALTH_OUTPUT_BYTES ? all.toString() : all.subarray(0, HEALTH_OUTPUT_BYTES).toString();
}

/** Go's time.Duration String() for whole units: 30s, 1m30s, 500ms, 1h0m0s. */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s';
  if (ns < 1e3) return `${ns}ns`;
  if (ns < 1e6) return `${trim(ns / 1e3)}µs`;
  if (ns < 1e9) return `${trim(ns / 1e6)}ms`;
  const h = Math.floor(ns / 3600e9);
  const m = Math.floor((ns % 3600e9) / 60e9);
  const s = trim((ns % 60e9) / 1e9);
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

const trim = (n: number) => String(Number(n.toFixed(9)));
