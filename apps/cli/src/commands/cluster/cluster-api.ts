import type { NetdApi } from '../../client/netd-api';

/** `GET /netd/cluster`: this node's membership and every node it knows (apps/netd ClusterService.status). */
export interface ClusterStatus {
  Member: boolean;
  NodeID: string;
  Name: string;
  AdvertiseAddr: string;
  ListenPort: number;
  /** The join token (cluster key + bootstrap addresses); '' outside a cluster. */
  Token: string;
  /** SHA-256 fingerprints (short form) of this node's public key and of the cluster key. */
  Fingerprint?: string;
  ClusterKeyFingerprint?: string;
  /** 0 for the key of `cluster init`, one more per `cluster rotate-key`. */
  ClusterKeyEpoch?: number;
  /** Records refused since start: forged signature, owner not admitted, or a revoked owner. */
  RefusedRecords?: number;
  Nodes: ClusterNode[];
  /** Nodes removed with `cluster rm`: their keys are refused. */
  Revoked?: { ID: string; Fingerprint: string }[];
}

export interface ClusterNode {
  ID: string;
  Name: string;
  /** `ip:port` of its DHT node; '' until its node record has arrived. */
  Addr: string;
  State: 'ready' | 'down';
  /** `voter` once a majority of the voters admitted it; `joining` before (its answers do not count). */
  Role?: 'voter' | 'joining';
  Self: boolean;
  /** RFC 3339; '' when never heard from. */
  LastSeen: string;
  /** Round-trip time of the last gossip ping, ms; null for this node or before the first answer. */
  RttMs?: number | null;
  /** Confirmed address blocks it holds, as `network/block`. */
  Blocks?: string[];
  Fingerprint?: string;
}

export interface ClusterInitRequest {
  AdvertiseAddr: string;
  ListenPort?: number;
  Name?: string;
}

/** `POST /netd/cluster/rotate-key`: the new key's join token, fingerprint and epoch. */
export interface ClusterRotateKeyResponse {
  Token: string;
  ClusterKeyFingerprint: string;
  ClusterKeyEpoch: number;
}

export interface ClusterJoinRequest extends ClusterInitRequest {
  Token: string;
  /** Extra bootstrap addresses (`ip:port`) besides the token's. */
  Bootstrap?: string[];
}

/**
 * The cluster part of netd's own API (no Docker equivalent without swarm), under `/netd/cluster`.
 * A capability of the client, detected with {@link hasClusterApi}: every method rejects with
 * `DaemonError` on an error status, like the rest of {@link NetdApi}.
 */
export interface ClusterApi {
  clusterStatus(): Promise<ClusterStatus>;
  clusterInit(req: ClusterInitRequest): Promise<{ Token: string; NodeID: string }>;
  clusterJoin(req: ClusterJoinRequest): Promise<{ NodeID: string }>;
  clusterLeave(): Promise<void>;
  clusterRemoveNode(node: string): Promise<{ ID: string }>;
  clusterRotateKey(): Promise<ClusterRotateKeyResponse>;
}

const METHODS = ['clusterStatus', 'clusterInit', 'clusterJoin', 'clusterLeave', 'clusterRemoveNode', 'clusterRotateKey'] as const;

export function hasClusterApi(client: NetdApi): client is NetdApi & ClusterApi {
  return METHODS.every((m) => typeof (client as unknown as Record<string, unknown>)[m] === 'function');
}

/** The client as a {@link ClusterApi}; an Error (printed as `Error: …`) when this build lacks it. */
export function clusterApi(client: NetdApi): ClusterApi {
  if (!hasClusterApi(client)) throw new Error('this netctl cannot manage clusters: its client has no cluster API');
  return client;
}

/**
 * The HTTP calls behind {@link ClusterApi}, over any `json(method, path, body)` of a client that
 * prefixes the API version and turns error statuses into `DaemonError` (NetdClient's `json`).
 */
export function clusterOverHttp(json: <T>(method: string, path: string, body?: unknown) => Promise<T>): ClusterApi {
  return {
    clusterStatus: () => json('GET', '/netd/cluster'),
    clusterInit: (req) => json('POST', '/netd/cluster/init', req),
    clusterJoin: (req) => json('POST', '/netd/cluster/join', req),
    clusterLeave: async () => {
      await json('POST', '/netd/cluster/leave');
    },
    clusterRemoveNode: (node) => json('DELETE', `/netd/cluster/nodes/${encodeURIComponent(node)}`),
    clusterRotateKey: () => json('POST', '/netd/cluster/rotate-key'),
  };
}
