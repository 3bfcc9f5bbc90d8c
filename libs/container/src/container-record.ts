import type { ContainerState } from './container-state';
import type { HealthConfig, HealthState } from './health';
import type { DnsSettings } from './resolv-conf';
import type { RestartPolicy } from './restart-policy';

/** How the container reaches a network: a namespace netd made (bridge/none/user) or the host's. */
export type ContainerNetwork =
  | { readonly kind: 'host' }
  | {
      readonly kind: 'netns';
      readonly netnsPath: string;
      /** resolv.conf points at the embedded DNS (127.0.0.11): user-defined networks. */
      readonly embeddedDns?: boolean;
    };

/**
 * Docker's HostConfig resources netd applies through the OCI spec's `linux.resources` (runc
 * writes them to the container's cgroup). Bytes, CFS microseconds, CPU lists as `0-2,4`.
 */
export interface ContainerResources {
  readonly memory?: number;
  /** Memory plus swap; -1 unlimited. */
  readonly memorySwap?: number;
  readonly memoryReservation?: number;
  readonly memorySwappiness?: number;
  readonly oomKillDisable?: boolean;
  readonly cpuShares?: number;
  /** CPUs × 10⁹: a CFS quota over Docker's 100 ms period. */
  readonly nanoCpus?: number;
  readonly cpuQuota?: number;
  readonly cpuPeriod?: number;
  readonly cpusetCpus?: string;
  readonly cpusetMems?: string;
  readonly pidsLimit?: number;
}

/**
 * A mount of a container, resolved: host paths known, volumes made. JSON-plain, kept in the
 * record, so it is the same after daemon and container restarts.
 */
export interface ContainerMount {
  readonly type: 'bind' | 'volume' | 'tmpfs';
  /** Host path (a bind's source, a volume's directory); '' for tmpfs. */
  readonly source: string;
  /** Absolute and cleaned, never `/`. */
  readonly destination: string;
  readonly rw: boolean;
  /** Docker's Mode, as inspect shows it. */
  readonly mode: string;
  /** Docker's Propagation (`rprivate` for binds, '' for the rest). */
  readonly propagation: string;
  /** volume: its name and driver. */
  readonly name?: string;
  readonly driver?: string;
  /** volume: made for this container (`-v /path`, image VOLUME): `rm -v` removes it. */
  readonly anonymous?: boolean;
  /** bind: `bind` instead of `rbind`. */
  readonly nonRecursive?: boolean;
  /** tmpfs: mount options, Docker's defaults included. */
  readonly tmpfsOptions?: readonly string[];
  /** Not listed in inspect's Mounts (HostConfig.Tmpfs entries, as with Docker). */
  readonly hidden?: boolean;
}

/** The storage part of the create request, echoed in inspect's HostConfig and Config. */
export interface MountRequestEcho {
  readonly binds?: readonly string[];
  readonly mounts?: readonly unknown[];
  readonly tmpfs?: Readonly<Record<string, string>>;
  readonly volumesFrom?: readonly string[];
  readonly volumeDriver?: string;
  /** Config.Volumes: the image's and the request's. */
  readonly volumes?: readonly string[];
}

/** What `create` needs: Docker's Config + HostConfig, reduced to what the core uses, camelCased. */
export interface ContainerSpec {
  readonly name?: string;
  /** Image reference and id, for inspect/ps only. */
  readonly image?: string;
  readonly imageId?: string;
  /** The image's layer directories, topmost first. */
  readonly lowers: readonly string[];
  /** Entrypoint + Cmd, combined. */
  readonly cmd: readonly string[];
  readonly env?: readonly string[];
  readonly workingDir?: string;
  /** Docker's `--user`: `name|uid[:group|gid]`. */
  readonly user?: string;
  readonly hostname?: string;
  readonly domainname?: string;
  readonly tty?: boolean;
  readonly openStdin?: boolean;
  /** Docker's StdinOnce: the first attached client closing its input closes stdin. */
  readonly stdinOnce?: boolean;
  readonly stopSignal?: string;
  /** Seconds `stop` waits before SIGKILL (default 10). */
  readonly stopTimeout?: number;
  readonly restartPolicy?: RestartPolicy;
  readonly autoRemove?: boolean;
  readonly network: ContainerNetwork;
  readonly dns?: DnsSettings;
  /** `--add-host` values as given (`name:ip`, `name:host-gateway`). */
  readonly extraHosts?: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
  readonly capAdd?: readonly string[];
  readonly capDrop?: readonly string[];
  readonly sysctls?: Readonly<Record<string, string>>;
  readonly readonlyRootfs?: boolean;
  readonly resources?: ContainerResources;
  /** `--pid host`: the host's PID namespace. */
  readonly pidHost?: boolean;
  /** `--cgroupns`; absent: private on cgroup v2, the host's on v1. */
  readonly cgroupns?: 'host' | 'private';
  readonly shmSizeBytes?: number;
  readonly oomScoreAdj?: number;
  /** The TTY's initial size (`-t`). */
  readonly consoleSize?: { readonly height: number; readonly width: number };
  /** Volumes, bind mounts and tmpfs mounts, in the order they are mounted. */
  readonly mounts?: readonly ContainerMount[];
  readonly mountRequest?: MountRequestEcho;
  /** Fields kept only to be shown by inspect as the client sent them (dockerd echoes them). */
  readonly asGiven?: ClientFields;
  /** Config.Healthcheck (the image's merged with the request's); `NONE` keeps it off. */
  readonly healthcheck?: HealthConfig;
}

/** Create-request fields inspect shows as given; null where the client sent none (dockerd's nil). */
export interface ClientFields {
  readonly attachStdin?: boolean;
  readonly attachStdout?: boolean;
  readonly attachStderr?: boolean;
  readonly ipcMode?: string;
  readonly securityOpt?: readonly string[] | null;
  readonly isolation?: string;
  readonly runtime?: string;
  readonly dns?: readonly string[] | null;
  readonly dnsSearch?: readonly string[] | null;
  readonly dnsOptions?: readonly string[] | null;
  /** `Config.MacAddress` (before API 1.44 the first network's MAC was asked for there). */
  readonly macAddress?: string;
}

/** Entries of /etc/hosts that change with network connect/disconnect; plain strings (JSON). */
export interface NetworkFiles {
  /** The container's own addresses. */
  readonly addresses: readonly string[];
  /** Legacy links: `{ip, alias, id, name}`. */
  readonly links: readonly { ip: string; alias: string; id: string; name: string }[];
  readonly embeddedDns: boolean;
}

/** netd's record of one container; JSON-plain so any store can keep it. */
export interface ContainerRecord {
  readonly id: string;
  /** Canonical name, with the leading `/`. */
  readonly name: string;
  readonly created: string;
  readonly spec: ContainerSpec;
  readonly hostname: string;
  readonly state: ContainerState;
  readonly restartCount: number;
  /** Stopped or killed by a user: restart policies (but `always` at daemon start) stay quiet. */
  readonly manuallyStopped: boolean;
  readonly networkFiles: NetworkFiles;
  /** State.Health, while the container has a health check (set from its first start). */
  readonly health?: HealthState;
}

/** Where records live. The daemon implements it over SQLite; tests use MemoryContainerStore. */
export abstract class ContainerStore {
  /** The record, or undefined. */
  abstract get(id: string): Promise<ContainerRecord | undefined>;
  abstract list(): Promise<ContainerRecord[]>;
  /** Insert or replace, atomically. */
  abstract put(record: ContainerRecord): Promise<void>;
  /** Remove; no error if missing. */
  abstract delete(id: string): Promise<void>;

  /**
   * The record named `name` (canonical, with the `/`), or undefined. This default scans
   * `list()`; a store with an index on names overrides it, so that name checks and lookups on
   * every create and every verb do not grow with the number of containers.
   */
  async findByName(name: string): Promise<ContainerRecord | undefined> {
    return (await this.list()).find((r) => r.name === name);
  }

  /** Up to `limit` records whose id starts with `prefix` (default: a scan of `list()`). */
  async findByIdPrefix(prefix: string, limit = 2): Promise<ContainerRecord[]> {
    return (await this.list()).filter((r) => r.id.startsWith(prefix)).slice(0, limit);
  }
}
