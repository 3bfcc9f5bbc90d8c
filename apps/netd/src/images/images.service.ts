import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  buildImage, credentialsFor, familiarString, FileImageStore, Images, importRootfs, loadImages, parseReference, pullImage,
  pushImage, RegistryClient, saveImages, unpackLayerToDir, type BuildStepRunner, type Credentials, type DockerConfigFile,
  type ImageStore, type ProgressListener,
} from '@app/image';
import { InvalidParameterError } from '@app/common';

export interface ImagesServiceOptions {
  /** data-root/image; or a store (tests). */
  store: ImageStore | string;
  insecureRegistries?: readonly string[];
  /** docker-style config.json with `auths` (written by `netctl login`). */
  authConfigFile?: string;
  runner?: BuildStepRunner;
  usedBy?: (imageId: string) => string[];
  /** Image events for /events (`pull`, `push`, `tag`, `untag`, `delete`, `import`, `load`, `save`). */
  onEvent?: (action: string, id: string, attributes: Record<string, string>) => void;
}

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
  private readonly client: RegistryClient;

  constructor(private readonly opts: ImagesServiceOptions) {
    const store = typeof opts.store === 'string' ? new FileImageStore(opts.store) : opts.store;
    this.images = new Images(store, { usedBy: opts.usedBy });
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

  async tag(name: string, repo: string, tag: string | undefined) {
    await this.images.tag(name, tag ? `${repo}:${tag}` : repo);
    this.opts.onEvent?.('tag', (await this.images.resolve(name)).configDigest, { name: tag ? `${repo}:${tag}` : repo });
  }

  async remove(name: string, force: boolean) {
    const report = await this.images.remove(name, { force });
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
  async build(context: AsyncIterable<Uint8Array>, q: { tags: string[]; dockerfile?: string; buildArgs?: Record<string, string>; noCache?: boolean; network?: string }, onOutput: (line: string) => void) {
    const dir = await mkdtemp(join(tmpdir(), 'netd-build-'));
    try {
      await unpackLayerToDir(context, join(dir, 'ctx'), { preserveOwners: false });
      const res = await buildImage(this.images, {
        context: join(dir, 'ctx'), dockerfile: q.dockerfile, buildArgs: q.buildArgs, tags: q.tags, noCache: q.noCache,
        network: q.network, runner: this.opts.runner, onOutput,
      });
      for (const t of res.tags) this.opts.onEvent?.('tag', res.image.configDigest, { name: familiarString(parseReference(t)) });
      return res;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    await this.client.close();
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
