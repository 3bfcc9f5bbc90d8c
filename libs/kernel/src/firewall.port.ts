import type { NetnsRef } from './netlink.port';

/**
 * One nftables table that netd owns, as complete ruleset text: the body of
 * `table <family> <name> { … }` (chains, sets, maps, rules). Rendered by a pure function from
 * the desired state (drivers' firewall-rules.ts), never edited piecemeal.
 */
export interface NftTable {
  readonly family: 'inet' | 'ip' | 'ip6';
  readonly name: string;
  readonly body: string;
}

/**
 * netd's firewall: whole tables replaced atomically. Never touches a table it was not given.
 * Errors: InvalidParameterError when nft rejects the ruleset (the kernel state is unchanged),
 * SystemError when nft cannot run.
 */
export abstract class Firewall {
  /**
   * Replace the table with `table` in one transaction (create it if missing). After a failure the
   * previous table is still in place.
   */
  abstract apply(ns: NetnsRef, table: NftTable): Promise<void>;

  /** Delete the table; no-op if it does not exist. */
  abstract deleteTable(ns: NetnsRef, family: NftTable['family'], name: string): Promise<void>;

  /** Whether the table exists (it is gone after someone flushed the ruleset). */
  abstract hasTable(ns: NetnsRef, family: NftTable['family'], name: string): Promise<boolean>;

  /**
   * Re-apply every table this instance last applied in `ns` that has gone missing (someone ran
   * `nft flush ruleset`); returns the tables it re-applied. Called by the daemon's periodic
   * reconciliation. Optional: implementations without memory of applied tables omit it.
   */
  reapplyIfMissing?(ns: NetnsRef): Promise<NftTable[]>;
}
