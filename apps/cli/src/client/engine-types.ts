/**
 * Engine API types for containers, images and streams as netctl sees them: the fields it reads or
 * sends, most optional, after moby's swagger (v1.47), since netctl may talk to any Engine API
 * daemon. libs/api/src/containers holds the daemon's own, stricter shapes of the same routes
 * (every field netd writes, nullable request fields); the two are kept apart on purpose, but a
 * field netctl starts reading belongs in both.
 */

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

export interface ContainerConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  ExposedPorts?: Record<string, object>;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  Image: string;
  Labels?: Record<string, string>;
  WorkingDir?: string;
  MacAddress?: string;
  StopSignal?: string;
  Volumes?: Record<string, object>;
  Healthcheck?: { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number };
}

export interface HostConfig {
  NetworkMode?: string;
  PortBindings?: Record<string, PortBinding[]>;
  PublishAllPorts?: boolean;
  Links?: string[];
  Dns?: string[];
  DnsSearch?: string[];
  DnsOptions?: string[];
  ExtraHosts?: string[];
  AutoRemove?: boolean;
  RestartPolicy?: { Name: string; MaximumRetryCount?: number };
  Binds?: string[];
  Mounts?: MountSpec[];
  Tmpfs?: Record<string, string>;
  VolumesFrom?: string[];
}

/** The Engine API's Mount (`--mount`). */
export interface MountSpec {
  Type: string;
  Source?: string;
  Target?: string;
  ReadOnly?: boolean;
  Consistency?: string;
  BindOptions?: { Propagation?: string; NonRecursive?: boolean };
  VolumeOptions?: { NoCopy?: boolean; Labels?: Record<string, string>; DriverConfig?: { Name?: string; Options?: Record<string, string> } };
  TmpfsOptions?: { SizeBytes?: number; Mode?: number };
}

export interface EndpointConfig {
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string };
  Aliases?: string[];
  Links?: string[];
  MacAddress?: string;
}

export interface ContainerCreateRequest extends ContainerConfig {
  HostConfig?: HostConfig;
  NetworkingConfig?: { EndpointsConfig: Record<string, EndpointConfig> };
}

export interface ContainerCreateResponse {
  Id: string;
  Warnings?: string[] | null;
}

export interface Port {
  IP?: string;
  PrivatePort: number;
  PublicPort?: number;
  Type: string;
}

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID?: string;
  Command: string;
  Created: number;
  Ports: Port[];
  Labels?: Record<string, string>;
  State: string;
  Status: string;
  SizeRw?: number;
  HostConfig?: { NetworkMode?: string };
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> };
  Mounts?: { Name?: string; Source?: string; Destination?: string }[];
}

export interface ContainerState {
  Status: string;
  Running: boolean;
  ExitCode: number;
  Error?: string;
  StartedAt?: string;
  FinishedAt?: string;
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  Created: string;
  Path?: string;
  Args?: string[];
  State: ContainerState;
  Image: string;
  Config: ContainerConfig;
  HostConfig?: HostConfig;
  NetworkSettings?: { Ports?: Record<string, PortBinding[] | null> | null };
}

export interface WaitResponse {
  StatusCode: number;
  Error?: { Message: string } | null;
}

export interface ExecCreateRequest {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Tty?: boolean;
  Env?: string[];
  Cmd: string[];
  User?: string;
  WorkingDir?: string;
  Privileged?: boolean;
}

export interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  Pid?: number;
}

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  SharedSize?: number;
  Labels?: Record<string, string> | null;
  Containers?: number;
}

export interface ImageInspect {
  Id: string;
  RepoTags?: string[];
  RepoDigests?: string[];
  Created?: string;
  Size?: number;
  Config?: { Cmd?: string[]; Entrypoint?: string[]; Env?: string[]; ExposedPorts?: Record<string, object> };
}

export type ImageDeleteItem = { Untagged: string } | { Deleted: string };

/** One message of a JSON progress stream (pull, push, build, load, import): moby's jsonmessage. */
export interface JsonMessage {
  id?: string;
  status?: string;
  stream?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  error?: string;
  errorDetail?: { code?: number; message: string };
  aux?: { ID?: string; Tag?: string; Digest?: string; Size?: number };
}

/** Credentials as `X-Registry-Auth` and `POST /auth` take them. */
export interface AuthConfig {
  username?: string;
  password?: string;
  serveraddress?: string;
  identitytoken?: string;
}
