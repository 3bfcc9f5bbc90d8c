import type { Handler } from '../../command';
import { isError } from '../../client/errors';
import { EXIT_ERROR } from '../../context';
import { compactJson, indentJson } from '../../output/go-json';
import { compileTemplate } from '../../output/go-template';
import type { NetworkInspectOptions } from './network-inspect.command';

/**
 * docker's `network inspect`: the daemon's raw bodies re-indented (4 spaces, escapes and key
 * order kept, as Go's json.Indent does), or a template per network. Missing networks are
 * reported after the others are printed; the exit code is then 1.
 */
export const networkInspectHandler: Handler<NetworkInspectOptions> = async ({ args, opts }, { client, output, messages }) => {
  const render = opts.format && opts.format !== 'json' ? compileTemplate(opts.format) : undefined;
  const found: { network: unknown; raw: string }[] = [];
  const errors: string[] = [];
  for (const name of args) {
    try {
      found.push(await client.inspectNetworkWithRaw(name, { verbose: opts.verbose }));
    } catch (e) {
      if (!isError(e, 'DaemonError')) throw e;
      errors.push(messages.daemonError(e.message));
    }
  }
  if (render) {
    for (const f of found) output.line(render(f.network));
  } else {
    const list = `[${found.map((f) => f.raw.trim()).join(',')}]`;
    output.line(opts.format === 'json' ? compactJson(list) : indentJson(list));
  }
  for (const e of errors) output.error(e);
  return errors.length ? EXIT_ERROR : undefined;
};
