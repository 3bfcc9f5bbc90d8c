import { createHash, randomBytes } from 'node:crypto';
import { Duplex, PassThrough } from 'node:stream';
import { DaemonError } from '../client/errors';
import type {
  AuthConfig,
  ContainerCreateRequest,
  ContainerCreateResponse,
  ContainerInspect,
  ContainerSummary,
  ExecCreateRequest,
  ExecInspect,
  ImageDeleteItem,
  ImageInspect,
  ImageSummary,
  JsonMessage,
  Port,
  WaitResponse,
} from '../client/engine-types';
import type { BuildOptions, Filters, LogsOptions } from '../client/netd-api';
import { humanDuration } from '../output/go-units';
import { familiarString, parseReference } from '../commands/image/reference';
import { frame } from '../client/stdcopy';
import { FakeProgram, type ProgramIo } from './fake-programs';

interface FakeImage {
  id: string;
  tags: string[];
  created: number;
  size: number;
  cmd: string[];
}

interface FakeContainer {
  id: string;
  name: string;
  image: string;
  imageId: string;
  config: ContainerCreateRequest;
  created: number;
  status: 'created' | 'running' | 'exited';
  exitCode: number;
  startedAt?: number;
  finishedAt?: number;
  logs: Buffer[];
  attached: PassThrough[];
  stdin?: PassThrough;
  program?: FakeProgram;
  waiters: ((code: number) => void)[];
}

const ZERO_TIME = '0001-01-01T00:00:00Z';

/**
 * The image and container half of the fake daemon. Containers run tiny programs (echo, sh -c
 * 'exit N', sleep, cat); `advance` lets time pass, so tests see docker's status strings and
 * multiplexed streams without processes. Error statuses and messages are Docker's.
 */
export class FakeEngine {
  readonly requests: { method: string; target?: string; body?: unknown; filters?: Filters }[] = [];
  readonly images: FakeImage[] = [];
  readonly containers: FakeContainer[] = [];
  /** Registry content `pull` can fetch: familiar reference → layer ids. */
  readonly registry = new Map<string, string[]>([['busybox:latest', ['9ad63333ebc9']]]);
  get now(): number {
    return Date.now();
  }
  private execs = new Map<string, { container: FakeContainer; req: ExecCreateRequest; code: number | null; running: boolean }>();

  addImage(ref: string, opts: { id?: string; created?: number; size?: number; cmd?: string[] } = {}): FakeImage {
    const img: FakeImage = {
      id: opts.id ?? `sha256:${createHash('sha256').update(ref).digest('hex')}`,
      tags: [normalTag(ref)],
      created: opts.created ?? this.now - 3_600_000 * 24 * 3,
      size: opts.size ?? 4_261_550,
      cmd: opts.cmd ?? ['sh'],
    };
    this.images.push(img);
    return img;
  }

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

  async createContainer(req: ContainerCreateRequest, name?: string): Promise<ContainerCreateResponse> {
    this.requests.push({ method: 'createContainer', target: name, body: structuredClone(req) });
    if (name !== undefined && !/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) throw new DaemonError(400, `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const img = this.images.find((i) => i.tags.includes(normalTag(req.Image)) || i.id === req.Image);
    if (!img) throw new DaemonError(404, `No such image: ${familiarString(normalTag(req.Image))}`);
    const id = randomBytes(32).toString('hex');
    const cname = name?.replace(/^\//, '') ?? `fake_${this.containers.length}`;
    const clash = this.containers.find((c) => c.name === cname);
    if (clash) throw new DaemonError(409, `Conflict. The container name "/${cname}" is already in use by container "${clash.id}". You have to remove (or rename) that container to be able to reuse that name.`);
    const config = structuredClone(req);
    if (!config.Cmd?.length && !config.Entrypoint?.length) config.Cmd = img.cmd;
    this.containers.push({ id, name: cname, image: req.Image, imageId: img.id, config, created: this.now, status: 'created', exitCode: 0, logs: [], attached: [], waiters: [] });
    return { Id: id, Warnings: [] };
  }

  async startContainer(id: string): Promise<void> {
    this.requests.push({ method: 'startContainer', target: id });
    const c = this.container(id);
    if (c.status === 'running') return;
    const argv = [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])];
    const io: ProgramIo = { stdout: (s) => this.emit(c, 1, s), stderr: (s) => this.emit(c, 2, s), exit: (code) => this.exit(c, code), stdin: c.stdin };
    const program = FakeProgram.start(argv, io);
    if (typeof program === 'string') throw new DaemonError(400, `failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "${argv[0]}": ${program}: unknown`);
    c.status = 'running';
    c.startedAt = this.now;
    c.program = program;
    setImmediate(() => program.run());
  }

  async stopContainer(id: string, o: { signal?: string } = {}): Promise<void> {
    this.requests.push({ method: 'stopContainer', target: id, body: o });
    const c = this.container(id);
    if (c.status === 'running') c.program?.signal(o.signal ?? 'SIGTERM');
  }

  async restartContainer(id: string): Promise<void> {
    this.requests.push({ method: 'restartContainer', target: id });
    const c = this.container(id);
    if (c.status === 'running') c.program?.signal('SIGKILL');
    await this.startContainer(id);
  }

  async killContainer(id: string, signal?: string): Promise<void> {
    this.requests.push({ method: 'killContainer', target: id, body: { signal } });
    const c = this.container(id);
    if (c.status !== 'running') throw new DaemonError(409, `cannot kill container: ${id}: container ${c.id} is not running`);
    c.program?.signal(signal ?? 'SIGKILL');
  }

  async removeContainer(id: string, o: { force?: boolean } = {}): Promise<void> {
    this.requests.push({ method: 'removeContainer', target: id, body: o });
    const c = this.container(id);
    if (c.status === 'running' && !o.force) throw new DaemonError(409, `cannot remove container "/${c.name}": container is running: stop the container before removing or force remove`);
    if (c.status === 'running') c.program?.signal('SIGKILL');
    this.containers.splice(this.containers.indexOf(c), 1);
  }

  async waitContainer(id: string, condition?: string): Promise<WaitResponse> {
    this.requests.push({ method: 'waitContainer', target: id, body: { condition } });
    const c = this.container(id);
    if (c.status === 'exited' && condition !== 'next-exit') return { StatusCode: c.exitCode };
    return new Promise((resolve) => c.waiters.push((code) => resolve({ StatusCode: code })));
  }

  async listContainers(o: { all?: boolean; limit?: number; filters?: Filters } = {}): Promise<ContainerSummary[]> {
    this.requests.push({ method: 'listContainers', body: { all: o.all, limit: o.limit }, filters: o.filters });
    let list = [...this.containers].reverse().filter((c) => o.all || (o.limit ?? -1) > 0 || c.status === 'running');
    for (const [k, values] of Object.entries(o.filters ?? {})) {
      list = list.filter((c) => values.some((v) => (k === 'name' ? c.name.includes(v) : k === 'status' ? c.status === v : k === 'id' ? c.id.startsWith(v) : false)));
    }
    if (o.limit !== undefined && o.limit > 0) list = list.slice(0, o.limit);
    return list.map((c) => ({
      Id: c.id,
      Names: [`/${c.name}`],
      Image: c.image,
      ImageID: c.imageId,
      // moby's list view: arguments containing a space are single-quoted
      Command: [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])].map((a, i) => (i > 0 && a.includes(' ') ? `'${a}'` : a)).join(' '),
      Created: Math.floor(c.created / 1000),
      Ports: ports(c.config),
      Labels: c.config.Labels ?? {},
      State: c.status,
      Status: this.status(c),
    }));
  }

  async inspectContainerWithRaw(id: string): Promise<{ container: ContainerInspect; raw: string }> {
    this.requests.push({ method: 'inspectContainer', target: id });
    const c = this.container(id);
    const iso = (t?: number) => (t ? new Date(t).toISOString() : ZERO_TIME);
    const bindings = c.config.HostConfig?.PortBindings ?? {};
    const container: ContainerInspect = {
      Id: c.id,
      Name: `/${c.name}`,
      Created: iso(c.created),
      State: { Status: c.status, Running: c.status === 'running', ExitCode: c.exitCode, StartedAt: iso(c.startedAt), FinishedAt: iso(c.finishedAt) },
      Image: c.imageId,
      Config: c.config,
      HostConfig: c.config.HostConfig,
      NetworkSettings: { Ports: c.status === 'running' ? Object.fromEntries(Object.entries(bindings).map(([k, v]) => [k, v.map((b) => ({ HostIp: b.HostIp || '0.0.0.0', HostPort: b.HostPort }))])) : {} },
    };
    return { container, raw: JSON.stringify(container) };
  }

  async containerLogs(id: string, o: LogsOptions): Promise<AsyncIterable<Uint8Array>> {
    this.requests.push({ method: 'logs', target: id, body: o });
    const c = this.container(id);
    const tail = o.tail && o.tail !== 'all' ? Number(o.tail) : undefined;
    const past = tail !== undefined ? c.logs.slice(Math.max(0, c.logs.length - tail)) : [...c.logs];
    if (!o.follow || c.status !== 'running') return list(past);
    const live = new PassThrough();
    for (const b of past) live.write(b);
    c.attached.push(live);
    return live;
  }

  async attachContainer(id: string, o: { stdin?: boolean }): Promise<Duplex> {
    this.requests.push({ method: 'attach', target: id, body: o });
    const c = this.container(id);
    const out = new PassThrough();
    c.attached.push(out);
    const stdin = new PassThrough();
    if (o.stdin) c.stdin = stdin;
    return Duplex.from({ readable: out, writable: stdin });
  }

  async resizeContainer(id: string): Promise<void> {
    this.container(id);
  }

  async createExec(container: string, req: ExecCreateRequest): Promise<{ Id: string }> {
    this.requests.push({ method: 'createExec', target: container, body: structuredClone(req) });
    const c = this.container(container);
    if (c.status !== 'running') throw new DaemonError(409, `container ${c.id} is not running`);
    const id = randomBytes(32).toString('hex');
    this.execs.set(id, { container: c, req, code: null, running: false });
    return { Id: id };
  }

  async startExec(id: string, o: { detach?: boolean; tty?: boolean }): Promise<Duplex | undefined> {
    const e = this.execs.get(id);
    if (!e) throw new DaemonError(404, `No such exec instance: ${id}`);
    const out = new PassThrough();
    const io: ProgramIo = {
      stdout: (s) => out.write(o.tty ? Buffer.from(s) : frame(1, s)),
      stderr: (s) => out.write(o.tty ? Buffer.from(s) : frame(2, s)),
      exit: (code) => {
        e.code = code;
        e.running = false;
        out.end();
      },
    };
    const program = FakeProgram.start(e.req.Cmd, io);
    if (typeof program === 'string') throw new DaemonError(400, `OCI runtime exec failed: exec failed: unable to start container process: exec: "${e.req.Cmd[0]}": ${program}: unknown`);
    e.running = true;
    setImmediate(() => program.run());
    return o.detach ? undefined : Duplex.from({ readable: out, writable: new PassThrough() });
  }

  async inspectExec(id: string): Promise<ExecInspect> {
    const e = this.execs.get(id);
    if (!e) throw new DaemonError(404, `No such exec instance: ${id}`);
    return { ID: id, Running: e.running, ExitCode: e.code };
  }

  /** Lets time pass: every recorded time moves `ms` into the past (ps's CREATED and STATUS). */
  advance(ms: number): void {
    for (const c of this.containers) {
      c.created -= ms;
      if (c.startedAt) c.startedAt -= ms;
      if (c.finishedAt) c.finishedAt -= ms;
    }
    for (const i of this.images) i.created -= ms;
  }

  private emit(c: FakeContainer, stream: 1 | 2, text: string): void {
    const data = c.config.Tty ? Buffer.from(text) : frame(stream, text);
    c.logs.push(data);
    for (const a of c.attached) a.write(data);
  }

  private exit(c: FakeContainer, code: number): void {
    c.status = 'exited';
    c.exitCode = code;
    c.finishedAt = this.now;
    for (const a of c.attached.splice(0)) a.end();
    for (const w of c.waiters.splice(0)) w(code);
    if (c.config.HostConfig?.AutoRemove && this.containers.includes(c)) this.containers.splice(this.containers.indexOf(c), 1);
  }

  private status(c: FakeContainer): string {
    if (c.status === 'created') return 'Created';
    if (c.status === 'running') return `Up ${humanDuration(this.now - (c.startedAt ?? this.now))}`;
    return `Exited (${c.exitCode}) ${humanDuration(this.now - (c.finishedAt ?? this.now))} ago`;
  }

  private image(name: string): FakeImage {
    const i = this.images.find((x) => x.id === name || x.id.slice(7).startsWith(name.replace(/^sha256:/, '')) || x.tags.includes(normalTag(name)));
    if (!i) throw new DaemonError(404, `No such image: ${name}`);
    return i;
  }

  private container(id: string): FakeContainer {
    const c = this.containers.find((x) => x.id === id || x.name === id.replace(/^\//, '')) ?? (id ? this.containers.find((x) => x.id.startsWith(id)) : undefined);
    if (!c) throw new DaemonError(404, `No such container: ${id}`);
    return c;
  }
}

/** RepoTags as the daemon reports them: familiar form, tag defaulted (`busybox:latest`). */
function normalTag(ref: string): string {
  const r = parseReference(ref);
  return familiarString(`${r.name}:${r.tag ?? 'latest'}`);
}

function ports(req: ContainerCreateRequest): Port[] {
  const out: Port[] = [];
  for (const [spec, bindings] of Object.entries(req.HostConfig?.PortBindings ?? {})) {
    const [port, type] = spec.split('/');
    for (const b of bindings) out.push({ IP: b.HostIp || '0.0.0.0', PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: type });
  }
  return out;
}

async function* list<T>(items: readonly T[]): AsyncIterable<T> {
  for (const i of items) yield i;
}
