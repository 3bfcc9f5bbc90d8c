import type {
  ConnectNetworkDto,
  CreateNetworkDto,
  DisconnectNetworkDto,
  NetworkCreateResponse,
  NetworkInspect,
  NetworkPruneResponse,
  NetworkSummary,
  VersionResponse,
  CreateVolumeDto,
  VolumeListResponse,
  VolumePruneResponse,
  VolumeResponse,
} from '@app/api';
import type { Duplex } from 'node:stream';
import { DaemonError } from './errors';
import type { Endpoint } from './host';
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
  WaitResponse,
} from './engine-types';
import { API_VERSION, encodeFilters, type BuildOptions, type ContainerPathStat, type Filters, type InfoResponse, type LogsOptions, type NetdApi } from './netd-api';
import type { DiskUsage, EventMessage, ImagePruneResponse } from './system-types';
import { errorMessage, jsonMessages, openRequest, readBody, throwIfError, type StreamRequest } from './transport';
import { clusterOverHttp, type ClusterApi, type ClusterInitRequest, type ClusterJoinRequest, type ClusterRotateKeyResponse, type ClusterStatus } from '../commands/cluster/cluster-api';

const TIMEOUT_MS = 60_000;

interface RawResponse {
  status: number;
  body: string;
}

/**
 * The daemon's Engine API over a unix socket or TCP(+TLS). Uses node:http rather than undici:
 * one request per run does not need a pool, and not loading undici keeps `netctl` start-up near
 * `node -e 0` (bench/cli).
 */
export class NetdClient implements NetdApi, ClusterApi {
  /** netd's own cluster API (`/netd/cluster`); leave answers with an empty body. */
  private readonly cluster: ClusterApi = clusterOverHttp(<T>(m: string, p: string, b?: unknown) =>
    this.call(m, p, {}, b).then((r) => (r.body ? (JSON.parse(r.body) as T) : (undefined as T))),
  );

  clusterStatus(): Promise<ClusterStatus> {
    return this.cluster.clusterStatus();
  }

  clusterInit(req: ClusterInitRequest): Promise<{ Token: string; NodeID: string }> {
    return this.cluster.clusterInit(req);
  }

  clusterJoin(req: ClusterJoinRequest): Promise<{ NodeID: string }> {
    return this.cluster.clusterJoin(req);
  }

  clusterLeave(): Promise<void> {
    return this.cluster.clusterLeave();
  }

  clusterRemoveNode(node: string): Promise<{ ID: string }> {
    return this.cluster.clusterRemoveNode(node);
  }

  clusterRotateKey(): Promise<ClusterRotateKeyResponse> {
    return this.cluster.clusterRotateKey();
  }

  constructor(
    private readonly endpoint: Endpoint,
    private readonly debug: (line: string) => void = () => undefined,
  ) {}

  version(): Promise<VersionResponse> {
    return this.json('GET', '/version');
  }

  info(): Promise<InfoResponse> {
    return this.json('GET', '/info');
  }

  listNetworks(filters?: Filters): Promise<NetworkSummary[]> {
    return this.json('GET', '/networks', { filters: encodeFilters(filters) });
  }

  async inspectNetworkWithRaw(idOrName: string, opts: { verbose?: boolean } = {}): Promise<{ network: NetworkInspect; raw: string }> {
    const r = await this.call('GET', `/networks/${encodeURIComponent(idOrName)}`, { verbose: opts.verbose ? 'true' : undefined });
    return { network: JSON.parse(r.body) as NetworkInspect, raw: r.body };
  }

  createNetwork(req: CreateNetworkDto): Promise<NetworkCreateResponse> {
    return this.json('POST', '/networks/create', {}, req);
  }

  async removeNetwork(idOrName: string): Promise<void> {
    await this.call('DELETE', `/networks/${encodeURIComponent(idOrName)}`);
  }

  pruneNetworks(filters?: Filters): Promise<NetworkPruneResponse> {
    return this.json('POST', '/networks/prune', { filters: encodeFilters(filters) });
  }

  async connectNetwork(idOrName: string, req: ConnectNetworkDto): Promise<void> {
    await this.call('POST', `/networks/${encodeURIComponent(idOrName)}/connect`, {}, req);
  }

  async disconnectNetwork(idOrName: string, req: DisconnectNetworkDto): Promise<void> {
    await this.call('POST', `/networks/${encodeURIComponent(idOrName)}/disconnect`, {}, req);
  }

  createVolume(req: CreateVolumeDto): Promise<VolumeResponse> {
    return this.json('POST', '/volumes/create', {}, req);
  }

  listVolumes(filters?: Filters): Promise<VolumeListResponse> {
    return this.json('GET', '/volumes', { filters: encodeFilters(filters) });
  }

  async inspectVolumeWithRaw(name: string): Promise<{ volume: VolumeResponse; raw: string }> {
    const r = await this.call('GET', `/volumes/${encodeURIComponent(name)}`);
    return { volume: JSON.parse(r.body) as VolumeResponse, raw: r.body };
  }

  async removeVolume(name: string, opts: { force?: boolean } = {}): Promise<void> {
    await this.call('DELETE', `/volumes/${encodeURIComponent(name)}`, { force: flag(opts.force) });
  }

  pruneVolumes(filters?: Filters): Promise<VolumePruneResponse> {
    return this.json('POST', '/volumes/prune', { filters: encodeFilters(filters) });
  }

  listImages(opts: { all?: boolean; digests?: boolean; filters?: Filters } = {}): Promise<ImageSummary[]> {
    return this.json('GET', '/images/json', { all: flag(opts.all), digests: flag(opts.digests), filters: encodeFilters(opts.filters) });
  }

  async inspectImageWithRaw(name: string): Promise<{ image: ImageInspect; raw: string }> {
    const r = await this.call('GET', `/images/${imagePath(name)}/json`);
    return { image: JSON.parse(r.body) as ImageInspect, raw: r.body };
  }

  removeImage(name: string, opts: { force?: boolean; noprune?: boolean } = {}): Promise<ImageDeleteItem[]> {
    return this.json('DELETE', `/images/${imagePath(name)}`, { force: flag(opts.force), noprune: flag(opts.noprune) });
  }

  async tagImage(source: string, repo: string, tag?: string): Promise<void> {
    await this.call('POST', `/images/${imagePath(source)}/tag`, { repo, tag });
  }

  pullImage(o: { fromImage: string; tag?: string; platform?: string; auth?: AuthConfig }): Promise<AsyncIterable<JsonMessage>> {
    return this.messages({ method: 'POST', path: this.path('/images/create', { fromImage: o.fromImage, tag: o.tag, platform: o.platform }), headers: authHeader(o.auth) });
  }

  pushImage(name: string, o: { tag?: string; auth?: AuthConfig }): Promise<AsyncIterable<JsonMessage>> {
    return this.messages({ method: 'POST', path: this.path(`/images/${imagePath(name)}/push`, { tag: o.tag }), headers: authHeader(o.auth) ?? { 'X-Registry-Auth': 'e30=' } });
  }

  buildImage(context: AsyncIterable<Uint8Array>, o: BuildOptions): Promise<AsyncIterable<JsonMessage>> {
    const q = new URLSearchParams();
    for (const t of o.tags ?? []) q.append('t', t);
    if (o.dockerfile) q.set('dockerfile', o.dockerfile);
    if (o.buildArgs && Object.keys(o.buildArgs).length) q.set('buildargs', JSON.stringify(o.buildArgs));
    if (o.network) q.set('networkmode', o.network);
    if (o.quiet) q.set('q', '1');
    if (o.noCache) q.set('nocache', '1');
    const qs = q.toString();
    return this.messages({ method: 'POST', path: `/v${API_VERSION}/build${qs ? `?${qs}` : ''}`, headers: { 'Content-Type': 'application/x-tar' }, body: context });
  }

  async saveImages(names: string[]): Promise<AsyncIterable<Uint8Array>> {
    const q = new URLSearchParams(names.map((n): [string, string] => ['names', n])).toString();
    return this.stream({ method: 'GET', path: `/v${API_VERSION}/images/get?${q}` });
  }

  loadImages(tar: AsyncIterable<Uint8Array>, o: { quiet?: boolean } = {}): Promise<AsyncIterable<JsonMessage>> {
    return this.messages({ method: 'POST', path: this.path('/images/load', { quiet: flag(o.quiet) }), headers: { 'Content-Type': 'application/x-tar' }, body: tar });
  }

  importImage(tar: AsyncIterable<Uint8Array>, o: { repo?: string; tag?: string; message?: string; changes?: string[] }): Promise<AsyncIterable<JsonMessage>> {
    const q = new URLSearchParams({ fromSrc: '-' });
    for (const [k, v] of Object.entries({ repo: o.repo, tag: o.tag, message: o.message })) if (v) q.set(k, v);
    for (const c of o.changes ?? []) q.append('changes', c);
    return this.messages({ method: 'POST', path: `/v${API_VERSION}/images/create?${q}`, headers: { 'Content-Type': 'application/x-tar' }, body: tar });
  }

  checkAuth(auth: AuthConfig): Promise<{ Status: string; IdentityToken?: string }> {
    return this.json('POST', '/auth', {}, auth);
  }

  createContainer(req: ContainerCreateRequest, name?: string): Promise<ContainerCreateResponse> {
    return this.json('POST', '/containers/create', { name }, req);
  }

  async startContainer(id: string): Promise<void> {
    await this.call('POST', `/containers/${encodeURIComponent(id)}/start`);
  }

  async stopContainer(id: string, o: { timeout?: number; signal?: string } = {}): Promise<void> {
    await this.call('POST', `/containers/${encodeURIComponent(id)}/stop`, { t: o.timeout?.toString(), signal: o.signal });
  }

  async restartContainer(id: string, o: { timeout?: number; signal?: string } = {}): Promise<void> {
    await this.call('POST', `/containers/${encodeURIComponent(id)}/restart`, { t: o.timeout?.toString(), signal: o.signal });
  }

  async renameContainer(id: string, name: string): Promise<void> {
    await this.call('POST', `/containers/${encodeURIComponent(id)}/rename`, { name });
  }

  async pauseContainer(id: string): Promise<void> {
    await this.call('POST', `/containers/${encodeURIComponent(id)}/pause`);
  }

  async unpauseContainer(id: string): Promise<void> {
    await this.call('POST', `/containers/${encodeURIComponent(id)}/unpause`);
  }

  updateContainer(id: string, config: Record<string, unknown>): Promise<{ Warnings: string[] | null }> {
    return this.json('POST', `/containers/${encodeURIComponent(id)}/update`, {}, config);
  }

  topContainer(id: string, psArgs?: string): Promise<{ Titles: string[]; Processes: string[][] }> {
    return this.json('GET', `/containers/${encodeURIComponent(id)}/top`, { ps_args: psArgs });
  }

  containerStats(id: string): Promise<Record<string, unknown>> {
    return this.json('GET', `/containers/${encodeURIComponent(id)}/stats`, { stream: '0' });
  }

  async statContainerPath(id: string, path: string): Promise<ContainerPathStat> {
    const a = await openRequest(this.endpoint, { method: 'HEAD', path: this.path(`/containers/${encodeURIComponent(id)}/archive`, { path }) }, TIMEOUT_MS);
    if (a.kind !== 'response') throw new Error('unexpected upgrade');
    await readBody(a.res);
    const status = a.res.statusCode ?? 0;
    if (status === 404) throw new DaemonError(404, `Could not find the file ${path} in container ${id}`);
    if (status >= 400) throw new DaemonError(status, `stat ${path} in container ${id}: status ${status}`);
    return JSON.parse(Buffer.from(String(a.res.headers['x-docker-container-path-stat'] ?? ''), 'base64').toString()) as ContainerPathStat;
  }

  getArchive(id: string, path: string): Promise<AsyncIterable<Uint8Array>> {
    return this.stream({ method: 'GET', path: this.path(`/containers/${encodeURIComponent(id)}/archive`, { path }) }, 0);
  }

  async putArchive(id: string, path: string, tar: AsyncIterable<Uint8Array>): Promise<void> {
    const res = await this.stream({ method: 'PUT', path: this.path(`/containers/${encodeURIComponent(id)}/archive`, { path, noOverwriteDirNonDir: 'true' }), headers: { 'Content-Type': 'application/x-tar' }, body: tar }, 0);
    for await (const _chunk of res) void _chunk;
  }

  pruneContainers(filters?: Filters): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }> {
    return this.json('POST', '/containers/prune', { filters: encodeFilters(filters) });
  }

  async killContainer(id: string, signal?: string): Promise<void> {
    await this.call('POST', `/containers/${encodeURIComponent(id)}/kill`, { signal });
  }

  async removeContainer(id: string, o: { force?: boolean; volumes?: boolean; link?: boolean } = {}): Promise<void> {
    await this.call('DELETE', `/containers/${encodeURIComponent(id)}`, { force: flag(o.force), v: flag(o.volumes), link: flag(o.link) });
  }

  async waitContainer(id: string, condition?: 'not-running' | 'next-exit' | 'removed'): Promise<WaitResponse> {
    // a wait lasts as long as the container runs: no timeout
    const s = await this.stream({ method: 'POST', path: this.path(`/containers/${encodeURIComponent(id)}/wait`, { condition }) }, 0);
    let text = '';
    for await (const c of s) text += Buffer.from(c).toString('utf8');
    return JSON.parse(text) as WaitResponse;
  }

  listContainers(o: { all?: boolean; limit?: number; size?: boolean; filters?: Filters } = {}): Promise<ContainerSummary[]> {
    return this.json('GET', '/containers/json', { all: flag(o.all), limit: o.limit?.toString(), size: flag(o.size), filters: encodeFilters(o.filters) });
  }

  async inspectContainerWithRaw(id: string): Promise<{ container: ContainerInspect; raw: string }> {
    const r = await this.call('GET', `/containers/${encodeURIComponent(id)}/json`);
    return { container: JSON.parse(r.body) as ContainerInspect, raw: r.body };
  }

  containerLogs(id: string, o: LogsOptions): Promise<AsyncIterable<Uint8Array>> {
    const q = { follow: flag(o.follow), stdout: flag(o.stdout ?? true), stderr: flag(o.stderr ?? true), timestamps: flag(o.timestamps), tail: o.tail, since: o.since, until: o.until };
    return this.stream({ method: 'GET', path: this.path(`/containers/${encodeURIComponent(id)}/logs`, q) }, 0);
  }

  attachContainer(id: string, o: { stdin?: boolean; stdout?: boolean; stderr?: boolean; logs?: boolean }): Promise<Duplex> {
    const q = { stream: '1', stdin: flag(o.stdin), stdout: flag(o.stdout), stderr: flag(o.stderr), logs: flag(o.logs) };
    return this.hijack({ method: 'POST', path: this.path(`/containers/${encodeURIComponent(id)}/attach`, q) });
  }

  async resizeContainer(id: string, rows: number, columns: number): Promise<void> {
    await this.call('POST', `/containers/${encodeURIComponent(id)}/resize`, { h: String(rows), w: String(columns) });
  }

  createExec(container: string, req: ExecCreateRequest): Promise<{ Id: string }> {
    return this.json('POST', `/containers/${encodeURIComponent(container)}/exec`, {}, req);
  }

  async startExec(id: string, o: { detach?: boolean; tty?: boolean }): Promise<Duplex | undefined> {
    const body = JSON.stringify({ Detach: Boolean(o.detach), Tty: Boolean(o.tty) });
    const r: StreamRequest = { method: 'POST', path: this.path(`/exec/${encodeURIComponent(id)}/start`, {}), headers: { 'Content-Type': 'application/json' }, body };
    if (o.detach) {
      await this.stream(r);
      return undefined;
    }
    return this.hijack(r);
  }

  inspectExec(id: string): Promise<ExecInspect> {
    return this.json('GET', `/exec/${encodeURIComponent(id)}/json`);
  }

  async events(o: { since?: string; until?: string; filters?: Filters } = {}): Promise<AsyncIterable<EventMessage>> {
    const messages = await this.messages({ method: 'GET', path: this.path('/events', { since: o.since, until: o.until, filters: encodeFilters(o.filters) }) });
    return messages as AsyncIterable<unknown> as AsyncIterable<EventMessage>;
  }

  systemDf(): Promise<DiskUsage> {
    return this.json('GET', '/system/df');
  }

  pruneImages(filters?: Filters): Promise<ImagePruneResponse> {
    return this.json('POST', '/images/prune', { filters: encodeFilters(filters) });
  }

  private path(path: string, query: Record<string, string | undefined>): string {
    const qs = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined)).toString();
    return `/v${API_VERSION}${path}${qs ? `?${qs}` : ''}`;
  }

  private async json<T>(method: string, path: string, query: Record<string, string | undefined> = {}, body?: unknown): Promise<T> {
    const r = await this.call(method, path, query, body);
    return JSON.parse(r.body) as T;
  }

  private async call(method: string, path: string, query: Record<string, string | undefined> = {}, body?: unknown): Promise<RawResponse> {
    const fullPath = this.path(path, query);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    this.debug(`${method} ${fullPath}${payload ? ` ${payload}` : ''}`);
    const headers: Record<string, string> = payload === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) };
    const a = await openRequest(this.endpoint, { method, path: fullPath, headers, body: payload }, TIMEOUT_MS);
    if (a.kind !== 'response') throw new Error('unexpected upgrade');
    const r = { status: a.res.statusCode ?? 0, body: await readBody(a.res) };
    this.debug(`-> ${r.status} ${r.body.length} bytes`);
    if (r.status >= 400) throw new DaemonError(r.status, errorMessage(r.status, r.body));
    return r;
  }

  /** A streamed answer body after a success status. `timeoutMs` 0: the daemon may think for long. */
  private async stream(r: StreamRequest, timeoutMs = TIMEOUT_MS): Promise<AsyncIterable<Uint8Array>> {
    this.debug(`${r.method} ${r.path}`);
    const a = await openRequest(this.endpoint, r, timeoutMs);
    if (a.kind !== 'response') throw new Error('unexpected upgrade');
    this.debug(`-> ${a.res.statusCode} (stream)`);
    await throwIfError(a.res);
    return a.res;
  }

  private async messages(r: StreamRequest): Promise<AsyncIterable<JsonMessage>> {
    return jsonMessages(await this.stream(r, 0));
  }

  /** docker's hijack: 101 gives the socket; a daemon that answers 200 streams on the same socket. */
  private async hijack(r: StreamRequest): Promise<Duplex> {
    this.debug(`${r.method} ${r.path} (upgrade)`);
    const a = await openRequest(this.endpoint, { ...r, upgrade: true }, TIMEOUT_MS);
    if (a.kind === 'upgrade') return a.socket;
    await throwIfError(a.res);
    const socket = a.res.socket;
    // 200 without upgrade: read the body, write to the connection underneath
    const { Duplex: D } = await import('node:stream');
    return new D({
      read() {
        a.res.resume();
      },
      write(chunk, _enc, cb) {
        socket.write(chunk, cb);
      },
      final(cb) {
        cb();
      },
    }).on('newListener', function (this: Duplex, ev) {
      if (ev === 'data' && a.res.listenerCount('data') === 0) {
        a.res.on('data', (c) => this.push(c));
        a.res.on('end', () => this.push(null));
      }
    });
  }
}

const flag = (v: boolean | undefined) => (v ? '1' : undefined);

/** Image names hold `/` and `:`, which the daemon's wildcard routes take as they are. */
const imagePath = (name: string) => name.split('/').map(encodeURIComponent).join('/');

/** docker's X-Registry-Auth: base64url of the JSON auth config. */
function authHeader(auth: AuthConfig | undefined): Record<string, string> | undefined {
  if (!auth) return undefined;
  return { 'X-Registry-Auth': Buffer.from(JSON.stringify(auth)).toString('base64url') };
}
