/**
 * `POST /containers/create` body, in Docker's wire shape, as in-process callers (build steps)
 * write it. Whatever the caller, the daemon validates it through {@link ContainerCreateDto}
 * (every field of moby's ContainerConfig/HostConfig typed); this interface only names the fields
 * those callers use.
 */
export interface ContainerCreateRequest {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  /** `{"80/tcp": {}}` */
  ExposedPorts?: Record<string, object> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  Env?: string[] | null;
  Cmd?: string[] | string | null;
  Entrypoint?: string[] | string | null;
  Image?: string;
  Labels?: Record<string, string> | null;
  WorkingDir?: string;
  StopSignal?: string;
  StopTimeout?: number | null;
  HostConfig?: HostConfig;
  NetworkingConfig?: { EndpointsConfig?: Record<string, EndpointConfig> | null } | null;
}

export interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

export interface HostConfig {
  /** `bridge` (default), `host`, `none`, `container:<id|name>` or a network name/id. */
  NetworkMode?: string;
  /** `{"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "8080"}]}` */
  PortBindings?: Record<string, PortBinding[] | null> | null;
  PublishAllPorts?: boolean;
  AutoRemove?: boolean;
  RestartPolicy?: { Name?: string; MaximumRetryCount?: number } | null;
  /** `name:alias` or `name`. */
  Links?: string[] | null;
  Dns?: string[] | null;
  DnsSearch?: string[] | null;
  DnsOptions?: string[] | null;
  /** `host:ip`, `host=ip` or `host:host-gateway`. */
  ExtraHosts?: string[] | null;
  CapAdd?: string[] | null;
  CapDrop?: string[] | null;
  Sysctls?: Record<string, string> | null;
  ReadonlyRootfs?: boolean;
  Privileged?: boolean;
  Binds?: string[] | null;
}

/** `EndpointSettings` as a request (config half). */
export interface EndpointConfig {
  IPAMConfig?: { IPv4Address?: string; IPv6Address?: string; LinkLocalIPs?: string[] } | null;
  Links?: string[] | null;
  Aliases?: string[] | null;
  MacAddress?: string;
  DriverOpts?: Record<string, string> | null;
  GwPriority?: number | null;
  NetworkID?: string;
}
