import { isNetdError, SystemError } from '@app/common';
import type { DriverLogger } from './logger';

/** One named step of a multi-step operation, applied in order (libnetwork's setup_*.go list). */
export interface Step<C> {
  readonly name: string;
  readonly when?: (c: C) => boolean;
  readonly run: (c: C) => Promise<void>;
  /** Undo what `run` made, when a later step fails. */
  readonly undo?: (c: C) => Promise<void>;
}

/**
 * Run `steps` in order, logging each by name. When one fails, undo the completed ones in
 * reverse (best effort) and rethrow the failure (kernel errors keep their kind).
 */
export async function runSteps<C>(what: string, steps: readonly Step<C>[], ctx: C, log: DriverLogger): Promise<void> {
  const done: Step<C>[] = [];
  for (const step of steps) {
    if (step.when && !step.when(ctx)) continue;
    try {
      log.debug({ step: step.name }, what);
      await step.run(ctx);
      done.push(step);
    } catch (err) {
      for (const d of done.reverse()) {
        try {
          await d.undo?.(ctx);
        } catch (undoErr) {
          log.warn({ step: d.name, err: String(undoErr) }, `${what}: undo failed`);
        }
      }
      if (isNetdError(err)) throw err;
      throw new SystemError(`${what}: ${step.name} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
  }
}
