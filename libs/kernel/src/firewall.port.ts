import type { NetnsRef } from './netlink.port';

/**
 * One nftables table that netd owns, as complete ruleset text: the body of
 * `table <family> <name> { … }` (chains, sets, maps, rules). Rendered by a pure function from
 * the desired state (drivers' firewall-rules.ts).
 */
export interface NftTable {
  readonly family: 'inet' | 'ip' | 'ip6';
  readonly name: string;
  readonly body: string;
}

/**
 * One step of an incremental change, always inside the delta's own table (the port writes the
 * `<family> <name>` part, so an op cannot reach another table). Texts are single nft
 * expressions: no `;`, newline or `#`, balanced braces and quotes.
 */
export type NftOp =
  /** Make a plain (hash) set of `type` exist, e.g. `ipv4_addr . ifname`; an existing one is kept. */
  | { readonly op: 'put-set'; readonly set: string; readonly type: string }
  /** Delete a set and its elements (after any op that removed the last rule using it). */
  | { readonly op: 'delete-set'; readonly set: string }
  /** Add elements to a set or map (`"br-1"`, `"br-1" . "br-1"`, `10.0.0.0/24 : jump c`); present ones are kept. */
  | { readonly op: 'add-elements'; readonly set: string; readonly elements: readonly string[] }
  /** Delete elements by key (for a map, the key alone); a missing element fails the delta. */
  | { readonly op: 'delete-elements'; readonly set: string; readonly keys: readonly string[] }
  /**
   * Make the chain exist with exactly `rules` (and, for a base chain, exactly the `hook` line,
   * e.g. `type filter hook ingress devices = { "v1" } priority filter; policy accept;`). A base
   * chain is deleted and recreated (its device list cannot shrink in place); a regular chain is
   * flushed, so jumps into it stay valid.
   */
  | { readonly op: 'put-chain'; readonly chain: string; readonly hook?: string; readonly rules: readonly string[] }
  /** Delete the chain if it exists (after any op that removed the last jump to it). */
  | { readonly op: 'delete-chain'; readonly chain: string };

/**
 * An incremental change to one table plus the full table it must produce. `target` may be a
 * function: it is rendered only when the port needs the full text (fallback, re-apply).
 */
export interface NftDelta {
  readonly family: NftTable['family'];
  readonly name: string;
  readonly ops: readonly NftOp[];
  readonly target: NftTable | (() => NftTable);
}

/**
 * netd's firewall: tables replaced atomically, or changed by deltas in one transaction. Never
 * touches a table it was not given. Errors: InvalidParameterError when nft rejects the ruleset
 * (the kernel state is unchanged), SystemError when nft cannot run.
 */
export abstract class Firewall {
  /**
   * Replace the table with `table` in one transaction (create it if missing). After a failure the
   * previous table is still in place.
   */
  abstract apply(ns: NetnsRef, table: NftTable): Promise<void>;

  /**
   * Run `delta.ops` against the existing table in one transaction. When that fails (the table is
   * missing, someone changed it, an element is absent) fall back to `apply(target)`; returns
   * which path was taken. Callers must pass ops that turn the table they last applied into
   * `target`. When both paths fail, the error of the full apply is thrown and the table is unchanged.
   * InvalidParameterError without touching anything for a malformed op or name.
   */
  abstract update(ns: NetnsRef, delta: NftDelta): Promise<'delta' | 'full'>;

  /** Delete the table; no-op if it does not exist. */
  abstract deleteTable(ns: NetnsRef, family: NftTable['family'], name: string): Promise<void>;

  /** Whether the table exists (it is gone after someone flushed the ruleset). */
  abstract hasTable(ns: NetnsRef, family: NftTable['family'], name: string): Promise<boolean>;
}

/** The full table of a delta (renders it if it is given lazily). */
export function deltaTarget(delta: Pick<NftDelta, 'target'>): NftTable {
  return typeof delta.target === 'function' ? delta.target() : delta.target;
}
