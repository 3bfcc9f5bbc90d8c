import type { Handler } from '../../command';
import { UsageError } from '../../client/errors';
import { parseKeyValues } from '../network/filters';
import { contextFromStdin, packContext } from './build-context';
import type { BuildCliOptions } from './image.commands';
import { displayJsonMessages } from './json-messages';
import { parseReference } from './reference';

/** docker build (the classic builder's client): context tar up, build output streamed back. */
export const buildHandler: Handler<BuildCliOptions> = async ({ args, opts }, { client, output, stdio }) => {
  for (const t of opts.tag) {
    try {
      parseReference(t);
    } catch {
      throw new UsageError(`invalid argument "${t}" for "-t, --tag" flag: invalid reference format`, 125);
    }
  }
  const ctx = args[0] === '-' ? await contextFromStdin(stdio.stdin) : await packContext(args[0], opts.file);
  const buildArgs: Record<string, string> = {};
  for (const [k, v] of Object.entries(parseKeyValues(opts.buildArg))) {
    // `--build-arg NAME` takes the value from the environment, as docker does
    if (v !== '' || opts.buildArg.includes(`${k}=`)) buildArgs[k] = v;
    else if (process.env[k] !== undefined) buildArgs[k] = process.env[k] ?? '';
  }
  const stream = await client.buildImage(ctx.tar, {
    tags: opts.tag,
    dockerfile: ctx.dockerfile,
    buildArgs,
    network: opts.network && opts.network !== 'default' ? opts.network : undefined,
    quiet: opts.quiet,
    noCache: opts.cache === false,
  });
  const aux = await displayJsonMessages(stream, opts.quiet ? { line: () => undefined } : { line: (t) => output.line(t) });
  if (opts.quiet) {
    const id = aux.find((a) => a?.ID)?.ID;
    if (id) output.line(id);
  }
};
