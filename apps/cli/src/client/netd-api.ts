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
import type { DiskUsage, EventMessage, ImagePruneResponse } from './system-types';

/** The API version netctl speaks; every path is prefixed with it. */
export const API_VERSION = '1.47';

/** Docker's `filters` query parameter before encoding: key → accepted values. */
export type Filters = Record<string, string[]>;

/**
 * `GET /info`. libs/api has no type for it yet, so the part netctl prints is declared here;
 * everything is optional because the daemon grows its answer over time.
 */
export interface InfoResponse {
  ID?: string;
  Name?: string;
  ServerVersion?: string;
  OperatingSystem?: string;
  OSType?: string;
  Architecture?: string;
  KernelVersion?: string;
  NCPU?: number;
  MemTotal?: number;
  Containers?: number;
  ContainersRunning?: number;
  ContainersPaused?: number;
  ContainersStopped?: number;
  Images?: number;
  Networks?: number;
  DockerRootDir?: string;
  Plugins?: { Volume?: string[] | null; Network?: string[] | null; Log?: string[] | null };
  Warnings?: string[] | null;
  Driver?: string;
  LoggingDriver?: string;
  CgroupDriver?: string;
  CgroupVersion?: string;
  Swarm?: { LocalNodeState?: string };
  Runtimes?: Record<string, unknown>;
  DefaultRuntime?: string;
  Debug?: boolean;
  ExperimentalBuild?: boolean;
  RegistryConfig?: { InsecureRegistryCIDRs?: string[] | null; IndexConfigs?: Record<string, { Secure?: boolean }> | null } | null;
  LiveRestoreEnabled?: boolean;
  DefaultAddressPools?: { Base: string; Size: number }[] | null;
}

/**
 * What commands need from the daemon. `NetdClient` implements it over HTTP; tests use
 * `FakeNetdClient`, kept honest by the shared contract suite in testing/.
 * Every method rejects with `DaemonError` when the daemon answers with an error status, and
 * with `ConnectionError` when it cannot be reached.
 */
export interface NetdApi {
  version(): Promise<VersionResponse>;
  info(): Promise<InfoResponse>;
  listNetworks(filters?: Filters): Promise<NetworkSummary[]>;
  /** The decoded network and the exact body, which `inspect` re-indents as docker does. */
  inspectNetworkWithRaw(idOrName: string, opts?: { verbose?: boolean }): Promise<{ network: NetworkInspect; raw: string }>;
  createNetwork(req: CreateNetworkDto): Promise<NetworkCreateResponse>;
  removeNetwork(idOrName: string): Promise<void>;
  pruneNetworks(filters?: Filters): Promise<NetworkPruneResponse>;
  connectNetwork(idOrName: string, req: ConnectNetworkDto): Promise<void>;
  disconnectNetwork(idOrName: string, req: DisconnectNetworkDto): Promise<void>;

  // Volumes.
  createVolume(req: CreateVolumeDto): Promise<VolumeResponse>;
  listVolumes(filters?: Filters): Promise<VolumeListResponse>;
  /** The decoded volume and the exact body, which `inspect` re-indents as docker does. */
  inspectVolumeWithRaw(name: string): Promise<{ volume: VolumeResponse; raw: string }>;
  removeVolume(name: string, opts?: { force?: boolean }): Promise<void>;
  pruneVolumes(filters?: Filters): Promise<VolumePruneResponse>;

  // Images. Streaming calls resolve once the daemon has answered 200; errors that happen later
  // arrive as a message with `errorDetail` in the stream.
  listImages(opts?: { all?: boolean; digests?: boolean; filters?: Filters }): Promise<ImageSummary[]>;
  inspectImageWithRaw(name: string): Promise<{ image: ImageInspect; raw: string }>;
  removeImage(name: string, opts?: { force?: boolean; noprune?: boolean }): Promise<ImageDeleteItem[]>;
  tagImage(source: string, repo: string, tag?: string): Promise<void>;
  pullImage(opts: { fromImage: string; tag?: string; platform?: string; auth?: AuthConfig }): Promise<AsyncIterable<JsonMessage>>;
  pushImage(name: string, opts: { tag?: string; auth?: AuthConfig }): Promise<AsyncIterable<JsonMessage>>;
  buildImage(context: AsyncIterable<Uint8Array>, opts: BuildOptions): Promise<AsyncIterable<JsonMessage>>;
  /** `GET /images/get`: a docker-archive tar. */
  saveImages(names: string[]): Promise<AsyncIterable<Uint8Array>>;
  loadImages(tar: AsyncIterable<Uint8Array>, opts?: { quiet?: boolean }): Promise<AsyncIterable<JsonMessage>>;
  importImage(tar: AsyncIterable<Uint8Array>, opts: { repo?: string; tag?: string; message?: string; changes?: string[] }): Promise<AsyncIterable<JsonMessage>>;
  /** `POST /auth`: checks credentials with the registry. */
  checkAuth(auth: AuthConfig): Promise<{ Status: string; IdentityToken?: string }>;

  // Containers.
  createContainer(req: ContainerCreateRequest, name?: string): Promise<ContainerCreateResponse>;
  startContainer(id: string): Promise<void>;
  stopContainer(id: string, opts?: { timeout?: number; signal?: string }): Promise<void>;
  restartContainer(id: string, opts?: { timeout?: number; signal?: string }): Promise<void>;
  killContainer(id: string, signal?: string): Promise<void>;
  removeContainer(id: string, opts?: { force?: boolean; volumes?: boolean; link?: boolean }): Promise<void>;
  waitContainer(id: string, condition?: 'not-running' | 'next-exit' | 'removed'): Promise<WaitResponse>;
  listContainers(opts?: { all?: boolean; limit?: number; size?: boolean; filters?: Filters }): Promise<ContainerSummary[]>;
  inspectContainerWithRaw(id: string): Promise<{ container: ContainerInspect; raw: string }>;
  /** The raw logs body: multiplexed frames unless the container has a TTY. */
  containerLogs(id: string, opts: LogsOptions): Promise<AsyncIterable<Uint8Array>>;
  /** The hijacked attach connection: read the (multiplexed unless TTY) output, write stdin. */
  attachContainer(id: string, opts: { stdin?: boolean; stdout?: boolean; stderr?: boolean; logs?: boolean }): Promise<Duplex>;
  resizeContainer(id: string, rows: number, columns: number): Promise<void>;
  renameContainer(id: string, name: string): Promise<void>;
  pauseContainer(id: string): Promise<void>;
  unpauseContainer(id: string): Promise<void>;
  /** `POST /containers/{id}/update` with Docker's UpdateConfig (Resources + RestartPolicy). */
  updateContainer(id: string, config: Record<string, unknown>): Promise<{ Warnings: string[] | null }>;
  topContainer(id: string, psArgs?: string): Promise<{ Titles: string[]; Processes: string[][] }>;
  /** One sample (`stream=false`) of Docker's StatsJSON. */
  containerStats(id: string): Promise<Record<string, unknown>>;
  /** `HEAD /containers/{id}/archive`: Docker's ContainerPathStat of `path`. */
  statContainerPath(id: string, path: string): Promise<ContainerPathStat>;
  /** `GET /containers/{id}/archive`: the tar of `path`, entries named from its base name. */
  getArchive(id: string, path: string): Promise<AsyncIterable<Uint8Array>>;
  /** `PUT /containers/{id}/archive`: unpack `tar` into the directory `path`. */
  putArchive(id: string, path: string, tar: AsyncIterable<Uint8Array>): Promise<void>;
  pruneContainers(filters?: Filters): Promise<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>;
  createExec(container: string, req: ExecCreateRequest): Promise<{ Id: string }>;
  /** Detached: resolves to undefined once started; otherwise the hijacked connection. */
  startExec(id: string, opts: { detach?: boolean; tty?: boolean }): Promise<Duplex | undefined>;
  inspectExec(id: string): Promise<ExecInspect>;

  // System.
  /** `GET /events`: messages as they happen (from `since`); ends at `until`, or when the caller stops reading. */
  events(opts?: { since?: string; until?: string; filters?: Filters }): Promise<AsyncIterable<EventMessage>>;
  systemDf(): Promise<DiskUsage>;
  pruneImages(filters?: Filters): Promise<ImagePruneResponse>;
}

export interface ContainerPathStat {
  name: string;
  size: number;
  /** Go's os.FileMode: bit 31 is a directory, bit 27 a symlink. */
  mode: number;
  mtime: string;
  linkTarget: string;
}

export interface BuildOptions {
  tags?: string[];
  dockerfile?: string;
  buildArgs?: Record<string, string>;
  network?: string;
  quiet?: boolean;
  noCache?: boolean;
}

export interface LogsOptions {
  follow?: boolean;
  tail?: string;
  timestamps?: boolean;
  since?: string;
  until?: string;
  stdout?: boolean;
  stderr?: boolean;
}

/** Docker's wire form of filters: `{"name":{"x":true}}`. */
export function encodeFilters(filters: Filters | undefined): string | undefined {
  if (!filters || Object.keys(filters).length === 0) return undefined;
  const out: Record<string, Record<string, boolean>> = {};
  for (const [k, values] of Object.entries(filters)) {
    out[k] = Object.fromEntries(values.map((v) => [v, true]));
  }
  return JSON.stringify(out);
}
