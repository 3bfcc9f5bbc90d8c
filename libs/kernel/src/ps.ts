import { InvalidParameterError, SystemError } from '@app/common';
import { runCommand } from './exec';

/**
 * The host's `ps` with the given arguments (no shell), as `docker top` runs it. Docker first
 * passes `-q<pids>`, then retries without it, since some options cannot be combined with it.
 * A `ps` that refuses its arguments is the client's mistake: InvalidParameter with the first
 * line `ps` printed, as dockerd reports it.
 */
export async function hostPs(args: readonly string[], pids: readonly number[]): Promise<string> {
  const first = await runCommand('ps', [...args, `-q${pids.join(',')}`], { timeoutMs: 10_000 });
  if (first.code === 0) return first.stdout;
  const second = await runCommand('ps', args, { timeoutMs: 10_000 });
  if (second.code === 0) return second.stdout;
  if (second.code === null) throw new SystemError('ps: timed out');
  throw new InvalidParameterError(`ps: ${second.stderr.split('\n')[0] || `exit status ${second.code}`}`);
}
