/** Response shapes of the network endpoints, exactly as Docker serialises them. */

export interface IpamPoolConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface IpamInfo {
  Driver: string;
  Options: Record<string, string> | null;
  Config: IpamPoolConfig[];
}

export interface EndpointResource {
  Name: string;
  EndpointID: string;
  MacAddress: string;
  IPv4Address: string;
  IPv6Address: string;
}

/** `GET /networks` entries (no Containers since API 1.28). */
export interface NetworkSummary {
  Name: string;
  Id: string;
  Created: string;
  Scope: string;
  Driver: string;
  EnableIPv4: boolean;
  EnableIPv6: boolean;
  IPAM: IpamInfo;
  Internal: boolean;
  Attachable: boolean;
  Ingress: boolean;
  ConfigFrom: { Network: string };
  ConfigOnly: boolean;
  Options: Record<string, string>;
  Labels: Record<string, string>;
}

export interface SubnetStatus {
  IPsInUse: number;
  DynamicIPsAvailable: number;
}

/** `GET /networks/{id}`. */
export interface NetworkInspect extends NetworkSummary {
  Containers: Record<string, EndpointResource>;
  Status?: { IPAM: { Subnets: Record<string, SubnetStatus> } };
  /** netd only, on cluster (overlay) networks: the address blocks of the subnet each node holds. */
  NetdBlocks?: NodeBlocks[];
}

export interface NodeBlocks {
  /** The node's id (its public key, hex). */
  Node: string;
  Name: string;
  Blocks: string[];
}

export interface NetworkCreateResponse {
  Id: string;
  Warning: string;
}

export interface NetworkPruneResponse {
  NetworksDeleted: string[];
}
