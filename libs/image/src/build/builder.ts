import { parseHealthcheck } from './healthcheck';
import { posix } from 'node:path';
import { formatReference, InvalidParameterError, NotImplementedError, parseReference } from '@app/common';
import { writeImage, type NewImageLayer } from '../image-writer';
import type { Images } from '../images';
import { packLayer } from '../layers/layer-writer';
import { walkLayer } from '../layers/layer-tar';
import { MediaType, sha256, type HistoryEntry, type ImageConfig } from '../oci';
import type { ImageRecord } from '../store/image-store.port';
import { BuildContext, MAX_DOCKERFILE_BYTES } from './build-context';
import { MemoryBuildCache, type BuildCache } from './build-cache';
import type { BuildStepRunner } from './build-step-runner.port';
import { expandVars, parseDockerfile, parseError, parseKeyValues, splitWords, type Instruction } from './dockerfile-parser';

export interface BuildOptions {
  /** The build context directory. */
  context: string;
  /** Dockerfile path relative to the context (`-f`); default `Dockerfile`. */
  dockerfile?: string;
  buildArgs?: Record<string, string>;
  /** `-t` references; validated before anything is built. */
  tags?: readonly string[];
  runner?: BuildStepRunner;
  cache?: BuildCache;
  noCache?: boolean;
  /** `--network` for RUN steps. */
  network?: string;
  /** Build output lines (`Step 1/4 : FROM scratch`), for the API's `{"stream": …}` messages. */
  onOutput?: (line: string) => void;
  /** Find or pull a FROM image; default: the local image of that name. */
  resolveBase?: (ref: string) => Promise<ImageRecord>;
}

export interface BuildResult {
  image: ImageRecord;
  tags: string[];
}

interface Stage {
  name?: string;
  config: ImageConfig;
  layers: Array<NewImageLayer & { stored: { mediaType: string; digest: string; size: number } }>;
  history: HistoryEntry[];
  key: string;
  env: Map<string, string>;
  shell: string[];
  cmdSet: boolean;
  /** When the stage's last layer was made (from the cache on a hit). */
  created?: string;
}

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const defaultCache = new MemoryBuildCache();

/**
 * Build an image from a Dockerfile. The Dockerfile, build args and tags are all checked before
 * anything is written; each layer-producing step is cached by (parent key, instruction, content
 * hash of its inputs). RUN goes to the BuildStepRunner; without one it is NotImplementedError.
 */
export async function buildImage(images: Images, opts: BuildOptions): Promise<BuildResult> {
  const store = images.store;
  const tags = (opts.tags ?? []).map((t) => {
    const ref = parseReference(t);
    if (ref.digest) throw new InvalidParameterError(`invalid tag ${t}: a tag cannot contain a digest`);
    return formatReference(ref);
  });
  const ctx = await BuildContext.open(opts.context);
  const dfPath = posix.normalize(opts.dockerfile || 'Dockerfile');
  if (dfPath === '..' || dfPath.startsWith('../') || dfPath.includes('\0')) {
    throw new InvalidParameterError(`the Dockerfile (${dfPath}) must be within the build context`);
  }
  const bytes = await ctx.readFile(dfPath, MAX_DOCKERFILE_BYTES, 'the Dockerfile');
  if (!bytes) throw new InvalidParameterError(`failed to read dockerfile: open ${dfPath}: no such file or directory`);
  const df = parseDockerfile(bytes.toString('utf8'));
  const first = df.instructions.find((i) => i.name !== 'arg');
  if (!first || first.name !== 'from') throw new InvalidParameterError('no build stage in current context');
  const run = df.instructions.find((i) => i.name === 'run');
  if (run && !opts.runner) {
    throw new NotImplementedError(`line ${run.line}: RUN is not supported yet: no build step runner (the container core provides one)`);
  }
  const cache = opts.cache ?? defaultCache;
  const out = opts.onOutput ?? (() => undefined);
  const buildArgs = new Map(Object.entries(opts.buildArgs ?? {}));
  const usedArgs = new Set<string>();
  const globalArgs = new Map<string, string>();
  const stages: Stage[] = [];
  let stage: Stage | undefined;
  let args = globalArgs;
  const held: Array<() => void> = [];
  /** Images written only as the root of a RUN step; removed when the build ends. */
  const intermediates: string[] = [];
  const vars = () => new Map([...args, ...(stage?.env ?? [])]);
  const expand = (_ins: Instruction, s: string) => expandVars(s, vars(), df.escape);

  try {
    for (const [n, ins] of df.instructions.entries()) {
      out(`Step ${n + 1}/${df.instructions.length} : ${ins.original}\n`);
      if (ins.name === 'arg') {
        for (const [k, v] of parseArg(ins, df.escape)) {
          usedArgs.add(k);
          args.set(k, buildArgs.get(k) ?? globalArgs.get(k) ?? (v === undefined ? '' : expand(ins, v)));
        }
        continue;
      }
      if (ins.name === 'from') {
        const words = splitWords(expand(ins, ins.rest), df.escape);
        if (!(words.length === 1 || (words.length === 3 && words[1].toLowerCase() === 'as'))) {
          throw parseError(ins.line, 'FROM requires either one or three arguments');
        }
        stage = await startStage(images, stages, words[0], words[2], opts.resolveBase);
        held.push(store.hold(stage.layers.map((l) => l.stored.digest)));
        stages.push(stage);
        args = new Map();
        continue;
      }
      const s = stage as Stage;
      const cfg = (s.config.config ??= {});
      const layerless = (): void => void s.history.push({ created_by: ins.original, empty_layer: true });
      switch (ins.name) {
        case 'env':
          for (const [k, v] of parseKeyValues(expand(ins, ins.rest), df.escape, ins.line, 'ENV')) s.env.set(k, v);
          cfg.Env = [...s.env].map(([k, v]) => `${k}=${v}`);
          layerless();
          break;
        case 'label':
          cfg.Labels = { ...cfg.Labels, ...Object.fromEntries(parseKeyValues(expand(ins, ins.rest), df.escape, ins.line, 'LABEL')) };
          layerless();
          break;
        case 'workdir': {
          const dir = expand(ins, ins.rest);
          cfg.WorkingDir = posix.resolve(cfg.WorkingDir || '/', dir);
          layerless();
          break;
        }
        case 'user':
          cfg.User = expand(ins, ins.rest);
          layerless();
          break;
        case 'expose':
          for (const p of splitWords(expand(ins, ins.rest), df.escape)) {
            const m = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/(tcp|udp|sctp))?$/i.exec(p);
            if (!m || Number(m[1]) > 65535 || Number(m[1]) === 0) throw parseError(ins.line, `invalid containerPort: ${p}`);
            cfg.ExposedPorts = { ...cfg.ExposedPorts, [`${m[1]}/${(m[3] ?? 'tcp').toLowerCase()}`]: {} };
          }
          layerless();
          break;
        case 'cmd':
        case 'entrypoint': {
          const argv = ins.json ?? (ins.rest === '' ? [] : [...s.shell, ins.rest]);
          if (ins.name === 'cmd') {
            cfg.Cmd = argv;
            s.cmdSet = true;
          } else {
            cfg.Entrypoint = argv;
            if (!s.cmdSet) cfg.Cmd = null;
          }
          layerless();
          break;
        }
        case 'volume':
          for (const v of ins.json ?? splitWords(expand(ins, ins.rest), df.escape)) cfg.Volumes = { ...cfg.Volumes, [v]: {} };
          layerless();
          break;
        case 'stopsignal':
          cfg.StopSignal = expand(ins, ins.rest);
          layerless();
          break;
        case 'healthcheck':
          cfg.Healthcheck = parseHealthcheck(ins);
          layerless();
          break;
        case 'shell':
          if (!ins.json || ins.json.length === 0) throw parseError(ins.line, 'SHELL requires the arguments to be in JSON form');
          s.shell = ins.json;
          layerless();
          break;
        case 'maintainer':
          s.config.author = ins.rest;
          layerless();
          break;
        case 'copy':
        case 'add':
          await copyStep(s, ins, ctx, df.escape, vars(), cache, opts, images, held);
          break;
        case 'run':
          await runStep(s, ins, cache, opts, images, held, intermediates);
          break;
        default:
          throw new NotImplementedError(`line ${ins.line}: ${ins.name.toUpperCase()} is not supported yet`);
      }
    }
    const unused = [...buildArgs.keys()].filter((k) => !usedArgs.has(k));
    if (unused.length > 0) out(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
    const final = stage as Stage;
    const image = await writeImage(store, {
      base: final.config,
      layers: final.layers,
      config: final.config.config,
      history: final.history,
      created: final.created ?? final.config.created,
    });
    for (const t of tags) await store.setTag(t, image.manifestDigest);
    await dropIntermediates(images, intermediates, image.manifestDigest);
    out(`Successfully built ${image.configDigest.slice(7, 19)}\n`);
    return { image, tags };
  } catch (e) {
    for (const r of held.splice(0)) r();
    await dropIntermediates(images, intermediates, undefined);
    await store.gc().catch(() => undefined);
    throw e;
  } finally {
    for (const r of held) r();
  }
}

function parseArg(ins: Instruction, escape: string): Array<[string, string | undefined]> {
  return splitWords(ins.rest, escape).map((w) => {
    const eq = w.indexOf('=');
    const name = eq < 0 ? w : w.slice(0, eq);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw parseError(ins.line, `invalid ARG name: ${name}`);
    return [name, eq < 0 ? undefined : w.slice(eq + 1)];
  });
}

async function startStage(images: Images, stages: Stage[], from: string, name: string | undefined, resolveBase?: BuildOptions['resolveBase']): Promise<Stage> {
  const fresh = (): Stage => ({
    name, key: sha256('scratch'), layers: [], history: [], env: new Map([['PATH', DEFAULT_PATH.slice(5)]]), shell: ['/bin/sh', '-c'], cmdSet: false,
    config: { architecture: 'amd64', os: 'linux', config: { Env: [DEFAULT_PATH] }, rootfs: { type: 'layers', diff_ids: [] } },
  });
  if (from === 'scratch') return fresh();
  const prior = stages.find((s) => s.name === from);
  if (prior) return { ...structuredClone({ ...prior, env: undefined }), env: new Map(prior.env), name };
  const img = resolveBase ? await resolveBase(from) : await images.resolve(from);
  const config = await images.store.readConfig(img.configDigest);
  const manifest = await images.store.readManifest(img.manifestDigest);
  const env = new Map((config.config?.Env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] as [string, string]));
  return {
    name, config: structuredClone(config), history: [...(config.history ?? [])], env, shell: ['/bin/sh', '-c'], cmdSet: false,
    key: img.configDigest,
    layers: manifest.layers.map((l, i) => ({ stored: l, diffId: config.rootfs.diff_ids[i] })),
  };
}

async function copyStep(
  s: Stage, ins: Instruction, ctx: BuildContext, escape: string, vars: Map<string, string>, cache: BuildCache,
  opts: BuildOptions, images: Images, held: Array<() => void>,
): Promise<void> {
  if (ins.flags.from !== undefined) throw new NotImplementedError(`line ${ins.line}: COPY --from is not supported yet`);
  const words = (ins.json ?? splitWords(expandVars(ins.rest, vars, escape), escape)).map((w) => expandVars(w, vars, escape));
  if (words.length < 2) throw parseError(ins.line, `${ins.name.toUpperCase()} requires at least two arguments`);
  const dest = words[words.length - 1];
  const absDest = posix.resolve(s.config.config?.WorkingDir || '/', dest) + (dest.endsWith('/') ? '/' : '');
  let uid: number | undefined;
  let gid: number | undefined;
  if (ins.flags.chown !== undefined) {
    const m = /^(\d+)(?::(\d+))?$/.exec(ins.flags.chown);
    if (!m) throw new NotImplementedError(`line ${ins.line}: --chown with user names is not supported yet (use uid:gid)`);
    uid = Number(m[1]);
    gid = Number(m[2] ?? m[1]);
  }
  let mode: number | undefined;
  if (ins.flags.chmod !== undefined) {
    if (!/^[0-7]{3,4}$/.test(ins.flags.chmod)) throw parseError(ins.line, `invalid --chmod=${ins.flags.chmod}`);
    mode = parseInt(ins.flags.chmod, 8);
  }
  const sources: string[] = [];
  for (const src of words.slice(0, -1)) sources.push(...(await ctx.resolve(src, ins.line)));
  const { files, hash } = await ctx.copy(sources, absDest, ins.line, { uid, gid, mode, extractArchives: ins.name === 'add' });
  const key = sha256(`${s.key}\n${ins.name} ${JSON.stringify({ words, flags: ins.flags, absDest })}\n${hash}`);
  await addLayer(s, key, ins, cache, opts, images, held, async () => packLayer(files));
}

async function runStep(
  s: Stage, ins: Instruction, cache: BuildCache, opts: BuildOptions, images: Images, held: Array<() => void>, intermediates: string[],
): Promise<void> {
  const argv = ins.json ?? [...s.shell, ins.rest];
  const network = ins.flags.network ?? opts.network;
  const key = sha256(`${s.key}\nrun ${JSON.stringify({ argv, network, env: [...s.env] })}`);
  await addLayer(s, key, ins, cache, opts, images, held, async () => {
    if (!opts.runner) {
      throw new NotImplementedError(`line ${ins.line}: RUN is not supported yet: no build step runner (the container core provides one)`);
    }
    const known = new Set((await images.store.listImages()).map((i) => i.manifestDigest));
    const base = await writeImage(images.store, { base: s.config, layers: s.layers, config: s.config.config, history: s.history });
    held.push(images.store.hold([base.manifestDigest, base.configDigest]));
    if (!known.has(base.manifestDigest)) intermediates.push(base.manifestDigest);
    const lowerDirs = await images.store.unpack(base.manifestDigest);
    const env = [...s.env].map(([k, v]) => `${k}=${v}`);
    const res = await opts.runner.run({
      lowerDirs, image: base.configDigest, argv, env, workdir: s.config.config?.WorkingDir || '/', user: s.config.config?.User, network,
      onOutput: opts.onOutput,
    });
    const blob = await images.store.putBlob(res.diff);
    held.push(images.store.hold([blob.digest]));
    const diffId = await walkLayer(await images.store.openBlob(blob.digest), async () => undefined);
    return { stored: { mediaType: diffId === blob.digest ? MediaType.OciLayer : MediaType.OciLayerGzip, digest: blob.digest, size: blob.size }, diffId };
  });
}

/** Remove the images RUN steps ran on (unless one is the result or got a tag meanwhile). */
async function dropIntermediates(images: Images, digests: string[], keep: string | undefined): Promise<void> {
  const tagged = new Set((await images.store.listTags()).map((t) => t.manifestDigest));
  for (const d of digests.splice(0)) {
    if (d !== keep && !tagged.has(d)) await images.store.deleteImage(d).catch(() => undefined);
  }
}

type Produced = { tar: Buffer; diffId: string; gzip: Buffer } | { stored: { mediaType: string; digest: string; size: number }; diffId: string };

async function addLayer(
  s: Stage, key: string, ins: Instruction, cache: BuildCache, opts: BuildOptions, images: Images,
  held: Array<() => void>, produce: () => Promise<Produced>,
): Promise<void> {
  const store = images.store;
  const hit = opts.noCache ? undefined : cache.get(key);
  if (hit && (await store.statBlob(hit.layer.digest)) === hit.layer.size) {
    held.push(store.hold([hit.layer.digest]));
    opts.onOutput?.(' ---> Using cache\n');
    s.layers.push({ stored: hit.layer, diffId: hit.diffId });
    s.created = hit.created;
  } else {
    const made = await produce();
    let entry: { stored: { mediaType: string; digest: string; size: number }; diffId: string };
    if ('stored' in made) entry = made;
    else {
      const b = await store.putBlob(made.gzip);
      held.push(store.hold([b.digest]));
      entry = { stored: { mediaType: MediaType.OciLayerGzip, digest: b.digest, size: b.size }, diffId: made.diffId };
    }
    s.created = new Date().toISOString();
    cache.set(key, { layer: entry.stored, diffId: entry.diffId, created: s.created });
    s.layers.push(entry);
  }
  s.key = key;
  s.history.push({ created_by: ins.original });
}
