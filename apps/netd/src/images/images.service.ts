import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  buildImage, credentialsFor, Images, importRootfs, loadImages, pullImage,
  pushImage, RegistryClient, saveImages, unpackLayerToDir, type BuildStepRunner, type Credentials, type DockerConfigFile,
  type ProgressListener,
} from '@app/image';
import { ConflictError, familiarString, InvalidParameterError, matchLabel, parseFilterArgs, parseReference, parseTimestamp, UnavailableError } from '@app/common';

export interface ImagesServiceOptions {
  /** The image catalog (over data-root/image), shared with the containers service. */
  images: Images;
  insecureRegistries?: readonly string[];
  /** docker-style config.json with `auths` (written by `netctl login`). */
  authConfigFile?: string;
  runner?: BuildStepRunner;
  /** Image events for /events (`pull`, `push`, `tag`, `untag`, `delete`, `import`, `load`, `save`). */
  onEvent?: (action: string, id: string, attributes: Record<string, string>) => void;
  /**
   * Where build contexts are unpacked (the daemon: Docker's data-root/image/tmp), swept of leftovers
   * at start. Default: the OS temp dir, not swept (other processes' directories live there).
   */
  tmpDir?: string;
}

const BUILD_DIR_PREFIX = 'netd-build-';

/** `X-Registry-Auth`: base64url JSON `{username, password, serveraddress}` (Docker's AuthConfig). */
export function parseRegistryAuth(header: string | undefined): Credentials | undefined {
  if (!header) return undefined;
  try {
    const o = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { username?: string; password?: string };
    return o.username && o.password ? { username: o.username, password: o.password } : undefined;
  } catch {
    throw new InvalidParameterError('invalid X-Registry-Auth header');
  }
}

/** The images application service: the Engine API's image verbs over libs/image. */
export class ImagesService {
  readonly images: Images;
  private client: RegistryClient;
  readonly tmpDir: string;
  private pruning = false;
  /** Builds in flight: on close each is aborted (its upload stops being read) and its directory removed. */
  private readonly builds = new Map<string, { abort: AbortController; done: Promise<unknown> }>();

  constructor(private opts: ImagesServiceOptions) {
    this.images = opts.images;
    this.client = this.clientFor(undefined);
    this.tmpDir = opts.tmpDir ?? tmpdir();
    if (opts.tmpDir !== undefined) sweepBuildDirs(this.tmpDir);
  }

  /** A reload: registries reached over plain HTTP, for pulls and pushes from now on. */
  setInsecureRegistries(registries: readonly string[]): void {
    this.opts = { ...this.opts, insecureRegistries: [...registries] };
    this.client = this.clientFor(undefined);
  }

  private clientFor(auth: Credentials | undefined): RegistryClient {
    let config: DockerConfigFile | undefined;
    return new RegistryClient({
      insecureRegistries: this.opts.insecureRegistries,
      credentials: (registry) => {
        if (auth) return auth;
        if (!this.opts.authConfigFile) return undefined;
        config ??= loadConfigSync(this.opts.authConfigFile);
        return credentialsFor(config, registry);
      },
    });
  }

  async pull(fromImage: string, tag: string | undefined, platform: string | undefined, auth: string | undefined, onProgress: ProgressListener) {
    const text = tag ? (tag.startsWith('sha256:') ? `${fromImage}@${tag}` : `${fromImage}:${tag}`) : fromImage;
    const ref = parseReference(text);
    const creds = parseRegistryAuth(auth);
    const client = creds ? this.clientFor(creds) : this.client;
    try {
      const res = await pullImage(client, this.images.store, ref, { platform, onProgress });
      this.opts.onEvent?.('pull', familiarString(ref), { name: familiarString(ref) });
      return res;
    } finally {
      if (client !== this.client) await client.close();
    }
  }

  async push(name: string, tag: string | undefined, auth: string | undefined, onProgress: ProgressListener) {
    const ref = parseReference(tag ? `${name}:${tag}` : name);
    const creds = parseRegistryAuth(auth);
    const client = creds ? this.clientFor(creds) : this.client;
    try {
      const res = await pushImage(client, this.images.store, ref, { onProgress });
      this.opts.onEvent?.('push', familiarString(ref), { name: familiarString(ref) });
      return res;
    } finally {
      if (client !== this.client) await client.close();
    }
  }

  list() {
    return this.images.list();
  }

  inspect(name: string) {
    return this.images.inspect(name);
  }

  history(name: string) {
    return this.images.history(name);
  }

  async tag(name: string, repo: string, tag: string | undefined) {
    await this.images.tag(name, tag ? `${repo}:${tag}` : repo);
    this.opts.onEvent?.('tag', (await this.images.resolve(name)).configDigest, { name: tag ? `${repo}:${tag}` : repo });
  }

  /**
   * `POST /images/prune`: images no container uses, dangling ones only unless `dangling=false`
   * (docker image prune -a); filters `until`, `label`, `label!` as dockerd. One prune at a time.
   * SpaceReclaimed is what the layer store shrank by (a layer another image keeps is not freed).
   */
  async prune(filtersText: string | undefined): Promise<{ ImagesDeleted: ({ Untagged: string } | { Deleted: string })[] | null; SpaceReclaimed: number }> {
    const f = parseFilterArgs(filtersText, ['dangling', 'until', 'label', 'label!']);
    const dangling = f.dangling?.length ? f.dangling[f.dangling.length - 1] : 'true';
    if (!['true', 'false', '1', '0'].includes(dangling)) throw new InvalidParameterError(`invalid filter 'dangling=${dangling}'`);
    let until: bigint | undefined;
    if (f.until?.length) {
      try {
        until = parseTimestamp(f.until[0]);
      } catch {
        throw new InvalidParameterError(`invalid filter 'until=${f.until[0]}'`);
      }
    }
    if (this.pruning) throw new ConflictError('a prune operation is already running');
    this.pruning = true;
    try {
      const before = (await this.images.diskUsage()).layersSize;
      const deleted: ({ Untagged: string } | { Deleted: string })[] = [];
      for (const img of await this.images.list()) {
        if ((dangling === 'true' || dangling === '1') && img.repoTags.length > 0) continue;
        if (until !== undefined && img.created && BigInt(Date.parse(img.created)) * 1_000_000n >= until) continue;
        if (!(f.label ?? []).every((l) => matchLabel(img.labels, l))) continue;
        if ((f['label!'] ?? []).some((l) => matchLabel(img.labels, l))) continue;
        if ((await this.images.users(img.id)).length > 0) continue;
        // by id and across repositories (an unused image may carry tags of several, which prune
        // removes together), but never forced: one a container started using since the check stays
        const report = await this.removeReported(img.id, { allRepositories: true }).catch(() => []);
        deleted.push(...report.map((r) => ('untagged' in r ? { Untagged: r.untagged } : { Deleted: r.deleted })));
      }
      const after = (await this.images.diskUsage()).layersSize;
      return { ImagesDeleted: deleted.length > 0 ? deleted : null, SpaceReclaimed: Math.max(0, before - after) };
    } finally {
      this.pruning = false;
    }
  }

  remove(name: string, force: boolean) {
    return this.removeReported(name, { force });
  }

  private async removeReported(name: string, opts: { force?: boolean; allRepositories?: boolean }) {
    const report = await this.images.remove(name, opts);
    for (const r of report) {
      if ('untagged' in r) this.opts.onEvent?.('untag', r.untagged, { name: r.untagged });
      else this.opts.onEvent?.('delete', r.deleted, {});
    }
    return report;
  }

  async save(names: readonly string[]): Promise<Readable> {
    const tar = await saveImages(this.images, names);
    for (const n of names) this.opts.onEvent?.('save', (await this.images.resolve(n)).configDigest, { name: n });
    return tar;
  }

  async load(body: AsyncIterable<Uint8Array>) {
    const loaded = await loadImages(this.images.store, body);
    for (const l of loaded) this.opts.onEvent?.('load', l.image.configDigest, {});
    return loaded;
  }

  async import(body: AsyncIterable<Uint8Array>, reference: string | undefined, message: string | undefined) {
    const img = await importRootfs(this.images.store, body, { reference, message });
    this.opts.onEvent?.('import', img.configDigest, {});
    return img;
  }

  /** `POST /build`: the context arrives as a tar; it is unpacked (safely) into a temp dir. */
  build(context: AsyncIterable<Uint8Array>, q: { tags: string[]; dockerfile?: string; buildArgs?: Record<string, string>; noCache?: boolean; network?: string }, onOutput: (line: string) => void) {
    const abort = new AbortController();
    // registered before the directory exists, so a close() at any moment finds it
    const dir = join(this.tmpDir, `${BUILD_DIR_PREFIX}${randomBytes(8).toString('hex')}`);
    const run = async () => {
      if (this.closing) throw new UnavailableError('the daemon is shutting down');
      try {
        await mkdir(dir, { mode: 0o700 });
        await unpackLayerToDir(abortable(context, abort.signal), join(dir, 'ctx'), { preserveOwners: false, context: true });
        abort.signal.throwIfAborted();
        const res = await buildImage(this.images, {
          context: join(dir, 'ctx'), dockerfile: q.dockerfile, buildArgs: q.buildArgs, tags: q.tags, noCache: q.noCache,
          network: q.network, runner: this.opts.runner, onOutput,
        });
        for (const t of res.tags) this.opts.onEvent?.('tag', res.image.configDigest, { name: familiarString(parseReference(t)) });
        return res;
      } finally {
        this.builds.delete(dir);
        await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      }
    };
    const done = run();
    this.builds.set(dir, { abort, done });
    return done;
  }

  private closing: Promise<void> | undefined;

  /** Remove in-flight build dirs and close registry connections; once (the module's shutdown hook and tests both call it). */
  async close(): Promise<void> {
    this.closing ??= this.client.close();
    const builds = [...this.builds];
    for (const [, b] of builds) b.abort.abort(new UnavailableError('the daemon is shutting down'));
    // a build in a RUN step may take a while to notice; its directory goes now regardless
    await Promise.race([Promise.allSettled(builds.map(([, b]) => b.done)), new Promise((r) => setTimeout(r, 5000).unref())]);
    for (const [dir] of builds) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    await this.closing;
  }
}

/** The upload, ending with the signal's reason when aborted (a stalled client must not keep a build alive). */
async function* abortable(source: AsyncIterable<Uint8Array>, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  const aborted = new Promise<never>((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
  aborted.catch(() => undefined);
  try {
    for (;;) {
      const n = await Promise.race([it.next(), aborted]);
      if (n.done) return;
      yield n.value;
    }
  } finally {
    void it.return?.();
  }
}

/** Build directories a previous run left (killed mid-build) are never in use: remove them. */
function sweepBuildDirs(tmp: string): void {
  mkdirSync(tmp, { recursive: true, mode: 0o700 });
  for (const name of readdirSync(tmp)) {
    if (name.startsWith(BUILD_DIR_PREFIX)) rmSync(join(tmp, name), { recursive: true, force: true });
  }
}

/** A missing or unreadable config.json means anonymous access. */
function loadConfigSync(path: string): DockerConfigFile {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DockerConfigFile;
  } catch {
    return {};
  }
}
