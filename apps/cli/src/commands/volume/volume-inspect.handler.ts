import type { Handler } from '../../command';
import { isError } from '../../client/errors';
import { EXIT_ERROR } from '../../context';
import { compactJson, indentJson } from '../../output/go-json';
import { compileTemplate } from '../../output/go-template';
import type { VolumeInspectOptions } from './volume.commands';

/** docker's `volume inspect`: the daemon's bodies re-indented in one array, or a template per volume. */
export const volumeInspectHandler: Handler<VolumeInspectOptions> = async ({ args, opts }, { client, output, messages }) => {
  const render = opts.format && opts.format !== 'json' ? compileTemplate(opts.format) : undefined;
  const found: { volume: unknown; raw: string }[] = [];
  const errors: string[] = [];
  for (const name of args) {
    try {
      found.push(await client.inspectVolumeWithRaw(name));
    } catch (e) {
      if (!isError(e, 'DaemonError')) throw e;
      errors.push(messages.daemonError(e.message));
    }
  }
  if (render) {
    for (const f of found) output.line(render(f.volume));
  } else {
    const list = `[${found.map((f) => f.raw.trim()).join(',')}]`;
    output.line(opts.format === 'json' ? compactJson(list) : indentJson(list));
  }
  for (const e of errors) output.error(e);
  return errors.length ? EXIT_ERROR : undefined;
};
