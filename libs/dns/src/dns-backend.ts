/**
 * The contract between the DNS server and the data it answers from (libnetwork's resolver
 * `DNSBackend`, aardvark's `backend/mod.rs`). The server knows sockets and the wire format; the
 * backend knows networks, endpoints and who may see what. Every method is synchronous and pure
 * (no I/O), because it runs on the hot path of every query.
 */

/**
 * What a listening socket stands for, fixed when the socket is opened.
 * - `network`: a socket on a network's gateway address (aardvark's placement). The asker is the
 *   endpoint of that network whose address is the query's source address.
 * - `sandbox`: a socket inside one container's namespace (Docker's 127.0.0.11). The socket alone
 *   identifies the asker; the source address is not consulted.
 */
export type ListenerScope = { readonly network: string } | { readonly sandbox: string };

/** An identified asker: a sandbox (container) and the networks it is attached to. */
export interface Asker {
  /** The sandbox (container) id. */
  readonly sandbox: string;
  /** Stable across queries until the backend changes; used as a cache key prefix. */
  readonly key: string;
}

/** Outcome of a name lookup for one address family. */
export type LookupResult =
  /** The name exists for the asker; `addresses` (canonical text) may be empty (then: NODATA). */
  | { readonly kind: 'found'; readonly addresses: readonly string[] }
  /** The name is not one of ours for this asker: forward it (or fail). */
  | { readonly kind: 'unknown' };

/** Where to forward names the backend does not know, for one asker. */
export type UpstreamPlan =
  /** Forward to these servers in order (`addr`, `addr:port` or `[v6]:port`), at most 3. */
  | { readonly kind: 'forward'; readonly servers: readonly string[] }
  /** Never forward (all the asker's networks are internal, or no upstream is known). */
  | { readonly kind: 'none' };

export abstract class DnsBackend {
  /**
   * Bumped on every change that may alter an answer. The server drops its answer cache when it
   * sees a new value, so changes take effect on the next query.
   */
  abstract readonly generation: number;

  /** TTL in seconds put on every answer the backend gives. */
  abstract readonly ttl: number;

  /**
   * Identify who sent a query that arrived on a listener of `scope` from `source` (the peer
   * address as the socket reports it, IPv4-mapped IPv6 allowed). Undefined when the source is
   * not an endpoint of that network (or the sandbox is unknown): the server answers REFUSED.
   */
  abstract asker(scope: ListenerScope, source: string): Asker | undefined;

  /**
   * Addresses of `name` (lower case, no trailing dot) of `family` visible to `asker`: names,
   * aliases, link aliases, short ids, hostnames and `name.network` on networks it shares.
   * Several matches give all addresses, in a stable order (the server shuffles per answer).
   */
  abstract lookup(asker: Asker, name: string, family: 4 | 6): LookupResult;

  /**
   * The PTR target (`name.network`) of `address` (canonical text) for `asker`, or undefined
   * when no endpoint on a network it shares has that address.
   */
  abstract reverse(asker: Asker, address: string): string | undefined;

  /** Upstream servers for names `lookup` does not know, in the order they are tried. */
  abstract upstreams(asker: Asker): UpstreamPlan;
}
