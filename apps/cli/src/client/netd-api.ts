import type {
  ConnectNetworkDto,
  CreateNetworkDto,
  DisconnectNetworkDto,
  NetworkCreateResponse,
  NetworkInspect,
  NetworkPruneResponse,
  NetworkSummary,
  VersionResponse,
} from '@app/api';

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
  Plugins?: { Network?: string[] };
  Warnings?: string[] | null;
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
