import type { Handler } from '../../command';
import type { ContainerCreateOptions } from './container-create.options';
import { buildCreateRequest } from './container-config';
import { createContainer } from './run.handler';

/** docker create: the same request as run, pulling a missing image; prints the full ID. */
export const createHandler: Handler<ContainerCreateOptions> = async ({ args, opts }, ctx) => {
  const [image, ...cmd] = args;
  const id = await createContainer(ctx, buildCreateRequest(image, cmd, opts, 'create'), opts, 'create');
  ctx.output.line(id);
};
