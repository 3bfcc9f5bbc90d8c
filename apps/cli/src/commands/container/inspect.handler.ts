import type { Handler } from '../../command';
import { isError } from '../../client/errors';
import type { NetdApi } from '../../client/netd-api';
import { EXIT_ERROR } from '../../context';
import { compactJson, indentJson } from '../../output/go-json';
import { compileTemplate } from '../../output/go-template';

type Kind = 'container' | 'image' | 'network';

const LOOKUP: Record<Kind, (c: NetdApi, name: string) => Promise<{ value: unknown; raw: string }>> = {
  container: async (c, n) => {
    const r = await c.inspectContainerWithRaw(n);
    return { value: r.container, raw: r.raw };
  },
  image: async (c, n) => {
    const r = await c.inspectImageWithRaw(n);
    return { value: r.image, raw: r.raw };
  },
  network: async (c, n) => {
    const r = await c.inspectNetworkWithRaw(n);
    return { value: r.network, raw: r.raw };
  },
};

/**
 * docker inspect: each name is tried as a container, then an image, then a network (or only
 * `--type`); the raw bodies re-indented as one JSON array, or a template per object. Names found
 * nowhere are reported after the rest is printed ("No such object"), and the exit code is 1.
 */
export const inspectHandler: Handler<{ format?: string; type?: string }> = async ({ args, opts }, { client, output, messages }) => {
  const render = opts.format && opts.format !== 'json' ? compileTemplate(opts.format) : undefined;
  const kinds: Kind[] = opts.type ? [opts.type as Kind] : ['container', 'image', 'network'];
  const found: { value: unknown; raw: string }[] = [];
  const errors: string[] = [];
  for (const name of args) {
    let hit: { value: unknown; raw: string } | undefined;
    for (const kind of kinds) {
      try {
        hit = await LOOKUP[kind](client, name);
        break;
      } catch (e) {
        if (!isError(e, 'DaemonError') || e.status !== 404) throw e;
      }
    }
    if (hit) found.push(hit);
    else errors.push(opts.type ? messages.noSuchOf(opts.type, name) : messages.noSuchObject(name));
  }
  if (render) for (const f of found) output.line(render(f.value));
  else {
    const list = `[${found.map((f) => f.raw.trim()).join(',')}]`;
    output.line(opts.format === 'json' ? compactJson(list) : indentJson(list));
  }
  for (const e of errors) output.error(e);
  return errors.length ? EXIT_ERROR : undefined;
};
