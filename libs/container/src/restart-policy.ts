import { InvalidParameterError } from '@app/common';

export type RestartPolicyName = 'no' | 'always' | 'unless-stopped' | 'on-failure';

/** Docker's HostConfig.RestartPolicy. `maximumRetryCount` only means something for on-failure. */
export interface RestartPolicy {
  readonly name: RestartPolicyName;
  readonly maximumRetryCount: number;
}

export const NO_RESTART: RestartPolicy = { name: 'no', maximumRetryCount: 0 };

/** Parse the CLI form: `no`, `always`, `unless-stopped`, `on-failure[:n]`. */
export function parseRestartPolicy(text: string): RestartPolicy {
  const [name, count, ...rest] = text.split(':');
  if (rest.length > 0) throw new InvalidParameterError(`invalid restart policy format: ${text}`);
  if (count !== undefined && name !== 'on-failure') {
    throw new InvalidParameterError(`maximum retry count cannot be used with restart policy '${name}'`);
  }
  return restartPolicy({ name: name === '' ? 'no' : name, maximumRetryCount: count === undefined ? 0 : Number(count) });
}

/** Validate the API form (`{Name, MaximumRetryCount}`), Docker's messages. */
export function restartPolicy(p: { name: string; maximumRetryCount?: number }): RestartPolicy {
  const n = p.maximumRetryCount ?? 0;
  if (!['no', 'always', 'unless-stopped', 'on-failure', ''].includes(p.name)) {
    throw new InvalidParameterError(`invalid restart policy: unknown policy '${p.name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
  if (!Number.isInteger(n) || n < 0) {
    throw new InvalidParameterError('invalid restart policy: maximum retry count must be a positive integer');
  }
  if (n > 0 && p.name !== 'on-failure') {
    throw new InvalidParameterError(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
  }
  return { name: (p.name || 'no') as RestartPolicyName, maximumRetryCount: n };
}

/** What happened, for {@link shouldRestart}. */
export interface RestartContext {
  readonly exitCode: number;
  /** Restarts done since the container was last started by a user. */
  readonly restartCount: number;
  /** The user stopped or killed it (docker stop/kill): only `always` survives that, at daemon start. */
  readonly manuallyStopped: boolean;
  /** Evaluated while the daemon starts up rather than on an exit seen live. */
  readonly daemonStarting: boolean;
}

/**
 * moby's `restartmanager.ShouldRestart`, plus its daemon-start rule: after a daemon restart,
 * `always` containers come back even if stopped by hand, `unless-stopped` ones only if not.
 */
export function shouldRestart(policy: RestartPolicy, ctx: RestartContext): boolean {
  switch (policy.name) {
    case 'always':
      return ctx.daemonStarting || !ctx.manuallyStopped;
    case 'unless-stopped':
      return !ctx.manuallyStopped;
    case 'on-failure':
      if (ctx.manuallyStopped || ctx.exitCode === 0) return false;
      return policy.maximumRetryCount === 0 || ctx.restartCount < policy.maximumRetryCount;
    case 'no':
      return false;
  }
}

/** moby's back-off: 100 ms doubling per consecutive restart, capped at one minute. */
export function restartDelayMs(restartCount: number): number {
  return Math.min(100 * 2 ** Math.max(0, restartCount), 60_000);
}

/** A container that ran this long before exiting resets the back-off (moby: 10 s). */
export const RESET_BACKOFF_AFTER_MS = 10_000;
