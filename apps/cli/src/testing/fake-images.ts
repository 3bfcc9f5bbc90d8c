import { randomBytes } from 'node:crypto';
import { DaemonError } from '../client/errors';
import type { AuthConfig, ImageDeleteItem, ImageInspect, ImageSummary, JsonMessage } from '../client/engine-types';
import type { BuildOptions, Filters } from '../client/netd-api';
import { familiarString, parseReference } from '../commands/image/reference';
import { FakeDaemonState, list, normalTag } from './fake-state';

/** Images: list, inspect, rm, tag, pull from a tiny registry, push, build, save/load/import, login. */
export class FakeImages extends FakeDaemonState {
  /** Registry content `pull` can fetch: familiar reference → layer ids. */
  readonly registry = new Map<string, string[]>([['busybox:latest', ['9ad63333ebc9']]]);

  async listImages(o: { all?: boolean; digests?: boolean; filters?: Filters } = {}): Promise<ImageSummary[]> {
    this.requests.push({ method: 'listImages', filters: o.filters });
    const refs = o.filters?.reference ?? [];
    return this.images
      .filter((i) => refs.length === 0 || i.tags.some((t) => refs.some((r) => familiarString(t).startsWith(r))))
      .map((i) => ({ Id: i.id, ParentId: '', RepoTags: i.tags, RepoDigests: [], Created: Math.floor(i.created / 1000), Size: i.size, SharedSize: -1, Labels: null, Containers: -1 }));
  }

  async inspectImageWithRaw(name: string): Promise<{ image: ImageInspect; raw: string }> {
    this.requests.push({ method: 'inspectImage', target: name });
    const i = this.image(name);
    const image: ImageInspect = { Id: i.id, RepoTags: i.tags, RepoDigests: [], Created: new Date(i.created).toISOString(), Size: i.size, Config: { Cmd: i.cmd } };
    return { image, raw: JSON.stringify(image) };
  }

  async removeImage(name: string, o: { force?: boolean } = {}): Promise<ImageDeleteItem[]> {
    this.requests.push({ method: 'removeImage', target: name, body: o });
    const i = this.image(name);
    const user = this.containers.find((c) => c.imageId === i.id);
    if (user && !o.force) throw new DaemonError(409, `conflict: unable to remove repository reference "${name}" (must force) - container ${user.id.slice(0, 12)} is using its referenced image ${i.id.slice(7, 19)}`);
    const tag = i.tags.find((t) => t === normalTag(name));
    if (tag && i.tags.length > 1) {
      i.tags.splice(i.tags.indexOf(tag), 1);
      return [{ Untagged: familiarString(tag) }];
    }
    this.images.splice(this.images.indexOf(i), 1);
    return [...i.tags.map((t) => ({ Untagged: familiarString(t) })), { Deleted: i.id }];
  }

  async tagImage(source: string, repo: string, tag?: string): Promise<void> {
    this.requests.push({ method: 'tagImage', target: source, body: { repo, tag } });
    const i = this.image(source);
    const t = normalTag(`${repo}:${tag || 'latest'}`);
    for (const other of this.images) other.tags = other.tags.filter((x) => x !== t);
    i.tags.push(t);
  }

  async pullImage(o: { fromImage: string; tag?: string; auth?: AuthConfig }): Promise<AsyncIterable<JsonMessage>> {
    this.requests.push({ method: 'pullImage', target: o.fromImage, body: { tag: o.tag, auth: o.auth } });
    const ref = familiarString(`${o.fromImage}:${o.tag || 'latest'}`);
    const layers = this.registry.get(ref);
    if (!layers) throw new DaemonError(404, `pull access denied for ${o.fromImage}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied`);
    const msgs: JsonMessage[] = [{ status: `Pulling from ${familiarString(o.fromImage).replace(/^(?!.*\/)/, 'library/')}`, id: o.tag || 'latest' }];
    for (const l of layers) {
      msgs.push({ status: 'Pulling fs layer', progressDetail: {}, id: l });
      msgs.push({ status: 'Downloading', progressDetail: { current: 1000, total: 2000 }, id: l });
      msgs.push({ status: 'Download complete', progressDetail: {}, id: l });
      msgs.push({ status: 'Pull complete', progressDetail: {}, id: l });
    }
    const img = this.images.find((i) => i.tags.includes(normalTag(ref))) ?? this.addImage(ref);
    msgs.push({ status: `Digest: sha256:${img.id.slice(7)}` }, { status: `Status: Downloaded newer image for ${ref}` });
    return list(msgs);
  }

  async pushImage(name: string, o: { tag?: string }): Promise<AsyncIterable<JsonMessage>> {
    this.requests.push({ method: 'pushImage', target: name, body: o });
    const i = this.image(`${name}${o.tag ? `:${o.tag}` : ''}`);
    return list([{ status: `The push refers to repository [${parseReference(name).name}]` }, { status: 'Pushed', progressDetail: {}, id: i.id.slice(7, 19) }, { status: `${o.tag || 'latest'}: digest: ${i.id} size: 527` }]);
  }

  async buildImage(context: AsyncIterable<Uint8Array>, o: BuildOptions): Promise<AsyncIterable<JsonMessage>> {
    let bytes = 0;
    for await (const c of context) bytes += c.length;
    this.requests.push({ method: 'buildImage', body: { ...o, bytes } });
    const img = this.addImage(o.tags?.[0] ?? `sha256:${randomBytes(4).toString('hex')}`, { created: this.now });
    if (!o.tags?.length) img.tags = [];
    for (const t of o.tags?.slice(1) ?? []) img.tags.push(normalTag(t));
    return list([{ stream: 'Step 1/1 : FROM scratch\n' }, { aux: { ID: img.id } }, ...(o.tags ?? []).map((t) => ({ stream: `Successfully tagged ${familiarString(normalTag(t))}\n` }))]);
  }

  async saveImages(names: string[]): Promise<AsyncIterable<Uint8Array>> {
    this.requests.push({ method: 'saveImages', body: names });
    for (const n of names) this.image(n);
    return list([Buffer.from(`tar of ${names.join(',')}`)]);
  }

  async loadImages(tar: AsyncIterable<Uint8Array>): Promise<AsyncIterable<JsonMessage>> {
    let text = '';
    for await (const c of tar) text += Buffer.from(c).toString();
    this.requests.push({ method: 'loadImages', body: text });
    return list([{ stream: 'Loaded image: busybox:latest\n' }]);
  }

  async importImage(tar: AsyncIterable<Uint8Array>, o: { repo?: string; tag?: string }): Promise<AsyncIterable<JsonMessage>> {
    for await (const _ of tar) void _;
    const img = this.addImage(o.repo ? `${o.repo}:${o.tag || 'latest'}` : 'imported:latest', { created: this.now });
    return list([{ status: img.id }]);
  }

  async checkAuth(auth: AuthConfig): Promise<{ Status: string }> {
    this.requests.push({ method: 'auth', body: auth });
    if (auth.password !== 'secret') throw new DaemonError(401, `Get "https://${auth.serveraddress}/v2/": unauthorized: incorrect username or password`);
    return { Status: 'Login Succeeded' };
  }
}
