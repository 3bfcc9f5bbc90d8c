import type { IpAddr, MacAddr, Prefix } from '@app/common';
import type { NetnsRef } from '@app/kernel';

/** Driver types as Docker names them ("null" is Docker's name for none). */
export type DriverType = 'bridge' | 'host' | 'null' | 'overlay';

/**
 * What a driver's networks are, for the daemon's services: they ask these instead of testing the
 * driver's name, so a new driver declares its nature here and needs no change in the services.
 */
export interface DriverCapabilities {
  /** Networks get IPAM pools and endpoints addresses from them (bridge, overlay); host and null have none. */
  readonly usesPools: boolean;
  /** Only the predefined network of this driver exists: creating another is refused (host, null). */
  readonly singleton: boolean;
  /**
   * What a container on such a network gets, and so how it may be connected:
   * - `endpoint`: an interface with addresses in its own namespace; connect and disconnect at will;
   * - `host`: the host's own namespace; never connected or disconnected after create;
   * - `none`: its own namespace with loopback only; no other network besides it.
   * `host` and `none` are also the Engine API's network modes that name such a network.
   */
  readonly sandbox: 'endpoint' | 'host' | 'none';
}

/** One subnet of a network with its gateway (from IPAM). */
export interface NetworkSubnet {
  readonly subnet: Prefix;
  /** Absent only for networks without a gateway. */
  readonly gateway?: IpAddr;
}

export interface CreateNetworkRequest<Opts = unknown> {
  readonly networkId: string;
  readonly name: string;
  /** Options already parsed by {@link NetworkDriver.parseOptions}. */
  readonly options: Opts;
  readonly internal: boolean;
  readonly enableIpv6: boolean;
  readonly ipv4: readonly NetworkSubnet[];
  readonly ipv6: readonly NetworkSubnet[];
}

export interface CreateEndpointRequest {
  readonly networkId: string;
  readonly endpointId: string;
  /** Addresses with the subnet's prefix length, e.g. 172.18.0.2/16. */
  readonly addresses: readonly Prefix[];
  /** Requested MAC; the driver derives a stable one when absent. */
  readonly mac?: MacAddr;
}

export interface EndpointResult {
  readonly mac: MacAddr;
}

/** `[hostIp:]hostPort:containerPort/proto`, one port each (ranges are expanded by the caller). */
export interface PortMapping {
  readonly proto: 'tcp' | 'udp' | 'sctp';
  /** Host address to publish on; absent: every address (Docker's 0.0.0.0 / host_binding_ipv4). */
  readonly hostIp?: IpAddr;
  readonly hostPort: number;
  readonly containerPort: number;
}

export interface JoinRequest {
  readonly networkId: string;
  readonly endpointId: string;
  /** The container's network namespace. */
  readonly sandbox: NetnsRef;
  /** Interface name inside the sandbox: eth0, eth1 … (chosen by the daemon). */
  readonly ifname: string;
  /** Install the default route via this network's gateway (only the first non-internal network). */
  readonly defaultRoute: boolean;
  readonly portMappings?: readonly PortMapping[];
}

export interface JoinResult {
  readonly ifname: string;
  readonly gateway?: IpAddr;
  readonly gatewayV6?: IpAddr;
}

/**
 * The driver contract (libnetwork's driverapi). Drivers are constructed with their kernel ports
 * and the host namespace they act in. Every method that changes the kernel is idempotent in the
 * `ensure` sense, so that a daemon restarting after a crash can replay it; `delete*`/`leave`
 * are best effort and complete, collecting errors into one MultiError.
 */
export interface NetworkDriver<Opts = unknown> {
  readonly type: DriverType;
  /** `global`: networks are defined cluster-wide (netd's cluster), not by a local create. */
  readonly scope: 'local' | 'global';
  readonly capabilities: DriverCapabilities;

  /**
   * Parse the raw `Options` map of a network into typed options. No side effects.
   * InvalidParameterError for unknown keys and malformed values, before anything is created.
   */
  parseOptions(raw: Readonly<Record<string, string>>): Opts;

  /**
   * Bring the network up in the kernel (bridge, addresses, firewall) and remember it. Called at
   * creation and again for every known network when the daemon starts, so it must converge on an
   * existing or half-made network. Forbidden for a second host/none network. On failure it
   * leaves nothing it made behind.
   */
  createNetwork(req: CreateNetworkRequest<Opts>): Promise<void>;

  /** Remove everything the network owns (bridge, rules, routes). Best effort, complete. */
  deleteNetwork(networkId: string): Promise<void>;

  /** Reserve an endpoint (no kernel change for bridge); returns its MAC. */
  createEndpoint(req: CreateEndpointRequest): Promise<EndpointResult>;

  /** Forget an endpoint. Best effort. */
  deleteEndpoint(networkId: string, endpointId: string): Promise<void>;

  /**
   * Plug the endpoint into the sandbox: veth with the container side named `ifname`, addresses,
   * lo up, routes, port mappings. Idempotent; on failure removes what it made.
   */
  join(req: JoinRequest): Promise<JoinResult>;

  /** Unplug: the veth (and so the container side), its port mappings. Best effort, complete. */
  leave(networkId: string, endpointId: string): Promise<void>;
}

/**
 * Optional capability: remove kernel objects the driver owns (by its name scheme and firewall
 * table) that belong to no known network or endpoint. Used by startup reconciliation.
 */
export interface Reconcilable {
  reconcile(known: { networkIds: readonly string[]; endpointIds: readonly string[] }): Promise<{ removed: string[] }>;
}

export function isReconcilable(d: NetworkDriver): d is NetworkDriver & Reconcilable {
  return typeof (d as Partial<Reconcilable>).reconcile === 'function';
}

/**
 * A driver that brings many networks back at once at startup: the same outcome as createNetwork
 * for each request, with the kernel read once for all of them instead of once per network.
 */
export interface NetworkRestorer<Opts = unknown> {
  /**
   * createNetwork for every request. A network that fails does not stop the others; the
   * failures are thrown together at the end (those networks are left as createNetwork leaves a
   * failed one).
   */
  restoreNetworks(reqs: readonly CreateNetworkRequest<Opts>[]): Promise<void>;
}

export function isNetworkRestorer(d: NetworkDriver): d is NetworkDriver & NetworkRestorer {
  return typeof (d as Partial<NetworkRestorer>).restoreNetworks === 'function';
}
