import type { NetnsRef } from '../netlink.port';

export interface NftResult {
  /** 0 on success. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs an nft script (what `nft -f -` reads) in a namespace as one transaction. `json` asks for
 * JSON output (`nft -j`), for list commands.
 */
export interface NftRunner {
  run(ns: NetnsRef, script: string, opts?: { json?: boolean }): Promise<NftResult>;
  /** Let go of anything held open on `ns` (a libnftables context pins its namespace). */
  release(path: string): void;
}
