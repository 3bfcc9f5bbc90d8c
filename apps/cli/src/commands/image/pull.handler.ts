import type { Handler } from '../../command';
import { UsageError } from '../../client/errors';
import { pullWithProgress } from './pull';
import { parseReference } from './reference';

export const pullHandler: Handler<{ platform?: string; quiet?: boolean }> = async ({ args, opts }, ctx) => {
  try {
    parseReference(args[0]);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  await pullWithProgress(ctx, args[0], opts);
};
