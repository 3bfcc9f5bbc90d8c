import type { Handler } from '../../command';
import { UsageError } from '../../client/errors';
import { familiarName, parseReference } from './reference';

/** docker tag: the target is split into repository and tag (default latest) for the API. */
export const tagHandler: Handler<Record<string, never>> = async ({ args }, { client }) => {
  const [source, target] = args;
  let ref;
  try {
    ref = parseReference(target);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (ref.digest) throw new UsageError('refusing to create a tag with a digest reference');
  await client.tagImage(source, familiarName(ref.name), ref.tag ?? 'latest');
};
