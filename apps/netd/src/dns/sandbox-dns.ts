import type { NetnsRef } from '@app/kernel';

/** What a container asked for about name resolution (docker run --dns, --dns-search, --dns-option). */
export interface SandboxDnsOptions {
  /** The container's own upstream servers (`--dns`), tried before the daemon's `dns`. */
  readonly dns?: readonly string[];
  readonly dnsSearch?: readonly string[];
  readonly dnsOptions?: readonly string[];
}

/**
 * The embedded DNS as the container core sees it. The container core calls `sandboxUp` once the
 * sandbox's namespace exists and before the container's process starts, and `sandboxDown` when
 * the sandbox goes away (stop, rm). Records themselves follow the endpoints in the state store
 * (connect/disconnect events), so a stopped container, whose endpoints are released, stops
 * resolving at once.
 */
export interface SandboxDns {
  /** Serve 127.0.0.11:53 (UDP and TCP) inside the sandbox's namespace. Idempotent. */
  sandboxUp(sandboxId: string, ns: NetnsRef, opts: SandboxDnsOptions): Promise<void>;
  /** Stop serving the sandbox. Idempotent. */
  sandboxDown(sandboxId: string): Promise<void>;
  /** The nameserver lines for the container's resolv.conf (`nameserver 127.0.0.11` + options). */
  resolvConf(opts: SandboxDnsOptions): string;
}

/**
 * The embedded DNS as the cluster sees it: endpoints of other hosts on an overlay network,
 * answered like local ones (name, aliases, `name.network`, PTR) until withdrawn.
 */
export interface RemoteNames {
  /** InvalidParameter for a bad name or address, NotFound for a network the DNS does not serve. */
  upsertRemote(networkId: string, record: { id: string; name: string; aliases?: readonly string[]; ipv4?: string; ipv6?: string }): void;
  /** NotFound when the record is not known. */
  removeRemote(networkId: string, id: string): void;
}
